// Every node with its labels and properties: the bulk-load test compares two graphs with it. Reads
// the whole database; for tests and small graphs only.
// Parameters: none.
// Returns: labels, props.
MATCH (n)
RETURN labels(n) AS labels, properties(n) AS props
