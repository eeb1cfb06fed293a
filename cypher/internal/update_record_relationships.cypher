// Recompute the record evidence of concept-level relationships from their current relation mentions.
// Per relation extractor x and relationship, with p_x the extractor's precision (stored on each of
// its relation mentions) and s_r the best score of x's current relation mentions in record r:
//   c_x = 1 - prod_r (1 - p_x * s_r)
// x is then one of the relationship's `sources` with confidence c_x (listed in `record_sources` too);
// KG sources are kept as they are. `record_count` is the number of distinct records with a current
// relation mention of the fact (any extractor), `evidence_count` the KG sources plus record_count,
// and `confidence` the noisy-OR over all sources, as for the KG. A relationship is created when the
// first record supports it; one that loses all record support keeps its KG sources, or (record-only)
// stays with no sources, confidence 0 and current = false.
// The type is dynamic here; graph/kg/relations.py specialises `$(row.type)` to one allow-listed type.
// Parameters: $rows: list of {key, head, tail, type, extractor}.
// Returns: nothing (read the summary counters).
UNWIND $rows AS row
CALL (row) {
  OPTIONAL MATCH (rm:RelationMention {fact_key: row.key})
  WHERE rm.current AND rm.extractor = row.extractor
  WITH rm.record_id AS record, max(coalesce(rm.precision, 0.5) * rm.score) AS best
  WHERE record IS NOT NULL
  RETURN count(record) AS records, collect(best) AS scores
}
MATCH (h:Concept {id: row.head})
MATCH (t:Concept {id: row.tail})
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
  WHERE rm.current
  RETURN count(DISTINCT rm.record_id) AS record_count
}
SET r.record_count = record_count,
    r.evidence_count = size([s IN r.sources WHERE NOT s IN r.record_sources]) + record_count,
    r.confidence = 1.0 - reduce(p = 1.0, c IN r.source_confidence | p * (1.0 - c)),
    r.current = size(r.sources) > 0,
    r.updated_at = datetime()
