// Records that mention one concept through current mentions with a current link, newest first, each with
// its mentions of the concept counted per certainty ('unknown' for a mention written before the assertion step).
// Parameters: $id, $limit.
// Returns: record, received_at, mentions, affirmed, negated, possible, unknown, texts.
MATCH (:Concept {id: $id})<-[l:REFERS_TO]-(m:Mention {current: true})<-[:HAS_MENTION]-(e:EMR)
WHERE l.current
WITH e, collect(DISTINCT m) AS ms
WITH e, ms, [m IN ms | coalesce(m.certainty, 'unknown')] AS certainty
RETURN e.id AS record, toString(e.received_at) AS received_at, size(ms) AS mentions,
       size([x IN certainty WHERE x = 'affirmed']) AS affirmed,
       size([x IN certainty WHERE x = 'negated']) AS negated,
       size([x IN certainty WHERE x = 'possible']) AS possible,
       size([x IN certainty WHERE x = 'unknown']) AS unknown,
       [m IN ms | m.text] AS texts
ORDER BY received_at DESC, record
LIMIT $limit
