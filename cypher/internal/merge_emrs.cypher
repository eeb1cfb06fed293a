// Create the records that do not exist yet; an existing record is left exactly as it is (same id
// and same text: nothing changes; a different text goes through internal/replace_emrs instead).
// Parameters: $rows: list of {id, text, sha256, source, meta (JSON string or null)}.
// Returns: created (records created by this statement).
UNWIND $rows AS row
MERGE (e:EMR {id: row.id})
  ON CREATE SET e.text = row.text, e.sha256 = row.sha256, e.source = row.source, e.meta = row.meta,
                e.received_at = datetime(), e.status = 'NEW', e.attempts = 0, e.revision = 1,
                e._created = true
WITH e WHERE e._created
REMOVE e._created
RETURN count(e) AS created
