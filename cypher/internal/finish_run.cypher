// Close a run with its outcome and figures.
// Parameters: $run_id, $status ('done', 'partial', 'failed', 'interrupted'), $records (DONE by this run),
//   $done_ids, $failed, $released, $mentions, $relations, $timings (JSON string), $error (or null).
// Returns: id, status.
MATCH (run:Run {id: $run_id})
SET run.finished_at = datetime(), run.status = $status, run.records = $records, run.done_ids = $done_ids,
    run.failed = $failed, run.released = $released, run.mentions = $mentions, run.relations = $relations,
    run.timings = $timings, run.error = $error
RETURN run.id AS id, run.status AS status
