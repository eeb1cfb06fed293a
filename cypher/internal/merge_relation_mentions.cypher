// Relation mentions between two mentions of one record. Returns the fact keys of the positive ones
// created or revived here, whose concept-level relationship needs its evidence recomputed (a pertinent
// negative changes no evidence).
// polarity: 'positive' (evidence) or 'negative' (a pertinent negative: the object is a finding the record
// says is absent; never counted as evidence); temporality: 'historical' when either mention is, else
// 'current'; text_sha256: the record text's checksum (identical texts count once as evidence).
// Parameters: $rows: list of {id, record_id, predicate, type, score, extractor, subject, object,
//   fact_key, precision, polarity, temporality, text_sha256}; $run_id.
// Returns: fact_key, extractor (one row per created or revived relation mention; fact_key null
//   without a concept-level fact, or for a negative one).
UNWIND $rows AS row
MATCH (s:Mention {id: row.subject})
MATCH (o:Mention {id: row.object})
MERGE (rm:RelationMention {id: row.id})
  ON CREATE SET rm.record_id = row.record_id, rm.type = row.predicate, rm.relationship_type = row.type,
                rm.score = row.score, rm.extractor = row.extractor, rm.run_id = $run_id,
                rm.fact_key = row.fact_key, rm.precision = row.precision, rm.polarity = row.polarity,
                rm.temporality = row.temporality, rm.text_sha256 = row.text_sha256,
                rm.current = true, rm.created_at = datetime(), rm._changed = true
MERGE (rm)-[:SUBJECT]->(s)
MERGE (rm)-[:OBJECT]->(o)
WITH rm
CALL (rm) {
  WITH rm WHERE NOT rm.current
  SET rm.current = true, rm.superseded_at = null, rm.superseded_by_run = null, rm.revived_by_run = $run_id,
      rm._changed = true
}
WITH rm WHERE rm._changed
REMOVE rm._changed
RETURN CASE WHEN coalesce(rm.polarity, 'positive') = 'positive' THEN rm.fact_key END AS fact_key,
       rm.extractor AS extractor
