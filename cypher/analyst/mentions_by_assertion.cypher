// Current mentions per type and assertion (certainty, experiencer, temporality; 'unknown' for a mention
// written before the assertion step), with the records they sit in: how much of what the records mention
// they assert of the patient, rule out, doubt, place in the past or give to a relative.
// @param type: string? = null  a mention type (e.g. 'Symptom'), or null for all
// @returns type, certainty, experiencer, temporality, mentions, records
MATCH (m:Mention {current: true})
WHERE $type IS NULL OR m.type = $type
RETURN m.type AS type, coalesce(m.certainty, 'unknown') AS certainty,
       coalesce(m.experiencer, 'unknown') AS experiencer, coalesce(m.temporality, 'unknown') AS temporality,
       count(m) AS mentions, count(DISTINCT m.record_id) AS records
ORDER BY type, mentions DESC, certainty, experiencer, temporality
