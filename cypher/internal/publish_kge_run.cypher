// Staged write-back, step 2 (inside the transaction that finishes the run): the run's staged
// vectors become the live property, with the run id; the folded-in flag is cleared.
// Parameters: $run_id, $property, $run_property, $folded, $staging, $staging_run.
// Returns: written (concepts published).
MATCH (c:Concept)
WHERE c[$staging_run] = $run_id
SET c[$property] = c[$staging], c[$run_property] = $run_id, c[$folded] = null,
    c[$staging] = null, c[$staging_run] = null
RETURN count(c) AS written
