// Open one curation action (the audit node every curation writes first).
// Parameters: $id, $kind ('prune', 'merge', 'restore'), $criteria (JSON text), $actor, $reason, $target (the
//   action a restore undoes, else null).
// Returns: id.
CREATE (a:CurationAction {id: $id, kind: $kind, criteria: $criteria, actor: $actor, reason: $reason,
                          target: $target, at: datetime(), count: 0, status: 'running'})
RETURN a.id AS id
