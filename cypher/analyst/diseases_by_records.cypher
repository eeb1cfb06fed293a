// Diseases ranked by the number of records that mention them (current mentions with a current link),
// with the number of record-derived treatment facts (TREATED_WITH / TREATED_BY_OPERATION) each has.
// @param limit: int = 20  most rows
// @returns disease, name, records, treatments
MATCH (d:Disease)<-[l:REFERS_TO]-(m:Mention {current: true})
WHERE l.current
WITH d, count(DISTINCT m.record_id) AS records
RETURN d.id AS disease, d.name AS name, records,
       COUNT { (d)-[r:TREATED_WITH|TREATED_BY_OPERATION]->() WHERE coalesce(r.record_count, 0) > 0 } AS treatments
ORDER BY records DESC, treatments DESC, disease
LIMIT $limit
