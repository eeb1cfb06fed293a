// One concept-level relationship for the web application's fact page: both concepts, the relationship's
// sources with their confidences, its record support and confidence as stored, the KG sources' load
// records, and the curator's archive when the fact was pruned. The type is compared as a value (never
// spliced into the statement); the caller checks it against the allow-list first.
// Parameters: $head, $type, $tail (ids and relationship type).
// Returns: head, head_name, head_type, tail, tail_name, tail_type, exists, sources, source_confidence,
//   record_sources, record_count, evidence_count, confidence, current, created_at, updated_at,
//   kg_sources (list of {id, format, files, loaded_at, loads}), pruned (list of {action_id, restored, pruned_at}).
MATCH (h:Concept {id: $head})
MATCH (t:Concept {id: $tail})
OPTIONAL MATCH (h)-[r]->(t)
WHERE type(r) = $type
WITH h, t, r
OPTIONAL MATCH (p:PrunedTriple {pruned_key: $head + '|' + $type + '|' + $tail})
WITH h, t, r, collect(p {action_id: p.pruned_action, .restored, pruned_at: toString(p.pruned_at)}) AS pruned
OPTIONAL MATCH (s:KGSource)
WHERE r IS NOT NULL AND s.id IN coalesce(r.sources, [])
WITH h, t, r, pruned, collect(s {.id, .format, .files, .loads, loaded_at: toString(s.loaded_at)}) AS kg_sources
RETURN h.id AS head, h.name AS head_name, [l IN labels(h) WHERE l <> 'Concept'][0] AS head_type,
       t.id AS tail, t.name AS tail_name, [l IN labels(t) WHERE l <> 'Concept'][0] AS tail_type,
       r IS NOT NULL AS exists, coalesce(r.sources, []) AS sources,
       coalesce(r.source_confidence, []) AS source_confidence, coalesce(r.record_sources, []) AS record_sources,
       coalesce(r.record_count, 0) AS record_count, coalesce(r.evidence_count, 0) AS evidence_count,
       r.confidence AS confidence, coalesce(r.current, r IS NOT NULL) AS current,
       toString(r.created_at) AS created_at, toString(r.updated_at) AS updated_at, kg_sources, pruned
