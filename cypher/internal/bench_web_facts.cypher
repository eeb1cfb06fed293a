// Web load benchmark: concept-level relationships with record evidence, whose fact pages its simulated users
// open (the facts the concept and record pages link to with "trace").
// Parameters: $limit (int, most rows).
// Returns: head, type, tail (the fact page's three parameters).
MATCH (h:Concept)-[r]->(t:Concept)
WHERE r.record_count > 0
RETURN h.id AS head, type(r) AS type, t.id AS tail
ORDER BY head, type, tail
LIMIT $limit
