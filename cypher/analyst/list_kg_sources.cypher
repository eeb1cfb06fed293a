// The KG sources loaded so far.
// @returns id, format, loads, first_loaded_at, loaded_at, files, sha256, concepts, relationships, skipped
MATCH (s:KGSource)
RETURN s.id AS id, s.format AS format, s.loads AS loads, s.first_loaded_at AS first_loaded_at,
       s.loaded_at AS loaded_at, s.files AS files, s.sha256 AS sha256, s.concepts AS concepts,
       s.relationships AS relationships, s.skipped AS skipped
ORDER BY id
