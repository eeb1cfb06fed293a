// The runs still open ('running'), oldest first, with their age and lease: a run past its lease that
// still holds records may belong to a slow worker or a dead one (closed as 'lost' by the next claim
// once another worker takes its records over).
// Parameters: none.
// Returns: id, worker, started_at, age_seconds, lease_until, lease_expired, claimed, holding (records
//   still PROCESSING under it).
MATCH (run:Run {status: 'running'})
RETURN run.id AS id, run.worker AS worker, run.started_at AS started_at,
       duration.inSeconds(run.started_at, datetime()).milliseconds / 1000.0 AS age_seconds,
       run.lease_until AS lease_until, coalesce(run.lease_until < datetime(), true) AS lease_expired,
       run.claimed AS claimed,
       COUNT { UNWIND coalesce(run.record_ids, []) AS record_id
               MATCH (e:EMR {id: record_id}) WHERE e.status = 'PROCESSING' AND e.lease_run = run.id } AS holding
ORDER BY started_at
