// Close a curation action with its final status and details.
// Parameters: $id, $status ('done', 'partial', 'noop'), $details (JSON text or null).
// Returns: id, kind, count, status.
MATCH (a:CurationAction {id: $id})
SET a.status = $status, a.finished_at = datetime(), a.details = $details
RETURN a.id AS id, a.kind AS kind, a.count AS count, a.status AS status
