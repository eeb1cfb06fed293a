// A cheap fingerprint of the KG the watcher's gazetteer and linker were built from: it changes when
// a KG is loaded, or KG concepts are added or removed (candidate concepts of NIL mentions do not count).
// Parameters: none.
// Returns: concepts, sources, last_load.
MATCH (c:Concept)
WHERE coalesce(c.status, 'curated') <> 'candidate'
WITH count(c) AS concepts
OPTIONAL MATCH (s:KGSource)
RETURN concepts, count(s) AS sources, max(s.loaded_at) AS last_load
