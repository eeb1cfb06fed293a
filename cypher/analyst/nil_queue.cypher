// The candidate-concept (NIL) queue: mention texts the linker found no KG concept for, by the number
// of current mentions linked to them, with a few record ids to look at.
// @param type: string? = null  a concept label (e.g. 'Symptom'), or null for all
// @param limit: int = 50  most rows
// @returns candidate, name, type, mentions, records, examples
MATCH (c:Concept {status: 'candidate'})<-[l:REFERS_TO]-(m:Mention {current: true})
WHERE l.current AND ($type IS NULL OR $type IN labels(c))
WITH c, count(m) AS mentions, collect(DISTINCT m.record_id) AS recs
RETURN c.id AS candidate, c.name AS name, [x IN labels(c) WHERE x <> 'Concept'][0] AS type, mentions,
       size(recs) AS records, recs[0..3] AS examples
ORDER BY mentions DESC, candidate
LIMIT $limit
