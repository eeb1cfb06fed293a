// `medkg demo --clean`, after the record evidence of $facts was recomputed without the demo's records:
// every relationship the demo's KG source asserts, and every one of $facts, is tidied.
// - The demo's source leaves `sources` with its `source_confidence` entry; `evidence_count` drops by
//   one and `confidence` is the noisy-OR of the remaining entries.
// - No relation mention refers to it (its fact key, built as graph/watch/facts.py builds it): the
//   record-evidence properties (`record_sources`, `record_count`, `current`) go; with no source left
//   either, the relationship goes.
// - Otherwise it stays, `current` only while a source remains.
// Parameters: $source (the demo's KG source name), $facts (list of {head, type, tail}).
// Returns: removed, updated (relationships).
CALL () {
  MATCH (c:Concept)
  WHERE $source IN c.sources
  MATCH (c)-[r]->(:Concept)
  WHERE $source IN coalesce(r.sources, [])
  RETURN collect(r) AS listed
}
CALL () {
  UNWIND $facts AS fact
  MATCH (:Concept {id: fact.head})-[r]->(:Concept {id: fact.tail})
  WHERE type(r) = fact.type
  RETURN collect(r) AS touched
}
UNWIND listed + touched AS r
WITH DISTINCT r
MATCH (h:Concept)-[r]->(t:Concept)
WITH r, $source IN coalesce(r.sources, []) AS demo_listed,
     EXISTS { MATCH (:RelationMention {fact_key: h.id + '|' + type(r) + '|' + t.id}) } AS mentioned,
     [i IN range(0, size(coalesce(r.sources, [])) - 1) WHERE r.sources[i] <> $source] AS keep
WITH r, demo_listed, mentioned, [i IN keep | r.sources[i]] AS sources,
     [i IN keep | r.source_confidence[i]] AS confidences
CALL (r, demo_listed, sources, confidences) {
  WITH r, demo_listed, sources, confidences
  WHERE demo_listed
  SET r.sources = sources, r.source_confidence = confidences, r.evidence_count = r.evidence_count - 1,
      r.confidence = 1.0 - reduce(p = 1.0, c IN confidences | p * (1.0 - c)), r.updated_at = datetime()
}
CALL (r, mentioned, sources) {
  WITH r, mentioned, sources
  WHERE NOT mentioned
  REMOVE r.record_sources, r.record_count, r.current
}
CALL (r, mentioned, sources) {
  WITH r, mentioned, sources
  WHERE mentioned AND r.current IS NOT NULL
  SET r.current = size(sources) > 0
}
WITH r, size(sources) = 0 AND NOT mentioned AS gone
CALL (r, gone) {
  WITH r, gone
  WHERE gone
  DELETE r
}
RETURN count(CASE WHEN gone THEN 1 END) AS removed, count(CASE WHEN NOT gone THEN 1 END) AS updated
