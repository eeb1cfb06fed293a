// Relationship counts per type (one pass over the relationships).
// Parameters: none. Returns: type, count (one row per relationship type in use).
MATCH ()-[r]->()
RETURN type(r) AS type, count(*) AS count
ORDER BY type
