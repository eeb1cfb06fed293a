// The web application's search: concepts whose name or an alias matches a full-text (Lucene) query of the
// `concept_names` index, optionally of one type label, best first.
// Parameters: $query (Lucene syntax; the caller escapes the user's text), $type (a concept label or null),
//   $limit.
// Returns: id, score.
CALL db.index.fulltext.queryNodes('concept_names', $query) YIELD node, score
WHERE $type IS NULL OR $type IN labels(node)
RETURN node.id AS id, score
ORDER BY score DESC, id
LIMIT $limit
