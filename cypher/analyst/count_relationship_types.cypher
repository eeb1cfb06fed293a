// Relationship counts per type (one pass over the relationships; one row per type in use).
// @returns type, count
MATCH ()-[r]->()
RETURN type(r) AS type, count(*) AS count
ORDER BY type
