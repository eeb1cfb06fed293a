// One record for the web application's record page (no row when unknown).
// Parameters: $id.
// Returns: id, text, source, status, received_at, processed_at.
MATCH (e:EMR {id: $id})
RETURN e.id AS id, e.text AS text, e.source AS source, e.status AS status,
       toString(e.received_at) AS received_at, toString(e.processed_at) AS processed_at
