// The KG's own concepts for the watcher's gazetteer and linker: every concept except the candidate
// concepts the watcher proposed for NIL mentions (those wait for a curator).
// Parameters: none.
// Returns: id, type, name, aliases.
MATCH (c:Concept)
WHERE coalesce(c.status, 'curated') <> 'candidate'
RETURN c.id AS id, [label IN labels(c) WHERE label <> 'Concept'][0] AS type, c.name AS name,
       coalesce(c.aliases, []) AS aliases
