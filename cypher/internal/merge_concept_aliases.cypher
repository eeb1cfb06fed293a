// Append aliases and ICD-10 codes to concepts, keeping each list unique in the order first seen; an
// alias equal to the concept's name is left out. A row that brings nothing new writes nothing, so a
// reload sets no property. Other sources' entries are kept: lists only grow.
// Parameters: $rows: list of {id (business key), aliases (list of strings), icd10 (list of strings)}.
// Returns: nothing (read the summary counters).
UNWIND $rows AS row
MATCH (c:Concept {id: row.id})
WITH c, [a IN row.aliases WHERE a <> c.name AND NOT a IN coalesce(c.aliases, [])] AS new_aliases,
     [code IN row.icd10 WHERE NOT code IN coalesce(c.icd10, [])] AS new_codes
WHERE size(new_aliases) > 0 OR size(new_codes) > 0
FOREACH (_ IN CASE WHEN size(new_aliases) > 0 THEN [1] ELSE [] END |
  SET c.aliases = coalesce(c.aliases, []) + new_aliases)
FOREACH (_ IN CASE WHEN size(new_codes) > 0 THEN [1] ELSE [] END |
  SET c.icd10 = coalesce(c.icd10, []) + new_codes)
