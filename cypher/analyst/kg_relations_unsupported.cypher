// KG-asserted relationships that records never support although they speak of both ends: the head
// and the tail are linked from current mentions of at least $min_records common records, the KG
// asserts the relationship, and no record states it (no record evidence). Candidates for review.
// @param type: string = "HAS_SYMPTOM"  relationship type the relation extractors produce (HAS_SYMPTOM, ACCOMPANY_WITH, ...)
// @param min_records: int = 1  common records needed
// @param limit: int = 50  most rows
// @returns head, type, tail, kg_confidence, sources, common_records
MATCH (h:Concept)-[r]->(t:Concept)
WHERE type(r) = $type AND coalesce(r.record_count, 0) = 0
MATCH (h)<-[lh:REFERS_TO]-(:Mention {current: true})<-[:HAS_MENTION]-(e:EMR)-[:HAS_MENTION]->(:Mention {current: true})-[lt:REFERS_TO]->(t)
WHERE lh.current AND lt.current
WITH h, r, t, count(DISTINCT e) AS common
WHERE common >= $min_records
RETURN h.id AS head, type(r) AS type, t.id AS tail, r.confidence AS kg_confidence, r.sources AS sources,
       common AS common_records
ORDER BY common_records DESC, kg_confidence, head, tail
LIMIT $limit
