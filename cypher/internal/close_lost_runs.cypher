// Close the runs whose worker is gone: still 'running' after their lease expired (or the run $run_id,
// whose claim was tried again and found it holds nothing), with no record PROCESSING under them any
// more (taken over by other runs, failed as abandoned, sent back to the queue by another client). A
// run that still holds a record stays open even after its lease expired: a slow worker may finish it.
// Runs in the claim transaction, after the claim, so the records it just took over count as gone;
// Run locks are taken after EMR locks there, in the same order as in every claim. Lock-then-recheck,
// so a run its worker closed meanwhile is left as it closed it.
// Parameters: $run_id (or null).
// Returns: id (one row per run closed).
MATCH (run:Run {status: 'running'})
WHERE run.lease_until IS NULL OR run.lease_until < datetime() OR run.id = $run_id
SET run._lock = true
WITH run, run.status = 'running' AND NOT EXISTS {
  UNWIND coalesce(run.record_ids, []) AS record_id
  MATCH (e:EMR {id: record_id})
  WHERE e.status = 'PROCESSING' AND e.lease_run = run.id
} AS lost
REMOVE run._lock
WITH run WHERE lost
CALL (run) {
  UNWIND coalesce(run.record_ids, []) AS record_id
  OPTIONAL MATCH (e:EMR {id: record_id})
  // its own claim set claimed_at to the transaction time, which is also the run's started_at
  WITH e, e IS NOT NULL AND e.claimed_at > run.started_at AS taken
  RETURN count(CASE WHEN taken THEN 1 END) AS taken,
         count(CASE WHEN NOT taken AND e.status = 'FAILED' AND e.error STARTS WITH 'abandoned' THEN 1 END) AS abandoned,
         count(CASE WHEN NOT taken AND e.status = 'DONE' AND e.last_run = run.id THEN 1 END) AS done,
         count(CASE WHEN e IS NULL THEN 1 END) AS deleted
}
WITH run, taken, abandoned, done, deleted, size(coalesce(run.record_ids, [])) AS claimed
WITH run, done, claimed, [part IN [
    CASE WHEN taken > 0 THEN toString(taken) + ' of its ' + toString(claimed) + ' records were taken over by other runs' END,
    CASE WHEN abandoned > 0 THEN toString(abandoned) + ' of its ' + toString(claimed) + ' records were failed as abandoned' END,
    CASE WHEN done > 0 THEN toString(done) + ' of its ' + toString(claimed) + ' records were finished by it' END,
    CASE WHEN deleted > 0 THEN toString(deleted) + ' of its ' + toString(claimed) + ' records were deleted' END,
    CASE WHEN claimed - taken - abandoned - done - deleted > 0
         THEN toString(claimed - taken - abandoned - done - deleted) + ' of its ' + toString(claimed)
              + ' records were given back to the queue or changed by another client' END
  ] WHERE part IS NOT NULL] AS parts
SET run.status = 'lost', run.finished_at = datetime(), run.records = done,
    run.error = CASE WHEN run.id = $run_id
                     THEN 'lost: the claim was tried again (its first answer never arrived) and this run holds no record'
                     ELSE 'lost: worker ' + coalesce(run.worker, '?') + ' stopped before closing this run (its lease '
                          + 'expired at ' + coalesce(toString(run.lease_until), '?') + ')' END
                + CASE WHEN claimed = 0 THEN '; it claimed no record'
                       ELSE reduce(text = '', part IN parts | text + '; ' + part) END
RETURN run.id AS id
