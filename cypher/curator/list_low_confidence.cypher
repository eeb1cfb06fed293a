// Concept-level relationships with a confidence below $below, lowest first, with their origin:
// `kg_sources` are the KG sources asserting it, `record_count` the records supporting it. $origin
// 'kg' keeps those with a KG source, 'records' those with record evidence (a relationship with both
// matches both), null keeps all. $head and $tail (concept ids, or null) narrow it to one subject or object: with
// $type too, to one triple.
// Parameters: $below (0..1), $type (a relationship type or null), $origin ('kg', 'records' or null), $head, $tail,
//   $limit.
// Returns: element_id, head, type, tail, confidence, kg_sources, record_sources, record_count, keys.
MATCH (h:Concept)-[r]->(t:Concept)
WHERE coalesce(r.confidence, 0.0) < $below AND ($type IS NULL OR type(r) = $type)
  AND ($head IS NULL OR h.id = $head) AND ($tail IS NULL OR t.id = $tail)
WITH h, r, t, [s IN coalesce(r.sources, []) WHERE NOT s IN coalesce(r.record_sources, [])] AS kg
WHERE $origin IS NULL OR ($origin = 'kg' AND size(kg) > 0) OR ($origin = 'records' AND coalesce(r.record_count, 0) > 0)
RETURN elementId(r) AS element_id, h.id AS head, type(r) AS type, t.id AS tail, r.confidence AS confidence,
       kg AS kg_sources, coalesce(r.record_sources, []) AS record_sources, coalesce(r.record_count, 0) AS record_count,
       keys(r) AS keys
ORDER BY confidence, head, type, tail
LIMIT $limit
