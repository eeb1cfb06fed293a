// Mark what the demo wrote besides its records and its KG source, so that `medkg demo --clean` finds
// it: the extractors it registered and the embedding run it trained get `written_by: $source`.
// Parameters: $source (the demo's source name), $extractors (ids of the extractors the demo
//   registered), $embedding_run (id of the run it trained, or null).
// Returns: extractors, embedding_runs (nodes marked).
CALL () {
  UNWIND $extractors AS extractor_id
  MATCH (x:Extractor {id: extractor_id})
  SET x.written_by = $source
  RETURN count(x) AS extractors
}
CALL () {
  OPTIONAL MATCH (run:EmbeddingRun {id: $embedding_run})
  SET run.written_by = $source
  RETURN count(run) AS embedding_runs
}
RETURN extractors, embedding_runs
