// One negated mention of the demo's records, for `medkg demo` to show what the assertion step did: the
// mention with its cue and section, and the relationships from the diseases its record asserts of the
// patient to the negated concept, with their record evidence and how much of it comes from this record
// (none: a negated finding is never evidence). A mention with such a relationship (a KG symptom the record
// rules out) is preferred; then the first by record and offset.
// Parameters: $prefix (the demo's record id prefix).
// Returns: record, text, start, end, concept, certainty, cue, section, facts (list of {head, type, tail,
//   record_count, sources, from_this_record}), pertinent_negatives (relation mentions that keep this mention
//   as a pertinent negative), positive_relation_mentions (its current positive relation mentions: 0).
MATCH (e:EMR)-[:HAS_MENTION]->(m:Mention {current: true, certainty: 'negated'})-[l:REFERS_TO]->(c:Concept)
WHERE l.current AND e.id STARTS WITH $prefix
CALL (e, c) {
  OPTIONAL MATCH (e)-[:HAS_MENTION]->(dm:Mention {current: true, certainty: 'affirmed', experiencer: 'patient'})
                 -[ld:REFERS_TO]->(d:Disease)-[r]->(c)
  WHERE ld.current AND d <> c AND dm.temporality <> 'hypothetical'
  WITH e, c, d, r
  WHERE r IS NOT NULL
  RETURN collect(DISTINCT {head: d.name, type: type(r), tail: c.name, record_count: coalesce(r.record_count, 0),
                           sources: coalesce(r.sources, []),
                           from_this_record: COUNT { MATCH (p:RelationMention {fact_key: d.id + '|' + type(r) + '|' + c.id})
                                                     WHERE p.current AND p.record_id = e.id
                                                       AND coalesce(p.polarity, 'positive') = 'positive' }}) AS facts
}
WITH e, m, c, facts
ORDER BY size(facts) > 0 DESC, e.id, m.start
LIMIT 1
RETURN e.id AS record, m.text AS text, m.start AS start, m.end AS end, c.id AS concept, m.certainty AS certainty,
       m.assertion_cue AS cue, m.section AS section, facts,
       COUNT { MATCH (n:RelationMention)-[:OBJECT]->(m) WHERE n.current AND n.polarity = 'negative' }
         AS pertinent_negatives,
       COUNT { MATCH (p:RelationMention)-[:SUBJECT|OBJECT]->(m)
               WHERE p.current AND coalesce(p.polarity, 'positive') = 'positive' } AS positive_relation_mentions
