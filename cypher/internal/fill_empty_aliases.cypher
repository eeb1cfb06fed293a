// After a bulk import: concepts without aliases get the empty list the MERGE path gives them (the
// importer writes no property for an empty array field). Runs in batches, so it needs an auto-commit
// transaction (GraphClient.run).
// Parameters: none.
// Returns: nothing.
MATCH (c:Concept)
WHERE c.aliases IS NULL
CALL (c) {
  SET c.aliases = []
} IN TRANSACTIONS OF 10000 ROWS
