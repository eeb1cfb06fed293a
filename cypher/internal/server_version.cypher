// The server's Neo4j version (run on the system database by the embedded server's readiness probe).
// Parameters: none. Returns: version.
CALL dbms.components() YIELD versions
RETURN versions[0] AS version
