// Full-text search over concept names and aliases (Lucene syntax, CJK analyzer).
// Parameters: $query (search text), $limit.
// Returns: id, name, labels, score, best first.
CALL db.index.fulltext.queryNodes('concept_names', $query) YIELD node, score
RETURN node.id AS id, node.name AS name, labels(node) AS labels, score
ORDER BY score DESC, id
LIMIT $limit
