// Records whose lease expired after their last allowed attempt become FAILED instead of being
// claimed again: a record that kills or hangs every worker that takes it must not loop for ever.
// Lock-then-recheck, like the claim.
// Parameters: $max_attempts.
// Returns: failed.
MATCH (e:EMR)
WHERE e.status = 'PROCESSING' AND e.lease_until < datetime() AND e.attempts >= $max_attempts
SET e._lock = true
WITH e, e.status = 'PROCESSING' AND e.lease_until < datetime() AND e.attempts >= $max_attempts AS abandoned
REMOVE e._lock
WITH e WHERE abandoned
SET e.status = 'FAILED', e.failed_at = datetime(),
    e.error = 'abandoned: the lease expired on attempt ' + toString(e.attempts) + ' of ' + toString($max_attempts)
              + ' (the worker ' + coalesce(e.lease_owner, '?') + ' died or hung while processing it)',
    e.lease_owner = null, e.lease_until = null, e.lease_run = null
RETURN count(e) AS failed
