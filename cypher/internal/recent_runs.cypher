// The latest watcher runs, newest first.
// Parameters: $limit.
// Returns: id, worker, status, started_at, finished_at, claimed, records, failed, released, mentions,
//   relations, seconds, error (why a run did not end 'done', e.g. the note of a 'lost' one), extractors.
MATCH (run:Run)
WITH run ORDER BY run.started_at DESC LIMIT $limit
RETURN run.id AS id, run.worker AS worker, run.status AS status, run.started_at AS started_at,
       run.finished_at AS finished_at, run.claimed AS claimed, run.records AS records, run.failed AS failed,
       run.released AS released, run.mentions AS mentions, run.relations AS relations,
       CASE WHEN run.finished_at IS NULL THEN null
            ELSE duration.inSeconds(run.started_at, run.finished_at).milliseconds / 1000.0 END AS seconds,
       run.error AS error, [(run)-[:USED]->(x:Extractor) | x.id] AS extractors
ORDER BY started_at DESC
