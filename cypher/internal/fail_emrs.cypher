// Records that cannot be processed: FAILED with their error. They hold no facts of this attempt:
// facts are only ever written in the transaction that marks a record DONE.
// Parameters: $rows: list of {id, error}; $run_id.
// Returns: failed.
UNWIND $rows AS row
MATCH (e:EMR {id: row.id})
WHERE e.status = 'PROCESSING' AND e.lease_run = $run_id
SET e.status = 'FAILED', e.error = row.error, e.failed_at = datetime(), e.last_run = $run_id,
    e.lease_owner = null, e.lease_until = null, e.lease_run = null, e.retry_after = null
RETURN count(e) AS failed
