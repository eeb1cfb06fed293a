// The curation log, newest first.
// Parameters: $limit.
// Returns: id, kind, status, actor, reason, criteria, count, at, finished_at, target, restored_by, restored_at,
//   details.
MATCH (a:CurationAction)
RETURN a.id AS id, a.kind AS kind, a.status AS status, a.actor AS actor, a.reason AS reason,
       a.criteria AS criteria, a.count AS count, a.at AS at, a.finished_at AS finished_at, a.target AS target,
       a.restored_by AS restored_by, a.restored_at AS restored_at, a.details AS details
ORDER BY at DESC, id
LIMIT $limit
