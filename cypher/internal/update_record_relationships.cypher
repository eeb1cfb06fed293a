// Recompute the record evidence of concept-level relationships from their current relation mentions.
// Only positive relation mentions are evidence: a pertinent negative (polarity 'negative': the record
// says the finding is absent) never adds to it; a relation mention written before polarity existed
// counts as positive. A record text is counted once however many records hold it (the same note
// stored under two ids): records are told apart by their text's sha256 (text_sha256, else record_id).
// Per relation extractor x and relationship, with p_x the extractor's precision (stored on each of
// its relation mentions) and s_r the best score of x's current positive relation mentions in the
// records of text r:
//   c_x = 1 - prod_r (1 - p_x * s_r)
// x is then one of the relationship's `sources` with confidence c_x (listed in `record_sources` too);
// KG sources are kept as they are. `record_count` is the number of distinct record texts with a current
// positive relation mention of the fact (any extractor), `evidence_count` the KG sources plus record_count,
// and `confidence` the noisy-OR over all sources, as for the KG. A relationship is created when the
// first record supports it; one that loses all record support keeps its KG sources, or (record-only)
// stays with no sources, confidence 0 and current = false.
// Suppression: a relationship a curator pruned (a (:PrunedTriple) with its key, not restored) and that
// does not exist is neither created nor counted here; the archive is marked `pruned_stale` instead, so
// that its restore recomputes the evidence from every current relation mention. The archive is locked
// (written) before the second look, so a restore committing meanwhile is seen and the row is not lost.
// The type is dynamic here; graph/kg/relations.py specialises `$(row.type)` to one allow-listed type.
// Parameters: $rows: list of {key, head, tail, type, extractor}.
// Returns: nothing (read the summary counters).
UNWIND $rows AS row
MATCH (h:Concept {id: row.head})
MATCH (t:Concept {id: row.tail})
CALL (row, h, t) {
  OPTIONAL MATCH (p:PrunedTriple {pruned_key: row.key})
  WHERE NOT p.restored AND NOT EXISTS { (h)-[:$(row.type)]->(t) }
  SET p.pruned_stale = true
}
WITH row, h, t
WHERE EXISTS { (h)-[:$(row.type)]->(t) }
   OR NOT EXISTS { MATCH (p:PrunedTriple {pruned_key: row.key}) WHERE NOT p.restored }
CALL (row) {
  OPTIONAL MATCH (rm:RelationMention {fact_key: row.key})
  WHERE rm.current AND rm.extractor = row.extractor AND coalesce(rm.polarity, 'positive') = 'positive'
  WITH coalesce(rm.text_sha256, rm.record_id) AS record, max(coalesce(rm.precision, 0.5) * rm.score) AS best
  WHERE record IS NOT NULL
  RETURN count(record) AS records, collect(best) AS scores
}
OPTIONAL MATCH (h)-[existing:$(row.type)]->(t)
WITH row, records, scores, h, t, existing
WHERE records > 0 OR existing IS NOT NULL
MERGE (h)-[r:$(row.type)]->(t)
  ON CREATE SET r.created_at = datetime(), r.sources = [], r.source_confidence = [], r.record_sources = []
WITH r, row, records, 1.0 - reduce(p = 1.0, s IN scores | p * (1.0 - s)) AS c,
     [i IN range(0, size(coalesce(r.sources, [])) - 1) WHERE r.sources[i] <> row.extractor] AS keep
SET r.sources = [i IN keep | r.sources[i]] + CASE WHEN records > 0 THEN [row.extractor] ELSE [] END,
    r.source_confidence = [i IN keep | r.source_confidence[i]] + CASE WHEN records > 0 THEN [c] ELSE [] END,
    r.record_sources = [x IN coalesce(r.record_sources, []) WHERE x <> row.extractor]
                       + CASE WHEN records > 0 THEN [row.extractor] ELSE [] END
WITH r, row
CALL (row) {
  MATCH (rm:RelationMention {fact_key: row.key})
  WHERE rm.current AND coalesce(rm.polarity, 'positive') = 'positive'
  RETURN count(DISTINCT coalesce(rm.text_sha256, rm.record_id)) AS record_count
}
SET r.record_count = record_count,
    r.evidence_count = size([s IN r.sources WHERE NOT s IN r.record_sources]) + record_count,
    r.confidence = 1.0 - reduce(p = 1.0, c IN r.source_confidence | p * (1.0 - c)),
    r.current = size(r.sources) > 0,
    r.updated_at = datetime()
