// Record one run (a claimed batch) in the same transaction as its claim, with the extractors it uses.
// Parameters: $run_id, $worker, $record_ids, $lease_seconds, $extractors (list of ids), $device,
//   $versions (JSON string).
// Returns: id.
MERGE (run:Run {id: $run_id})
  ON CREATE SET run.worker = $worker, run.started_at = datetime(), run.status = 'running',
                run.record_ids = $record_ids, run.claimed = size($record_ids),
                run.lease_until = datetime() + duration({milliseconds: toInteger($lease_seconds * 1000)}),
                run.device = $device, run.versions = $versions
WITH run
CALL (run) {
  UNWIND $extractors AS extractor_id
  MATCH (x:Extractor {id: extractor_id})
  MERGE (run)-[:USED]->(x)
}
RETURN run.id AS id
