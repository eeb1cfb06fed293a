// Enable or disable one stored extraction plugin; the watcher reads this at its next cycle.
// Parameters: $id (name@version), $enabled (boolean).
// Returns: the columns of internal/list_extractors.
MATCH (x:Extractor {id: $id})
SET x.enabled = $enabled, x.updated_at = datetime()
RETURN x.id AS id, x.name AS name, x.version AS version, x.kind AS kind, x.entry_point AS entry_point,
       x.config AS config, x.artifact_sha256 AS artifact_sha256, x.enabled AS enabled,
       x.registered_at AS registered_at, COUNT { (:Run)-[:USED]->(x) } AS runs
