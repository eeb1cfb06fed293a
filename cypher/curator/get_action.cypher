// One curation action and, for a prune, its archived triples not restored yet, each with whether its
// endpoints still exist and whether a relationship of its type between them exists now (a conflict).
// Parameters: $id.
// Returns: id, kind, status, restored_by, details, pending (list of maps: pruned, head, type, tail, head_exists,
//   tail_exists, conflict).
MATCH (a:CurationAction {id: $id})
OPTIONAL MATCH (a)-[:PRUNED]->(p:PrunedTriple)
WHERE NOT p.restored
OPTIONAL MATCH (h:Concept {id: p.pruned_head})
OPTIONAL MATCH (t:Concept {id: p.pruned_tail})
WITH a, p, h, t, CASE WHEN h IS NULL OR t IS NULL THEN false
                      ELSE EXISTS { MATCH (h)-[x]->(t) WHERE type(x) = p.pruned_type } END AS conflict
WITH a, collect(CASE WHEN p IS NULL THEN null ELSE {pruned: p.id, head: p.pruned_head, type: p.pruned_type,
                tail: p.pruned_tail, head_exists: h IS NOT NULL, tail_exists: t IS NOT NULL,
                conflict: conflict} END) AS pending
RETURN a.id AS id, a.kind AS kind, a.status AS status, a.restored_by AS restored_by, a.details AS details, pending
