// Stage one batch of a run's vectors on their concepts (matched by business key); readers never
// look at staging properties. Property names are parameters (dynamic property access).
// Parameters: $rows (list of {id, vector}), $staging, $staging_run, $run_id.
// Returns: written (concepts found).
UNWIND $rows AS row
MATCH (c:Concept {id: row.id})
SET c[$staging] = row.vector, c[$staging_run] = $run_id
RETURN count(c) AS written
