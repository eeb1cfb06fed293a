// Every KGE run, newest first, optionally of one property. Properties set only on some runs are
// read by key (run['error']) so that a database where none has them yet raises no warning.
// Parameters: $property (e.g. 'kge_transe', or null for all).
// Returns: id, model, property, dim, epochs, epochs_trained, status, nodes, metrics (JSON), config
//   (JSON), created_at, finished_at, error.
MATCH (run:EmbeddingRun)
WHERE $property IS NULL OR run.property = $property
RETURN run.id AS id, run.model AS model, run.property AS property, run.dim AS dim, run.epochs AS epochs,
       run.epochs_trained AS epochs_trained, run.status AS status, run['nodes'] AS nodes,
       run.metrics AS metrics, run.config AS config, run.created_at AS created_at,
       run['finished_at'] AS finished_at, run['error'] AS error
ORDER BY run.created_at DESC, run.id DESC
