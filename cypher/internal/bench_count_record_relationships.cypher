// Benchmark read-back: concept-level relationships with record evidence (record_count > 0) per type,
// how many of them have no KG source (record-only), and their record evidence (sum of record_count).
// Parameters: none.
// Returns: type, relationships, record_only, evidence.
MATCH (:Concept)-[r]->(:Concept)
WHERE r.record_count > 0
RETURN type(r) AS type, count(r) AS relationships,
       count(CASE WHEN size(coalesce(r.sources, [])) = size(coalesce(r.record_sources, [])) THEN 1 END)
         AS record_only,
       sum(r.record_count) AS evidence
ORDER BY evidence DESC, type
