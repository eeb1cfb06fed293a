// Benchmark read-back: the concept-level relationships with the most record evidence.
// Parameters: $limit (int, most rows).
// Returns: head, type, tail, record_count, confidence, kg_sources.
MATCH (h:Concept)-[r]->(t:Concept)
WHERE r.record_count > 0
RETURN h.name AS head, type(r) AS type, t.name AS tail, r.record_count AS record_count,
       r.confidence AS confidence,
       size(coalesce(r.sources, [])) - size(coalesce(r.record_sources, [])) AS kg_sources
ORDER BY record_count DESC, head, type, tail
LIMIT $limit
