// Node counts per label (one pass over the nodes).
// Parameters: none. Returns: label, count (one row per label in use).
MATCH (n)
UNWIND labels(n) AS label
RETURN label, count(*) AS count
ORDER BY label
