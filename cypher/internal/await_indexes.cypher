// Block until every index is online (after schema changes or vector index creation).
// Parameters: $seconds (timeout). Returns: nothing.
CALL db.awaitIndexes($seconds)
