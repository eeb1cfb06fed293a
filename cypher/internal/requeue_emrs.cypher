// Send FAILED (or DONE) records back to the queue with their attempts reset; their facts are
// superseded by the next processing, not deleted.
// Parameters: $status ('FAILED' or 'DONE'), $ids (list of record ids, or null for all of that status).
// Returns: requeued.
MATCH (e:EMR {status: $status})
WHERE $ids IS NULL OR e.id IN $ids
SET e.status = 'NEW', e.attempts = 0, e.retry_after = null, e.requeued_at = datetime(),
    e.last_error = coalesce(e.error, e.last_error), e.error = null
RETURN count(e) AS requeued
