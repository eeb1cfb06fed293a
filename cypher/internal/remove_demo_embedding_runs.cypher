// `medkg demo --clean`: the embedding runs the demo trained (`written_by: $source`) and the vectors
// they left on concepts (each vector names its run; fold-in vectors made from such a run name it too).
// Parameters: $source, $property, $run_property, $folded (the demo's KGE property names).
// Returns: runs (deleted), vectors (removed from concepts).
MATCH (run:EmbeddingRun {written_by: $source, property: $property})
CALL (run) {
  MATCH (c:Concept)
  WHERE c[$run_property] = run.id
  SET c[$property] = null, c[$run_property] = null, c[$folded] = null
  RETURN count(c) AS vectors
}
WITH run, vectors
DETACH DELETE run
RETURN count(*) AS runs, sum(vectors) AS vectors
