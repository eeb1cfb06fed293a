// Record-derived relationships that no KG source asserts: facts the records add to the KG, by the
// number of records. `confidence` is the record-derived confidence (docs/graph-model.md, confidence of
// record-derived relationships).
// @param type: string? = null  relationship type (e.g. 'TREATED_WITH'), or null for all
// @param min_records: int = 1  only facts from at least this many records
// @param limit: int = 50  most rows
// @returns head, type, tail, records, confidence, extractors
MATCH (h:Concept)-[r]->(t:Concept)
WHERE coalesce(r.record_count, 0) >= $min_records AND r.record_count > 0 AND ($type IS NULL OR type(r) = $type)
  AND size([s IN coalesce(r.sources, []) WHERE NOT s IN coalesce(r.record_sources, [])]) = 0
RETURN h.id AS head, type(r) AS type, t.id AS tail, r.record_count AS records, r.confidence AS confidence,
       r.record_sources AS extractors
ORDER BY records DESC, confidence DESC, head, type, tail
LIMIT $limit
