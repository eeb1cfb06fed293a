// Per concept label: count, aliases, ICD-10 codes, sources and disease descriptions. Two graphs built
// from the same sources two ways (MERGE path, bulk import) must agree (the bulk benchmark and test).
// Parameters: none.
// Returns: label, concepts, aliases, codes, sources, descriptions.
MATCH (c:Concept)
UNWIND [l IN labels(c) WHERE l <> 'Concept'] AS label
RETURN label, count(c) AS concepts, sum(size(c.aliases)) AS aliases, sum(size(coalesce(c.icd10, []))) AS codes,
       sum(size(c.sources)) AS sources, count(c.desc) AS descriptions
ORDER BY label
