// Claim up to $limit records for one run: NEW ones past their retry time, and PROCESSING ones whose
// lease expired, oldest first. Each candidate is locked (a write) and then checked again, so a
// record another worker claimed meanwhile is skipped: two workers never hold the same record.
// (The write lock, once taken, is held to the end of the transaction; the marker property is not kept.)
// Parameters: $limit, $worker, $run_id, $lease_seconds.
// Returns: id, text, sha256, attempts.
MATCH (e:EMR)
WHERE e.status IN ['NEW', 'PROCESSING']
  AND (e.status = 'NEW' OR e.lease_until < datetime())
  AND (e.retry_after IS NULL OR e.retry_after <= datetime())
WITH e ORDER BY coalesce(e.replaced_at, e.received_at), e.id
LIMIT $limit
SET e._lock = true
WITH e, (e.status = 'NEW' OR (e.status = 'PROCESSING' AND e.lease_until < datetime()))
        AND (e.retry_after IS NULL OR e.retry_after <= datetime()) AS claimable
REMOVE e._lock
WITH e WHERE claimable
SET e.status = 'PROCESSING', e.lease_owner = $worker, e.lease_run = $run_id,
    e.lease_until = datetime() + duration({milliseconds: toInteger($lease_seconds * 1000)}),
    e.attempts = coalesce(e.attempts, 0) + 1, e.claimed_at = datetime()
RETURN e.id AS id, e.text AS text, e.sha256 AS sha256, e.attempts AS attempts
