// Is this database a medkg test server? The sentinel is created when the test session starts on
// an empty database (or one that already carries the sentinel).
// Parameters: none. Returns: sentinel (count of sentinel nodes), others (count of other nodes).
OPTIONAL MATCH (s:MedkgTestSentinel)
WITH count(s) AS sentinel
OPTIONAL MATCH (n) WHERE NOT n:MedkgTestSentinel
RETURN sentinel, count(n) AS others
