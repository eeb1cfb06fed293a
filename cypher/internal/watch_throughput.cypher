// Throughput of the runs finished in the last hour: records made DONE, the seconds spent inside
// runs (summed over workers) and the wall-clock span from the first start to the last finish.
// Parameters: none.
// Returns: runs, records, busy_seconds, wall_seconds.
MATCH (run:Run)
WHERE run.finished_at IS NOT NULL AND run.finished_at >= datetime() - duration({hours: 1})
WITH count(run) AS runs, sum(coalesce(run.records, 0)) AS records,
     sum(duration.inSeconds(run.started_at, run.finished_at).milliseconds) / 1000.0 AS busy_seconds,
     min(run.started_at) AS first, max(run.finished_at) AS last
RETURN runs, records, busy_seconds,
       CASE WHEN first IS NULL THEN 0.0 ELSE duration.inSeconds(first, last).milliseconds / 1000.0 END AS wall_seconds
