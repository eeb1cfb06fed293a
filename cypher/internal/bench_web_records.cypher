// Web load benchmark: the processed records whose pages its simulated users open.
// Parameters: none.
// Returns: id.
MATCH (e:EMR)
WHERE e.status = 'DONE'
RETURN e.id AS id
ORDER BY id
