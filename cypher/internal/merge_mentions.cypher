// Mentions of records, each linked from its record. A mention produced again (same id) is left as
// it is; one that had been superseded becomes current again, naming the run that revived it.
// The assertion (certainty, temporality, experiencer, assertion_cue, assertion_cue_offsets as a flat
// [start, end, ...] list, section, assertion_extractor) is part of the mention's id, so it is only set
// on creation; all of them are null when no assertion plugin ran.
// Parameters: $rows: list of {id, record_id, start, end, text, type, score, extractor, text_sha256,
//   certainty, temporality, experiencer, assertion_cue, assertion_cue_offsets, section,
//   assertion_extractor}; $run_id.
// Returns: created.
UNWIND $rows AS row
MATCH (e:EMR {id: row.record_id})
MERGE (m:Mention {id: row.id})
  ON CREATE SET m.record_id = row.record_id, m.start = row.start, m.end = row.end, m.text = row.text,
                m.type = row.type, m.score = row.score, m.extractor = row.extractor, m.run_id = $run_id,
                m.text_sha256 = row.text_sha256, m.certainty = row.certainty, m.temporality = row.temporality,
                m.experiencer = row.experiencer, m.assertion_cue = row.assertion_cue,
                m.assertion_cue_offsets = row.assertion_cue_offsets, m.section = row.section,
                m.assertion_extractor = row.assertion_extractor,
                m.current = true, m.created_at = datetime(), m._created = true
MERGE (e)-[:HAS_MENTION]->(m)
WITH m
CALL (m) {
  WITH m WHERE NOT m.current
  SET m.current = true, m.superseded_at = null, m.superseded_by_run = null, m.revived_by_run = $run_id
}
WITH m WHERE m._created
REMOVE m._created
RETURN count(m) AS created
