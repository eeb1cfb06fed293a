// Suppressed relationships: archived by a prune not restored yet and absent from the graph, so the watcher
// does not create them again. `arrived` counts the relation mentions of the fact created since the prune
// (kept as provenance, not counted), `arrived_records` the distinct records they come from. An archive
// without `pruned_key` suppresses nothing and is not listed.
// Parameters: $type (a relationship type or null), $limit.
// Returns: head, type, tail, action_id, pruned_at, actor, reason, arrived, arrived_records.
MATCH (a:CurationAction)-[:PRUNED]->(p:PrunedTriple)
WHERE NOT p.restored AND p.pruned_key IS NOT NULL AND ($type IS NULL OR p.pruned_type = $type)
OPTIONAL MATCH (h:Concept {id: p.pruned_head})
OPTIONAL MATCH (t:Concept {id: p.pruned_tail})
WITH a, p, h, t
WHERE h IS NULL OR t IS NULL OR NOT EXISTS { MATCH (h)-[x]->(t) WHERE type(x) = p.pruned_type }
CALL (p) {
  OPTIONAL MATCH (rm:RelationMention {fact_key: p.pruned_key})
  WHERE rm.created_at > p.pruned_at
  RETURN count(rm) AS arrived, count(DISTINCT rm.record_id) AS arrived_records
}
RETURN p.pruned_head AS head, p.pruned_type AS type, p.pruned_tail AS tail, a.id AS action_id,
       p.pruned_at AS pruned_at, a.actor AS actor, a.reason AS reason, arrived, arrived_records
ORDER BY pruned_at DESC, head, type, tail
LIMIT $limit
