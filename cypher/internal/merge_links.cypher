// Links from mentions to concepts, one REFERS_TO per (mention, concept, link extractor); revived
// when superseded earlier.
// Parameters: $rows: list of {key, mention_id, concept_id, score, method, extractor}; $run_id.
// Returns: created.
UNWIND $rows AS row
MATCH (m:Mention {id: row.mention_id})
MATCH (c:Concept {id: row.concept_id})
MERGE (m)-[l:REFERS_TO {key: row.key}]->(c)
  ON CREATE SET l.score = row.score, l.method = row.method, l.extractor = row.extractor, l.run_id = $run_id,
                l.current = true, l.created_at = datetime(), l._created = true
WITH l
CALL (l) {
  WITH l WHERE NOT l.current
  SET l.current = true, l.superseded_at = null, l.superseded_by_run = null, l.revived_by_run = $run_id
}
WITH l WHERE l._created
REMOVE l._created
RETURN count(l) AS created
