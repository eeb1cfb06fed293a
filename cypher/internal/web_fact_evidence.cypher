// The record spans behind one concept-level fact, for the web application's fact page: every current
// relation mention whose fact_key is the fact's (both polarities: positive ones are its evidence,
// negative ones the pertinent negatives), with its record, the two mentions' text and offsets, the
// sentence context around them (at most $context characters either side), the relation extractor with
// the precision and score its evidence is weighed by, the NER extractor, and the run.
// Parameters: $key ('<head id>|<TYPE>|<tail id>'), $context, $limit.
// Returns: id, record, text_sha256, polarity, score, precision, extractor, ner_extractor, run, run_started_at,
//   subject, subject_start, subject_end, object, object_start, object_end, context_start, context.
MATCH (rm:RelationMention {fact_key: $key})
WHERE rm.current
MATCH (rm)-[:SUBJECT]->(s:Mention)<-[:HAS_MENTION]-(e:EMR)
MATCH (rm)-[:OBJECT]->(o:Mention)
OPTIONAL MATCH (run:Run {id: rm.run_id})
WITH rm, s, o, e, run,
     CASE WHEN s.start < o.start THEN s.start ELSE o.start END AS first,
     CASE WHEN s.end > o.end THEN s.end ELSE o.end END AS last
WITH rm, s, o, e, run, CASE WHEN first - $context < 0 THEN 0 ELSE first - $context END AS from, last + $context AS to
RETURN rm.id AS id, e.id AS record, rm.text_sha256 AS text_sha256, coalesce(rm.polarity, 'positive') AS polarity,
       rm.score AS score, rm.precision AS precision, rm.extractor AS extractor, s.extractor AS ner_extractor,
       rm.run_id AS run, toString(run.started_at) AS run_started_at,
       s.text AS subject, s.start AS subject_start, s.end AS subject_end,
       o.text AS object, o.start AS object_start, o.end AS object_end,
       from AS context_start, substring(coalesce(e.text, ''), from, to - from) AS context
ORDER BY polarity DESC, extractor, record, subject_start, object_start
LIMIT $limit
