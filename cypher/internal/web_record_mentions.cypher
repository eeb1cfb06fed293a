// The current mentions of one record, in text order, with their assertion and their current links.
// Parameters: $id.
// Returns: id, start, end, text, type, score, extractor, run_id, certainty, temporality, experiencer, links
//   (list of {concept, name, type, score, method}).
MATCH (:EMR {id: $id})-[:HAS_MENTION]->(m:Mention {current: true})
CALL (m) {
  OPTIONAL MATCH (m)-[l:REFERS_TO]->(c:Concept)
  WHERE l.current
  WITH l, c ORDER BY l.score DESC, c.id
  RETURN [x IN collect({concept: c.id, name: c.name, type: [label IN labels(c) WHERE label <> 'Concept'][0],
                        score: l.score, method: l.method}) WHERE x.concept IS NOT NULL] AS links
}
RETURN m.id AS id, m.start AS start, m.end AS end, m.text AS text, m.type AS type, m.score AS score,
       m.extractor AS extractor, m.run_id AS run_id, m.certainty AS certainty, m.temporality AS temporality,
       m.experiencer AS experiencer, links
ORDER BY start, end DESC, id
