// Delete every relationship, then every node except the test-server sentinel, in batches small
// enough for the transaction memory pool (hub nodes carry thousands of relationships).
// Only the test suite and the benchmarks call this, after making sure the database is their own
// throwaway server (the sentinel), so it can never wipe a database that is not a test server.
// Parameters: none. Returns: nothing. Needs auto-commit transactions (IN TRANSACTIONS).
MATCH ()-[r]->()
CALL (r) { DELETE r } IN TRANSACTIONS OF 20000 ROWS;
MATCH (n) WHERE NOT n:MedkgTestSentinel
CALL (n) { DELETE n } IN TRANSACTIONS OF 10000 ROWS;
