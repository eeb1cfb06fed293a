// Before a run writes: runs of this property still 'writing' were abandoned (a crash; one writer per
// property at a time), so mark them failed; then remove staging vectors left on concepts by any run.
// Also used after a failed run to remove its staging vectors. Needs auto-commit (IN TRANSACTIONS).
// Parameters: $property, $run_id (the run starting now, or the failed one), $staging,
//   $staging_run (staging property names). Returns: nothing.
MATCH (run:EmbeddingRun {property: $property, status: 'writing'})
WHERE run.id <> $run_id
SET run.status = 'failed', run.error = 'abandoned: a later run started while it was writing',
    run.finished_at = datetime();
MATCH (c:Concept)
WHERE c[$staging] IS NOT NULL OR c[$staging_run] IS NOT NULL
CALL (c) {
  SET c[$staging] = null, c[$staging_run] = null
} IN TRANSACTIONS OF 10000 ROWS;
