// Mentions of records, each linked from its record. A mention produced again (same id) is left as
// it is; one that had been superseded becomes current again, naming the run that revived it.
// Parameters: $rows: list of {id, record_id, start, end, text, type, score, extractor, text_sha256};
//   $run_id.
// Returns: created.
UNWIND $rows AS row
MATCH (e:EMR {id: row.record_id})
MERGE (m:Mention {id: row.id})
  ON CREATE SET m.record_id = row.record_id, m.start = row.start, m.end = row.end, m.text = row.text,
                m.type = row.type, m.score = row.score, m.extractor = row.extractor, m.run_id = $run_id,
                m.text_sha256 = row.text_sha256, m.current = true, m.created_at = datetime(), m._created = true
MERGE (e)-[:HAS_MENTION]->(m)
WITH m
CALL (m) {
  WITH m WHERE NOT m.current
  SET m.current = true, m.superseded_at = null, m.superseded_by_run = null, m.revived_by_run = $run_id
}
WITH m WHERE m._created
REMOVE m._created
RETURN count(m) AS created
