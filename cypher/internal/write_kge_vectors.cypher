// Single-transaction write-back: one batch of a run's vectors straight into the live property,
// with the run id (the folded-in flag cleared). The caller runs every batch and then
// internal/finish_kge_run in ONE transaction, so readers see the old run or the new one.
// Parameters: $rows (list of {id, vector}), $property, $run_property, $folded, $run_id.
// Returns: written (concepts found).
UNWIND $rows AS row
MATCH (c:Concept {id: row.id})
SET c[$property] = row.vector, c[$run_property] = $run_id, c[$folded] = null
RETURN count(c) AS written
