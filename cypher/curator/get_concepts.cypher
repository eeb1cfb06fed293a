// Concepts by id with their type labels and status (what a merge checks before it writes).
// Parameters: $ids.
// Returns: id, name, status, labels (without Concept).
MATCH (c:Concept)
WHERE c.id IN $ids
RETURN c.id AS id, c.name AS name, coalesce(c.status, 'curated') AS status,
       [l IN labels(c) WHERE l <> 'Concept'] AS labels
