// Full-text search over concept names and aliases (Lucene syntax, CJK analyzer), best first.
// @param query: string  search text
// @param limit: int = 20  most rows
// @returns id, name, labels, score
CALL db.index.fulltext.queryNodes('concept_names', $query) YIELD node, score
RETURN node.id AS id, node.name AS name, labels(node) AS labels, score
ORDER BY score DESC, id
LIMIT $limit
