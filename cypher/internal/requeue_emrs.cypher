// Send FAILED, DONE or INVALID records back to the queue with their attempts reset; their facts are
// superseded by the next processing, not deleted. An INVALID node goes back only when it now passes
// the claim's check (a string id no other EMR node shares, a string text, sha256 absent or a string):
// one its writer has not fixed stays INVALID with its error and is counted as skipped.
// Parameters: $status ('FAILED', 'DONE' or 'INVALID'), $ids (list of record ids, or null for all of that status).
// Returns: requeued, skipped.
MATCH (e:EMR {status: $status})
WHERE $ids IS NULL OR e.id IN $ids
WITH e, $status <> 'INVALID'
        OR (e.id IS :: STRING NOT NULL AND trim(e.id) <> '' AND e.text IS :: STRING NOT NULL
            AND (e.sha256 IS NULL OR e.sha256 IS :: STRING) AND COUNT { MATCH (other:EMR) WHERE other.id = e.id } = 1)
        AS ready
CALL (e, ready) {
  WITH e WHERE ready
  SET e.status = 'NEW', e.attempts = 0, e.retry_after = null, e.requeued_at = datetime(),
      e.last_error = coalesce(e.error, e.last_error), e.error = null, e.invalid_at = null
}
RETURN count(CASE WHEN ready THEN 1 END) AS requeued, count(CASE WHEN NOT ready THEN 1 END) AS skipped
