// Undo one merge action (one transaction): the REFERS_TO edges it moved go back to the candidate
// with their original properties, the alias it added is removed, the candidate is a candidate again.
// Parameters: $action_id (the merge), $candidate, $into, $alias_added, $restore_id.
// Returns: moved.
MATCH (c:Concept {id: $candidate, status: 'merged', merged_by: $action_id})
MATCH (k:Concept {id: $into})
CALL (c, k) {
  OPTIONAL MATCH (m:Mention)-[n:REFERS_TO {curated_by: $action_id}]->(k)
  WITH m, n WHERE n IS NOT NULL
  CREATE (m)-[l:REFERS_TO]->(c)
  SET l = properties(n)
  REMOVE l.curated_by
  DELETE n
  RETURN count(l) AS moved
}
SET k.aliases = CASE WHEN $alias_added THEN [x IN k.aliases WHERE x <> c.name] ELSE k.aliases END,
    c.status = 'candidate'
REMOVE c.merged_into, c.merged_by
WITH moved
MATCH (a:CurationAction {id: $action_id})
SET a.status = 'restored', a.restored_by = $restore_id, a.restored_at = datetime()
WITH moved
MATCH (x:CurationAction {id: $restore_id})
SET x.count = moved
RETURN moved
