// Which of the given records exist already, and whether their stored text differs.
// A record created by another writer with only `id` and `text` has no sha256: its text is compared.
// Parameters: $rows: list of {id, sha256, text, ...}.
// Returns: id, differs (boolean).
UNWIND $rows AS row
MATCH (e:EMR {id: row.id})
RETURN e.id AS id, coalesce(e.sha256 <> row.sha256, e.text <> row.text, true) AS differs
