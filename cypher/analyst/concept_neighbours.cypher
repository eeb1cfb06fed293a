// Nearest concepts of one concept by KG embedding, through the vector index (HNSW, approximate;
// never a scan). With $type, the index returns $candidates nodes and the type filter runs on them.
// Scores are Neo4j's cosine scores, (1 + cos) / 2, in [0, 1].
// Parameters: $id (concept business key), $index (vector index name), $property (e.g. kge_transe),
//   $run_property (e.g. kge_transe_run), $folded (e.g. kge_transe_folded), $candidates (>= $k + 1),
//   $k, $type (a concept label, or null).
// Returns: id, name, type, score, run, folded.
MATCH (q:Concept {id: $id})
CALL db.index.vector.queryNodes($index, $candidates, q[$property]) YIELD node, score
WITH node, score
WHERE node.id <> $id AND ($type IS NULL OR $type IN labels(node))
RETURN node.id AS id, node.name AS name, [l IN labels(node) WHERE l <> 'Concept'][0] AS type, score,
       node[$run_property] AS run, coalesce(node[$folded], false) AS folded
ORDER BY score DESC, id
LIMIT $k
