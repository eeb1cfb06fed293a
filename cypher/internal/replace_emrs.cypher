// Store a new text for existing records and send them back to the queue (status NEW, attempts 0),
// so the watcher extracts their facts again and supersedes the old ones (marked, not deleted).
// A worker still holding the old text loses its claim: its write checks the text's sha256.
// Parameters: $rows: list of {id, text, sha256, source, meta}.
// Returns: replaced.
UNWIND $rows AS row
MATCH (e:EMR {id: row.id})
WHERE coalesce(e.sha256 <> row.sha256, e.text <> row.text, true)
SET e.text = row.text, e.sha256 = row.sha256, e.source = row.source, e.meta = row.meta,
    e.replaced_at = datetime(), e.revision = coalesce(e.revision, 1) + 1, e.status = 'NEW', e.attempts = 0,
    e.error = null, e.lease_owner = null, e.lease_until = null, e.lease_run = null, e.retry_after = null,
    e.received_at = coalesce(e.received_at, datetime())
RETURN count(e) AS replaced
