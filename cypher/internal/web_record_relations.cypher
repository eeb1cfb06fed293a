// The current relation mentions of one record, with their subject and object mentions and the concepts
// those link to.
// Parameters: $id.
// Returns: id, type, relationship_type, polarity, score, extractor, run_id, subject, subject_span,
//   subject_concept, object, object_span, object_concept.
MATCH (:EMR {id: $id})-[:HAS_MENTION]->(s:Mention)<-[:SUBJECT]-(rm:RelationMention)-[:OBJECT]->(o:Mention)
WHERE rm.current
OPTIONAL MATCH (s)-[ls:REFERS_TO]->(sc:Concept)
WHERE ls.current
OPTIONAL MATCH (o)-[lo:REFERS_TO]->(oc:Concept)
WHERE lo.current
WITH rm, s, o, head(collect(DISTINCT sc.id)) AS subject_concept, head(collect(DISTINCT oc.id)) AS object_concept
RETURN rm.id AS id, rm.type AS type, rm.relationship_type AS relationship_type,
       coalesce(rm.polarity, 'positive') AS polarity, rm.score AS score, rm.extractor AS extractor,
       rm.run_id AS run_id, s.text AS subject, [s.start, s.end] AS subject_span, subject_concept,
       o.text AS object, [o.start, o.end] AS object_span, object_concept
ORDER BY s.start, o.start, id
