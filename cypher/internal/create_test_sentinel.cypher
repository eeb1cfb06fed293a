// Mark a database as a medkg test server (idempotent).
// Parameters: $id (who marked it). Returns: nothing.
MERGE (s:MedkgTestSentinel {id: 'medkg-test-server'})
  ON CREATE SET s.created_by = $id, s.created_at = datetime()
