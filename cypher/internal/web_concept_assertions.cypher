// How the records assert one concept: its current mentions with a current link per certainty, experiencer
// and temporality ('unknown' before the assertion step), with the records they sit in.
// Parameters: $id.
// Returns: certainty, experiencer, temporality, mentions, records.
MATCH (:Concept {id: $id})<-[l:REFERS_TO]-(m:Mention {current: true})
WHERE l.current
RETURN coalesce(m.certainty, 'unknown') AS certainty, coalesce(m.experiencer, 'unknown') AS experiencer,
       coalesce(m.temporality, 'unknown') AS temporality, count(DISTINCT m) AS mentions,
       count(DISTINCT m.record_id) AS records
ORDER BY mentions DESC, certainty, experiencer, temporality
