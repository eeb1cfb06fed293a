// Record one load of a KG source: which files (with checksums), when, and what they held.
// Parameters: $id (source name), $format, $files (list of paths), $sha256 (list, same order),
//   $concepts, $relationships (counts in the source after de-duplication), $skipped (lines skipped).
// Returns: id, loads (how many times this source has been loaded).
MERGE (s:KGSource {id: $id})
  ON CREATE SET s.first_loaded_at = datetime(), s.loads = 0
SET s.format = $format, s.files = $files, s.sha256 = $sha256, s.concepts = $concepts,
    s.relationships = $relationships, s.skipped = $skipped, s.loaded_at = datetime(),
    s.loads = s.loads + 1
RETURN s.id AS id, s.loads AS loads
