// Relation mentions between two mentions of one record. Returns the fact keys of those created or
// revived here, whose concept-level relationship needs its evidence recomputed.
// Parameters: $rows: list of {id, record_id, predicate, type, score, extractor, subject, object,
//   fact_key, precision}; $run_id.
// Returns: fact_key, extractor (one row per created or revived relation mention; fact_key null
//   without a concept-level fact).
UNWIND $rows AS row
MATCH (s:Mention {id: row.subject})
MATCH (o:Mention {id: row.object})
MERGE (rm:RelationMention {id: row.id})
  ON CREATE SET rm.record_id = row.record_id, rm.type = row.predicate, rm.relationship_type = row.type,
                rm.score = row.score, rm.extractor = row.extractor, rm.run_id = $run_id,
                rm.fact_key = row.fact_key, rm.precision = row.precision, rm.current = true, rm.created_at = datetime(), rm._changed = true
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
RETURN rm.fact_key AS fact_key, rm.extractor AS extractor
