// Add aliases to a concept (kept unique, in the order first seen).
// Parameters: $id (business key), $aliases (list of strings). Returns: aliases (the new list).
MATCH (c:Concept {id: $id})
SET c.aliases = coalesce(c.aliases, []) + [a IN $aliases WHERE NOT a IN coalesce(c.aliases, [])]
RETURN c.aliases AS aliases
