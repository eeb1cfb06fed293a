// Nearest concepts of one concept by KG embedding, by brute force: cosine against every concept
// that has a vector (exact, slow; the reference the vector index is measured against).
// Parameters: $id, $property, $k, $type (a concept label, or null).
// Returns: id, name, type, score ((1 + cos) / 2, as the vector index reports it).
MATCH (q:Concept {id: $id})
WITH q[$property] AS v
MATCH (node:Concept)
WHERE node.id <> $id AND node[$property] IS NOT NULL AND ($type IS NULL OR $type IN labels(node))
WITH node, vector.similarity.cosine(v, node[$property]) AS score
ORDER BY score DESC, node.id
LIMIT $k
RETURN node.id AS id, node.name AS name, [l IN labels(node) WHERE l <> 'Concept'][0] AS type, score
