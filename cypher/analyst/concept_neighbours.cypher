// Nearest concepts of one concept by KG embedding, through the vector index (HNSW, approximate;
// never a scan). With $type, the index returns $candidates nodes and the type filter runs on them.
// Scores are Neo4j's cosine scores, (1 + cos) / 2, in [0, 1].
// @param id: concept  concept business key, e.g. 'Disease:肺炎'
// @param index: string = "concept_kge_transe"  vector index name
// @param property: string = "kge_transe"  embedding property
// @param run_property: string = "kge_transe_run"  property holding the vector's run id
// @param folded: string = "kge_transe_folded"  property marking folded-in vectors
// @param candidates: int = 11  nodes the index returns (at least $k + 1)
// @param k: int = 10  neighbours
// @param type: string? = null  a concept label, or null for all
// @returns id, name, type, score, run, folded
MATCH (q:Concept {id: $id})
CALL db.index.vector.queryNodes($index, $candidates, q[$property]) YIELD node, score
WITH node, score
WHERE node.id <> $id AND ($type IS NULL OR $type IN labels(node))
RETURN node.id AS id, node.name AS name, [l IN labels(node) WHERE l <> 'Concept'][0] AS type, score,
       node[$run_property] AS run, coalesce(node[$folded], false) AS folded
ORDER BY score DESC, id
LIMIT $k
