// One concept for the web application's concept page, without its embedding properties (no row when unknown).
// Parameters: $id.
// Returns: id, name, type, status, aliases, sources, icd10, merged_into, description, has_vector (a TransE vector, the
//   vector index's property, is there).
MATCH (c:Concept {id: $id})
RETURN c.id AS id, c.name AS name, [label IN labels(c) WHERE label <> 'Concept'][0] AS type,
       coalesce(c.status, 'curated') AS status, coalesce(c.aliases, []) AS aliases,
       coalesce(c.sources, []) AS sources, coalesce(c.icd10, []) AS icd10, c.merged_into AS merged_into,
       c.desc AS description, c.kge_transe IS NOT NULL AS has_vector
