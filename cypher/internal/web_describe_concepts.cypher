// Concepts by id as the web application lists them: type, status, sources, and how many records mention each
// through a current mention with a current link (whatever its assertion).
// Parameters: $ids (concept ids; unknown ones give no row).
// Returns: id, name, type, status, aliases, sources, icd10, records.
MATCH (c:Concept)
WHERE c.id IN $ids
CALL (c) {
  OPTIONAL MATCH (c)<-[l:REFERS_TO]-(m:Mention {current: true})
  WHERE l.current
  RETURN count(DISTINCT m.record_id) AS records
}
RETURN c.id AS id, c.name AS name, [label IN labels(c) WHERE label <> 'Concept'][0] AS type,
       coalesce(c.status, 'curated') AS status, coalesce(c.aliases, []) AS aliases,
       coalesce(c.sources, []) AS sources, coalesce(c.icd10, []) AS icd10, records
