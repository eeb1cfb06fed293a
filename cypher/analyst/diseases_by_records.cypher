// Diseases ranked by the number of records that assert them (current mentions with a current link whose
// assertion passes the filters: by default the records that say the patient has or had the disease, not
// those that deny it, doubt it, or give it to a relative), with the records whose mentions of it carry no
// assertion yet (`unknown_records`: processed before the assertion step) and the number of record-derived
// treatment facts (TREATED_WITH / TREATED_BY_OPERATION / TREATED_BY_PROCEDURE) each has.
// @param certainty: list[certainty] = ["affirmed"]  affirmed, negated, possible, unknown (no assertion yet), or any
// @param experiencer: list[experiencer] = ["patient"]  whose disease: patient, family, other, or any
// @param temporality: list[temporality] = ["current","historical"]  current, historical, hypothetical, or any
// @param limit: int = 20  most rows
// @returns disease, name, records, unknown_records, treatments
MATCH (d:Disease)<-[l:REFERS_TO]-(m:Mention {current: true})
WHERE l.current
WITH d, m, CASE WHEN m.certainty IS NULL THEN 'unknown' IN $certainty
                ELSE m.certainty IN $certainty AND m.experiencer IN $experiencer AND m.temporality IN $temporality
           END AS wanted
WITH d, count(DISTINCT CASE WHEN wanted THEN m.record_id END) AS records,
     count(DISTINCT CASE WHEN m.certainty IS NULL THEN m.record_id END) AS unknown_records
WHERE records > 0 OR unknown_records > 0
RETURN d.id AS disease, d.name AS name, records, unknown_records,
       COUNT { (d)-[r:TREATED_WITH|TREATED_BY_OPERATION|TREATED_BY_PROCEDURE]->() WHERE coalesce(r.record_count, 0) > 0 } AS treatments
ORDER BY records DESC, unknown_records DESC, treatments DESC, disease
LIMIT $limit
