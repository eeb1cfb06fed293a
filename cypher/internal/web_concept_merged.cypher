// The candidate concepts a curator merged into one concept, for the web application's concept page: each
// with the merge action (its links moved to this concept; the candidate's name became an alias).
// Parameters: $id, $limit.
// Returns: id, name, type, action.
MATCH (m:Concept {merged_into: $id})
RETURN m.id AS id, m.name AS name, [label IN labels(m) WHERE label <> 'Concept'][0] AS type, m.merged_by AS action
ORDER BY id
LIMIT $limit
