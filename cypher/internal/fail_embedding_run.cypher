// Mark a run that could not finish as failed (its staged vectors are removed separately).
// Parameters: $run_id, $error. Returns: id, status.
MATCH (run:EmbeddingRun {id: $run_id})
WHERE run.status = 'writing'
SET run.status = 'failed', run.error = $error, run.finished_at = datetime()
RETURN run.id AS id, run.status AS status
