// Give records back to the queue: after a failed attempt (with the error and a retry time, the
// attempt counted) or on shutdown before they were processed (the attempt not counted).
// Only records this run still holds are touched.
// Parameters: $rows: list of {id, error (or null), retry_after_ms (0: at once), uncount (0 or 1)};
//   $run_id.
// Returns: released.
UNWIND $rows AS row
MATCH (e:EMR {id: row.id})
WHERE e.status = 'PROCESSING' AND e.lease_run = $run_id
SET e.status = 'NEW', e.lease_owner = null, e.lease_until = null, e.lease_run = null,
    e.attempts = e.attempts - row.uncount, e.last_error = coalesce(row.error, e.last_error),
    e.retry_after = CASE WHEN row.retry_after_ms > 0
                         THEN datetime() + duration({milliseconds: row.retry_after_ms}) ELSE null END
RETURN count(e) AS released
