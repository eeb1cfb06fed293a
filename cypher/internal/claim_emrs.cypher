// Claim up to $limit records for one run: NEW ones past their retry time, and PROCESSING ones whose
// lease expired, oldest first. Each candidate is locked (a write) and then checked again, so a
// record another worker claimed meanwhile is skipped: two workers never hold the same record.
// (The write lock, once taken, is held to the end of the transaction; the marker property is not kept.)
// A candidate that breaks the (:EMR {id, text}) contract (another writer can create anything) is
// not claimed but set INVALID with the reason, checked on the locked node before anything else
// uses its values (a non-string id in the run's record_ids is what used to abort the claim):
// id missing, not a string, empty or shared by another EMR node; text missing or not a string;
// sha256 present but not a string. The node is matched here, never looked up by its id or elementId.
// An outside writer's non-integer `attempts` counts as 0.
// Parameters: $limit, $worker, $run_id, $lease_seconds.
// Returns: id, text, sha256, attempts (of a claimed record; null for an invalid one), problem (null for
//   a claimed record, the reason for an invalid one), node (the id, or 'elementId <id>' when the id is not
//   a string: for messages only).
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
// the first field that is not a string (sha256 may also be absent)
WITH e, head([field IN ['id', 'text', 'sha256']
              WHERE NOT (e[field] IS :: STRING NOT NULL OR (field = 'sha256' AND e[field] IS NULL))]) AS field
WITH e, field, CASE WHEN field IS NULL THEN null ELSE e[field] END AS value
WITH e, CASE
  WHEN field IS NOT NULL AND value IS NULL THEN field + ' is missing'
  WHEN field IS NOT NULL THEN field + ' is ' + CASE
      WHEN value IS :: INTEGER THEN 'an integer (' + toString(value) + ')'
      WHEN value IS :: FLOAT THEN 'a float (' + toString(value) + ')'
      WHEN value IS :: BOOLEAN THEN 'a boolean (' + toString(value) + ')'
      WHEN value IS :: LIST<ANY> THEN 'a list of ' + toString(size(value)) + ' values'
      WHEN value IS :: DATE | LOCAL DATETIME | ZONED DATETIME | LOCAL TIME | ZONED TIME | DURATION
        THEN 'a ' + replace(valueType(value), ' NOT NULL', '') + ' (' + toString(value) + ')'
      ELSE 'a ' + replace(valueType(value), ' NOT NULL', '') END
    + ', expected a string' + CASE WHEN field = 'sha256' THEN ' (or none)' ELSE '' END
  WHEN trim(e.id) = '' THEN 'id is empty'
  ELSE CASE WHEN COUNT { MATCH (other:EMR) WHERE other.id = e.id } > 1
            THEN 'id ' + "'" + e.id + "'" + ' is shared by ' + toString(COUNT { MATCH (other:EMR) WHERE other.id = e.id })
                 + ' EMR nodes' END
  END AS problem
CALL (e, problem) {
  WITH e WHERE problem IS NOT NULL
  SET e.status = 'INVALID', e.error = problem, e.invalid_at = datetime(),
      e.lease_owner = null, e.lease_until = null, e.lease_run = null, e.retry_after = null
}
CALL (e, problem) {
  WITH e WHERE problem IS NULL
  SET e.status = 'PROCESSING', e.lease_owner = $worker, e.lease_run = $run_id,
      e.lease_until = datetime() + duration({milliseconds: toInteger($lease_seconds * 1000)}),
      e.attempts = CASE WHEN e.attempts IS :: INTEGER NOT NULL THEN e.attempts ELSE 0 END + 1,
      e.claimed_at = datetime()
}
RETURN CASE WHEN problem IS NULL THEN e.id END AS id, CASE WHEN problem IS NULL THEN e.text END AS text,
       CASE WHEN problem IS NULL THEN e.sha256 END AS sha256, CASE WHEN problem IS NULL THEN e.attempts END AS attempts,
       problem, CASE WHEN e.id IS :: STRING NOT NULL THEN e.id ELSE 'elementId ' + elementId(e) END AS node
