// First statement of a batch's write transaction: lock the batch's records, then keep only those
// this run still holds with the text it extracted (lock-then-recheck). A record whose lease was
// taken over after it expired, or whose text was replaced meanwhile, is not written by this run.
// Parameters: $rows: list of {id, sha256}; $run_id, $worker.
// done_by_this_run is true when an earlier try of this same transaction committed but its answer was
// lost (the server went away after the commit): those records are DONE already and are not written again.
// has_facts: the record was processed before (its earlier facts may need superseding); a record
// processed for the first time has none, and the supersede step skips it.
// Returns: id, held, done_by_this_run, has_facts.
UNWIND $rows AS row
MATCH (e:EMR {id: row.id})
SET e._lock = true
WITH e, e.status = 'PROCESSING' AND e.lease_run = $run_id AND e.lease_owner = $worker
        AND coalesce(e.sha256, row.sha256) = row.sha256 AS held
REMOVE e._lock
RETURN e.id AS id, held, e.status = 'DONE' AND e.last_run = $run_id AS done_by_this_run,
       e.processed_at IS NOT NULL AS has_facts
