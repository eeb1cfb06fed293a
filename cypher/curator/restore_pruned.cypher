// Restore every archived triple of one prune action not restored yet (one transaction): the
// relationship is created again between the same concepts with exactly its archived properties, and
// the archive is marked restored by the restore action. Callers check conflicts first (get_action).
// Archives the watcher marked `pruned_stale` (record evidence changed while the relationship was
// suppressed) are returned, with every extractor that has supported the fact, for the caller to
// recompute their evidence in the same transaction.
// Parameters: $action_id (the prune), $restore_id (the restore action).
// Returns: restored, stale (list of maps: key, head, type, tail, extractors).
MATCH (a:CurationAction {id: $action_id})-[:PRUNED]->(p:PrunedTriple)
WHERE NOT p.restored
MATCH (h:Concept {id: p.pruned_head})
MATCH (t:Concept {id: p.pruned_tail})
CREATE (h)-[r:$(p.pruned_type)]->(t)
SET r = properties(p)
REMOVE r.id, r.pruned_action, r.pruned_type, r.pruned_head, r.pruned_tail, r.pruned_keys, r.pruned_at, r.restored,
       r.pruned_key, r.pruned_stale
SET p.restored = true, p.restored_at = datetime(), p.restored_by = $restore_id
WITH a, p, r, p.pruned_head + '|' + p.pruned_type + '|' + p.pruned_tail AS key
CALL (p, key) {
  OPTIONAL MATCH (rm:RelationMention {fact_key: key})
  WHERE coalesce(p.pruned_stale, false)
  RETURN collect(DISTINCT rm.extractor) AS seen
}
WITH a, count(r) AS restored,
     collect(CASE WHEN coalesce(p.pruned_stale, false)
                  THEN {key: key, head: p.pruned_head, type: p.pruned_type, tail: p.pruned_tail,
                        extractors: seen + [x IN coalesce(p.record_sources, []) WHERE NOT x IN seen]} END) AS stale
SET a.status = 'restored', a.restored_by = $restore_id, a.restored_at = datetime()
WITH restored, stale
MATCH (x:CurationAction {id: $restore_id})
SET x.count = restored
RETURN restored, stale
