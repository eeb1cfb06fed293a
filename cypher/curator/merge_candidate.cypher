// Merge a candidate concept (NIL) into a curated concept (one transaction): every REFERS_TO edge
// into the candidate moves to the concept with all its properties plus `curated_by`; the candidate's
// name becomes an alias of the concept unless it is its name or an alias already; the candidate is
// kept with status 'merged' so that a restore can move the edges back.
// Parameters: $candidate, $into, $action_id.
// Returns: moved, alias_added.
MATCH (c:Concept {id: $candidate, status: 'candidate'})
MATCH (k:Concept {id: $into})
MATCH (a:CurationAction {id: $action_id})
CALL (c, k, a) {
  OPTIONAL MATCH (m:Mention)-[l:REFERS_TO]->(c)
  WITH m, l WHERE l IS NOT NULL
  CREATE (m)-[n:REFERS_TO]->(k)
  SET n = properties(l), n.curated_by = a.id
  DELETE l
  RETURN count(n) AS moved
}
WITH c, k, a, moved, NOT (c.name = k.name OR c.name IN coalesce(k.aliases, [])) AS alias_added
SET k.aliases = CASE WHEN alias_added THEN coalesce(k.aliases, []) + c.name ELSE k.aliases END,
    c.status = 'merged', c.merged_into = k.id, c.merged_by = a.id, a.count = moved
RETURN moved, alias_added
