// Create (or reset) the record of one KGE run before its vectors are written; status 'writing'.
// JSON strings: $config (resolved training config), $metrics (evaluation, training curve, timings),
// $relation_vectors ({type: [floats]}), $relation_offsets ({type: [floats]} entity-space fold-in
// offsets, or null for models without fold-in), $fold_in (entity constraint), $versions.
// Parameters: $id, $model, $property, $dim, $epochs, $epochs_trained, $config, $metrics,
//   $relation_vectors, $relation_offsets, $fold_in, $versions, $triples, $triples_sha256, $entities.
// Returns: id, status.
MERGE (run:EmbeddingRun {id: $id})
  ON CREATE SET run.created_at = datetime()
SET run.model = $model, run.property = $property, run.dim = $dim, run.epochs = $epochs,
    run.epochs_trained = $epochs_trained, run.config = $config, run.metrics = $metrics,
    run.relation_vectors = $relation_vectors, run.relation_offsets = $relation_offsets,
    run.fold_in = $fold_in, run.versions = $versions, run.triples = $triples,
    run.triples_sha256 = $triples_sha256, run.entities = $entities, run.status = 'writing',
    run.error = null, run.finished_at = null
RETURN run.id AS id, run.status AS status
