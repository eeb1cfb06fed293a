// How many records a claim could take now (NEW past their retry time, or with an expired lease);
// the watcher asks after an empty claim, to tell "another worker won the race" from "nothing to do".
// Parameters: none.
// Returns: claimable.
MATCH (e:EMR)
WHERE e.status IN ['NEW', 'PROCESSING']
  AND (e.status = 'NEW' OR e.lease_until < datetime())
  AND (e.retry_after IS NULL OR e.retry_after <= datetime())
RETURN count(e) AS claimable
