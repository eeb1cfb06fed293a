// Extraction coverage per watcher run, newest first: records claimed, done and failed, mentions and
// relations written, mentions per done record, and the throughput of the run.
// @param limit: int = 20  most rows
// @returns run, worker, status, started_at, seconds, claimed, done, failed, mentions, relations, mentions_per_record, records_per_s, extractors
MATCH (run:Run)
WITH run ORDER BY run.started_at DESC, run.id LIMIT $limit
OPTIONAL MATCH (run)-[:USED]->(x:Extractor)
WITH run, collect(x.id) AS extractors,
     CASE WHEN run.finished_at IS NULL THEN null
          ELSE duration.inSeconds(run.started_at, run.finished_at).seconds
               + duration.inSeconds(run.started_at, run.finished_at).nanosecondsOfSecond / 1e9 END AS seconds
WITH run, extractors, seconds, size(coalesce(run.done_ids, [])) AS done
RETURN run.id AS run, run.worker AS worker, run.status AS status, run.started_at AS started_at, seconds,
       run.claimed AS claimed, done, run.failed AS failed, run.mentions AS mentions, run.relations AS relations,
       CASE WHEN done > 0 THEN toFloat(run.mentions) / done END AS mentions_per_record,
       CASE WHEN seconds > 0 THEN done / seconds END AS records_per_s, extractors
ORDER BY started_at DESC, run
