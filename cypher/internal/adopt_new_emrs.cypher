// Records created by other writers with only `id` and `text` (no status) join the queue as NEW.
// A label scan, so the watcher runs it once per cycle (and when its queue looks empty), not per batch.
// Parameters: none.
// Returns: adopted.
MATCH (e:EMR)
WHERE e.status IS NULL
SET e.status = 'NEW', e.attempts = coalesce(e.attempts, 0), e.received_at = coalesce(e.received_at, datetime()),
    e.source = coalesce(e.source, 'cypher')
RETURN count(e) AS adopted
