// One concept with all its properties and labels (no row when there is no such concept).
// @param id: concept  business key, e.g. 'Disease:糖尿病'
// @returns concept
MATCH (c:Concept {id: $id})
RETURN c {.*, labels: labels(c)} AS concept
