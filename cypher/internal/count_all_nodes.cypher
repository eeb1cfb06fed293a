// How many nodes the database holds (any label); `medkg kg load --bulk` refuses a database that has any.
// Parameters: none.
// Returns: nodes.
MATCH (n)
RETURN count(n) AS nodes
