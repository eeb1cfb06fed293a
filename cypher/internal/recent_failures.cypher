// The latest FAILED records with their errors, newest first.
// Parameters: $limit.
// Returns: id, error, attempts, failed_at, last_run.
MATCH (e:EMR {status: 'FAILED'})
RETURN e.id AS id, e.error AS error, e.attempts AS attempts, e.failed_at AS failed_at, e.last_run AS last_run
ORDER BY failed_at DESC
LIMIT $limit
