// Every relationship with its type, the ids of its ends and its properties: the bulk-load test compares
// two graphs with it. Reads the whole database; for tests and small graphs only.
// Parameters: none.
// Returns: type, head, tail, props.
MATCH (h)-[r]->(t)
RETURN type(r) AS type, h.id AS head, t.id AS tail, properties(r) AS props
