// Restore every archived triple of one prune action not restored yet (one transaction): the
// relationship is created again between the same concepts with exactly its archived properties, and
// the archive is marked restored by the restore action. Callers check conflicts first (get_action).
// Parameters: $action_id (the prune), $restore_id (the restore action).
// Returns: restored.
MATCH (a:CurationAction {id: $action_id})-[:PRUNED]->(p:PrunedTriple)
WHERE NOT p.restored
MATCH (h:Concept {id: p.pruned_head})
MATCH (t:Concept {id: p.pruned_tail})
CREATE (h)-[r:$(p.pruned_type)]->(t)
SET r = properties(p)
REMOVE r.id, r.pruned_action, r.pruned_type, r.pruned_head, r.pruned_tail, r.pruned_keys, r.pruned_at, r.restored
SET p.restored = true, p.restored_at = datetime(), p.restored_by = $restore_id
WITH a, count(r) AS restored
SET a.status = 'restored', a.restored_by = $restore_id, a.restored_at = datetime()
WITH restored
MATCH (x:CurationAction {id: $restore_id})
SET x.count = restored
RETURN restored
