// Every stored extraction plugin, with the number of runs that used it.
// Parameters: none.
// Returns: id, name, version, kind, entry_point, config (JSON string), artifact_sha256, enabled,
//   registered_at, runs.
MATCH (x:Extractor)
RETURN x.id AS id, x.name AS name, x.version AS version, x.kind AS kind, x.entry_point AS entry_point,
       x.config AS config, x.artifact_sha256 AS artifact_sha256, x.enabled AS enabled,
       x.registered_at AS registered_at, COUNT { (:Run)-[:USED]->(x) } AS runs
ORDER BY id
