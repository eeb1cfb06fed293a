// Node counts per label (one pass over the nodes; one row per label in use).
// @returns label, count
MATCH (n)
UNWIND labels(n) AS label
RETURN label, count(*) AS count
ORDER BY label
