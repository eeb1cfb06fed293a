// Records that mention every one of the given concepts (X and Y ...) through current, linked mentions,
// newest first, with the mention texts and offsets per concept.
// @param concepts: list[concept]  concept ids, e.g. ["Disease:肺炎","Drug:阿莫西林"]
// @param limit: int = 50  most rows
// @returns record, received_at, status, mentions
MATCH (c:Concept)
WHERE c.id IN $concepts
WITH collect(c) AS wanted
WHERE size(wanted) = size($concepts)
UNWIND wanted AS c
MATCH (c)<-[l:REFERS_TO]-(m:Mention {current: true})<-[:HAS_MENTION]-(e:EMR)
WHERE l.current
WITH e, wanted, collect(DISTINCT c) AS hit, collect({concept: c.id, text: m.text, start: m.start, end: m.end}) AS ms
WHERE size(hit) = size(wanted)
RETURN e.id AS record, e.received_at AS received_at, e.status AS status, ms AS mentions
ORDER BY received_at DESC, record
LIMIT $limit
