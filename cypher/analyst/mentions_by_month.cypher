// Current mentions per type and month of the record's arrival (received_at), oldest month first.
// @param type: string? = null  a mention type (e.g. 'Disease'), or null for all
// @returns month, type, mentions, records
MATCH (e:EMR)-[:HAS_MENTION]->(m:Mention {current: true})
WHERE $type IS NULL OR m.type = $type
WITH toString(date.truncate('month', e.received_at)) AS day, m.type AS type, count(m) AS mentions,
     count(DISTINCT e) AS records
RETURN substring(day, 0, 7) AS month, type, mentions, records
ORDER BY month, mentions DESC, type
