// Current mentions per type and month of the record's arrival (received_at), oldest month first, counting
// those whose assertion passes the filters (by default what records assert of the patient).
// @param type: string? = null  a mention type (e.g. 'Disease'), or null for all
// @param certainty: list[certainty] = ["affirmed"]  affirmed, negated, possible, unknown (no assertion yet), or any
// @param experiencer: list[experiencer] = ["patient"]  patient, family, other, or any
// @param temporality: list[temporality] = ["current","historical"]  current, historical, hypothetical, or any
// @returns month, type, mentions, records
MATCH (e:EMR)-[:HAS_MENTION]->(m:Mention {current: true})
WHERE ($type IS NULL OR m.type = $type)
  AND CASE WHEN m.certainty IS NULL THEN 'unknown' IN $certainty
           ELSE m.certainty IN $certainty AND m.experiencer IN $experiencer AND m.temporality IN $temporality END
WITH toString(date.truncate('month', e.received_at)) AS day, m.type AS type, count(m) AS mentions,
     count(DISTINCT e) AS records
RETURN substring(day, 0, 7) AS month, type, mentions, records
ORDER BY month, mentions DESC, type
