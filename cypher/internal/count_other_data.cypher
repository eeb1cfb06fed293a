// What the database holds besides the demo's own data; `medkg demo` asks before writing next to it.
// The demo's own: records whose EMR.source is $source, concepts whose only source is $source, the
// KG source $source and embedding runs marked `written_by: $source`. Candidate concepts are left out:
// they exist only for the mentions of records, which are counted.
// Parameters: $source (the demo's source name).
// Returns: records, waiting (of those, the NEW ones a watcher cycle would process), concepts,
//   kg_sources, embedding_runs.
CALL () {
  MATCH (e:EMR)
  WHERE coalesce(e.source, '') <> $source
  RETURN count(e) AS records, count(CASE WHEN coalesce(e.status, 'NEW') = 'NEW' THEN 1 END) AS waiting
}
CALL () {
  MATCH (c:Concept)
  WHERE coalesce(c.status, '') <> 'candidate' AND coalesce(c.sources, []) <> [$source]
  RETURN count(c) AS concepts
}
CALL () {
  MATCH (s:KGSource)
  WHERE s.id <> $source
  RETURN count(s) AS kg_sources
}
CALL () {
  MATCH (run:EmbeddingRun)
  WHERE coalesce(run.written_by, '') <> $source
  RETURN count(run) AS embedding_runs
}
RETURN records, waiting, concepts, kg_sources, embedding_runs
