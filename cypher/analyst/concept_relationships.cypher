// Relationships of one concept, in both directions, with their provenance (`outgoing` is true when
// the concept is the head).
// @param id: concept  concept business key, e.g. 'Disease:肺炎'
// @returns type, outgoing, other_id, other_name, sources, source_confidence, confidence, evidence_count, created_at, updated_at
MATCH (c:Concept {id: $id})-[r]-(o:Concept)
RETURN type(r) AS type, startNode(r) = c AS outgoing, o.id AS other_id, o.name AS other_name,
       r.sources AS sources, r.source_confidence AS source_confidence, r.confidence AS confidence,
       r.evidence_count AS evidence_count, r.created_at AS created_at, r.updated_at AS updated_at
ORDER BY type, other_id
