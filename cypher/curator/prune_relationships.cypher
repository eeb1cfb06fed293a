// Archive and delete one batch of relationships (one transaction): each still below $below becomes a
// (:PrunedTriple) holding all its properties (copied as they are, types kept) plus its endpoints and
// type under `pruned_*` keys, linked from the action by [:PRUNED]; then the relationship is deleted.
// `pruned_key` (head|TYPE|tail, a relation mention's fact_key) makes the archive a tombstone: until it is
// restored the watcher does not create the relationship again (internal/update_record_relationships).
// Parameters: $action_id, $ids (relationship element ids), $below.
// Returns: pruned (archived and deleted in this batch).
MATCH (a:CurationAction {id: $action_id})
CALL (a) {
  UNWIND $ids AS eid
  MATCH (h:Concept)-[r]->(t:Concept)
  WHERE elementId(r) = eid AND coalesce(r.confidence, 0.0) < $below
  CREATE (a)-[:PRUNED]->(p:PrunedTriple)
  SET p += properties(r)
  SET p.id = $action_id + '#' + eid, p.pruned_action = $action_id, p.pruned_type = type(r),
      p.pruned_head = h.id, p.pruned_tail = t.id, p.pruned_keys = keys(r), p.pruned_at = datetime(),
      p.pruned_key = h.id + '|' + type(r) + '|' + t.id,
      p.restored = false
  DELETE r
  RETURN count(p) AS pruned
}
SET a.count = a.count + pruned
RETURN pruned
