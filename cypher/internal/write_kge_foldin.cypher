// Write fold-in vectors on concepts that still have none, marked as folded in and naming the run
// whose relation vectors produced them. A concept that got a vector meanwhile is left alone.
// Parameters: $rows (list of {id, vector}), $property, $run_property, $folded, $run_id.
// Returns: written.
UNWIND $rows AS row
MATCH (c:Concept {id: row.id})
WHERE c[$property] IS NULL
SET c[$property] = row.vector, c[$run_property] = $run_id, c[$folded] = true
RETURN count(c) AS written
