// The provenance of record-derived concept-level relationships, down to record, span, extractor
// version and run: for each current relation mention supporting a fact, its two mentions (text,
// offsets, extractor, run) and the record. Without $fact_key, the facts with the most records first.
// By default only the positive relation mentions (the fact's evidence); polarity 'negative' gives the
// pertinent negatives instead (the record asserts the disease and rules the finding out: not evidence).
// @param fact_key: string? = null  '<head id>|<TYPE>|<tail id>', or null for the best supported facts
// @param polarity: string? = "positive"  'positive' (evidence), 'negative' (pertinent negatives), or null for both
// @param limit: int = 20  most rows
// @returns head, type, tail, polarity, confidence, record_count, sources, record, subject, subject_span, object, object_span, predicate, relation_extractor, ner_extractor, run, run_started_at
MATCH (rm:RelationMention)
WHERE rm.current AND rm.fact_key IS NOT NULL AND ($fact_key IS NULL OR rm.fact_key = $fact_key)
  AND ($polarity IS NULL OR coalesce(rm.polarity, 'positive') = $polarity)
MATCH (rm)-[:SUBJECT]->(s:Mention)<-[:HAS_MENTION]-(e:EMR)
MATCH (rm)-[:OBJECT]->(o:Mention)
MATCH (s)-[ls:REFERS_TO]->(h:Concept)
WHERE ls.current
MATCH (o)-[lo:REFERS_TO]->(t:Concept)
WHERE lo.current
MATCH (h)-[r]->(t)
WHERE type(r) = rm.relationship_type
OPTIONAL MATCH (run:Run {id: rm.run_id})
RETURN h.id AS head, type(r) AS type, t.id AS tail, coalesce(rm.polarity, 'positive') AS polarity, r.confidence AS confidence, r.record_count AS record_count,
       r.sources AS sources, e.id AS record, s.text AS subject, [s.start, s.end] AS subject_span, o.text AS object,
       [o.start, o.end] AS object_span, rm.type AS predicate, rm.extractor AS relation_extractor,
       s.extractor AS ner_extractor, rm.run_id AS run, run.started_at AS run_started_at
ORDER BY record_count DESC, confidence DESC, head, tail, record
LIMIT $limit
