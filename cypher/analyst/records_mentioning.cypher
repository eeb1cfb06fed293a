// Records that mention every one of the given concepts (X and Y ...) through current, linked mentions
// whose assertion passes the filters (by default: each concept affirmed of the patient, now or before, so
// a record that says 否认糖尿病 is not a record of diabetes), newest first, with the mention texts, offsets
// and assertions per concept.
// @param concepts: list[concept]  concept ids, e.g. ["Disease:肺炎","Drug:阿莫西林"]
// @param certainty: list[certainty] = ["affirmed"]  affirmed, negated, possible, unknown (no assertion yet), or any
// @param experiencer: list[experiencer] = ["patient"]  patient, family, other, or any
// @param temporality: list[temporality] = ["current","historical"]  current, historical, hypothetical, or any
// @param limit: int = 50  most rows
// @returns record, received_at, status, mentions
MATCH (c:Concept)
WHERE c.id IN $concepts
WITH collect(c) AS wanted
WHERE size(wanted) = size($concepts)
UNWIND wanted AS c
MATCH (c)<-[l:REFERS_TO]-(m:Mention {current: true})<-[:HAS_MENTION]-(e:EMR)
WHERE l.current
  AND CASE WHEN m.certainty IS NULL THEN 'unknown' IN $certainty
           ELSE m.certainty IN $certainty AND m.experiencer IN $experiencer AND m.temporality IN $temporality END
WITH e, wanted, collect(DISTINCT c) AS hit,
     collect({concept: c.id, text: m.text, start: m.start, end: m.end,
              certainty: coalesce(m.certainty, 'unknown'), experiencer: coalesce(m.experiencer, 'unknown'),
              temporality: coalesce(m.temporality, 'unknown'), cue: m.assertion_cue}) AS ms
WHERE size(hit) = size(wanted)
RETURN e.id AS record, e.received_at AS received_at, e.status AS status, ms AS mentions
ORDER BY received_at DESC, record
LIMIT $limit
