// First statement of a claim transaction: did an earlier try of this same run commit? The driver
// tries a transaction function again when the connection drops, and the watcher tries the claim
// again after waiting out an outage; when the first try's commit reached the server but its answer
// did not, its records are PROCESSING under this run and must be handed back, not left leased to a
// run nobody holds while a second batch is claimed.
// Parameters: $run_id.
// Returns: committed (the run exists), records (list of {id, text, sha256, attempts} it still holds).
OPTIONAL MATCH (run:Run {id: $run_id})
CALL (run) {
  UNWIND coalesce(run.record_ids, []) AS record_id
  MATCH (e:EMR {id: record_id})
  WHERE e.status = 'PROCESSING' AND e.lease_run = $run_id
  RETURN collect(e {.id, .text, .sha256, .attempts}) AS records
}
RETURN run IS NOT NULL AS committed, records
