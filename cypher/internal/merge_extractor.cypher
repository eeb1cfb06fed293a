// Store one extraction plugin (idempotent on its id, name@version); `enabled` is only ever turned on
// here, never off (medkg plugins disable does that).
// Parameters: $id, $plugin_name, $version, $kind, $entry_point, $config (JSON string), $artifact_sha256,
//   $enabled (boolean), $note (string or null).
// Returns: the columns of internal/list_extractors.
MERGE (x:Extractor {id: $id})
  ON CREATE SET x.registered_at = datetime(), x.enabled = false
SET x.name = $plugin_name, x.version = $version, x.kind = $kind, x.entry_point = $entry_point, x.config = $config,
    x.artifact_sha256 = $artifact_sha256, x.note = $note, x.enabled = x.enabled OR $enabled,
    x.updated_at = datetime()
RETURN x.id AS id, x.name AS name, x.version AS version, x.kind AS kind, x.entry_point AS entry_point,
       x.config AS config, x.artifact_sha256 AS artifact_sha256, x.enabled AS enabled,
       x.registered_at AS registered_at, COUNT { (:Run)-[:USED]->(x) } AS runs
