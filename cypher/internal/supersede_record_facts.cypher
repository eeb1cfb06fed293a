// Mark the current facts of records that this processing did not produce again as superseded
// (current = false, with the run that superseded them); nothing is deleted. Facts produced again
// keep their ids and stay current, so a re-run of the same extractor versions changes nothing.
// Parameters: $rows: list of {id, mention_ids, link_keys, relation_ids}; $run_id.
// Returns: fact_key, extractor (of each superseded positive relation mention that supported a
//   concept-level fact; a pertinent negative, polarity 'negative', supported none).
UNWIND $rows AS row
MATCH (e:EMR {id: row.id})
CALL (e, row) {
  MATCH (e)-[:HAS_MENTION]->(m:Mention)
  WHERE m.current AND NOT m.id IN row.mention_ids
  SET m.current = false, m.superseded_at = datetime(), m.superseded_by_run = $run_id
}
CALL (e, row) {
  MATCH (e)-[:HAS_MENTION]->(:Mention)-[l:REFERS_TO]->(:Concept)
  WHERE l.current AND NOT l.key IN row.link_keys
  SET l.current = false, l.superseded_at = datetime(), l.superseded_by_run = $run_id
}
CALL (e, row) {
  MATCH (rm:RelationMention {record_id: e.id})
  WHERE rm.current AND NOT rm.id IN row.relation_ids
  SET rm.current = false, rm.superseded_at = datetime(), rm.superseded_by_run = $run_id
  RETURN collect(DISTINCT [CASE WHEN coalesce(rm.polarity, 'positive') = 'positive' THEN rm.fact_key END,
                           rm.extractor]) AS keys
}
UNWIND keys AS key
WITH key WHERE key[0] IS NOT NULL
RETURN DISTINCT key[0] AS fact_key, key[1] AS extractor
