// Nearest concepts of one concept by KG embedding, by brute force: cosine against every concept
// that has a vector (exact, slow; the reference the vector index is measured against). Scores are
// (1 + cos) / 2, as the vector index reports them.
// @param id: concept  concept business key
// @param property: string = "kge_transe"  embedding property
// @param k: int = 10  neighbours
// @param type: string? = null  a concept label, or null for all
// @returns id, name, type, score
MATCH (q:Concept {id: $id})
WITH q[$property] AS v
MATCH (node:Concept)
WHERE node.id <> $id AND node[$property] IS NOT NULL AND ($type IS NULL OR $type IN labels(node))
WITH node, vector.similarity.cosine(v, node[$property]) AS score
ORDER BY score DESC, node.id
LIMIT $k
RETURN node.id AS id, node.name AS name, [l IN labels(node) WHERE l <> 'Concept'][0] AS type, score
