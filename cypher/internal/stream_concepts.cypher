// Every concept with what the linker and gazetteer index: type label, name, aliases and,
// optionally, an embedding property (read by name; the caller checks the name is an identifier).
// Parameters: $vector_property (property name such as 'kge_transe', or null for no vectors).
// Returns: id, type (the concept's first label other than Concept), name, aliases, vector.
MATCH (c:Concept)
RETURN c.id AS id,
       [label IN labels(c) WHERE label <> 'Concept'][0] AS type,
       c.name AS name,
       coalesce(c.aliases, []) AS aliases,
       CASE WHEN $vector_property IS NULL THEN null ELSE c[$vector_property] END AS vector
