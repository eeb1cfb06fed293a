// One concept with all its properties and labels.
// Parameters: $id (business key, e.g. 'Disease:糖尿病').
// Returns: concept (map of properties plus `labels`); no row when there is no such concept.
MATCH (c:Concept {id: $id})
RETURN c {.*, labels: labels(c)} AS concept
