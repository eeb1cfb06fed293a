// Symptoms and findings that co-occur with a disease in records: among the records that assert the disease
// of the patient (a current, linked mention that is affirmed, the patient's and not hypothetical; with
// certainty including 'unknown', also one without an assertion yet), the concepts of the given types
// linked from their other current mentions whose assertion passes the filters (by default: present in the
// patient, now or before), ranked by the number of those records; `kg_has_symptom` tells whether the KG
// states it. Findings the records rule out are in pertinent_negatives.
// @param disease: concept  Disease concept id, e.g. 'Disease:肺炎'
// @param types: list[string] = ["Symptom","LabTest","ImagingExam","Check","Anatomy"]  concept labels to count
// @param certainty: list[certainty] = ["affirmed"]  the finding's: affirmed, negated, possible, unknown (no assertion yet), or any
// @param experiencer: list[experiencer] = ["patient"]  the finding's: patient, family, other, or any
// @param temporality: list[temporality] = ["current","historical"]  the finding's: current, historical, hypothetical, or any
// @param limit: int = 20  most rows
// @returns concept, name, type, records, share, kg_has_symptom
MATCH (d:Disease {id: $disease})<-[ld:REFERS_TO]-(dm:Mention {current: true})<-[:HAS_MENTION]-(e:EMR)
WHERE ld.current
  AND CASE WHEN dm.certainty IS NULL THEN 'unknown' IN $certainty
           ELSE dm.certainty = 'affirmed' AND dm.experiencer = 'patient' AND dm.temporality <> 'hypothetical' END
WITH d, collect(DISTINCT e) AS records
WITH d, records, size(records) AS total
UNWIND records AS e
MATCH (e)-[:HAS_MENTION]->(m:Mention {current: true})-[l:REFERS_TO]->(c:Concept)
WHERE l.current AND c <> d AND any(label IN labels(c) WHERE label IN $types)
  AND CASE WHEN m.certainty IS NULL THEN 'unknown' IN $certainty
           ELSE m.certainty IN $certainty AND m.experiencer IN $experiencer AND m.temporality IN $temporality END
WITH d, c, total, count(DISTINCT e) AS n
OPTIONAL MATCH (d)-[k:HAS_SYMPTOM]->(c)
RETURN c.id AS concept, c.name AS name, [x IN labels(c) WHERE x <> 'Concept'][0] AS type, n AS records,
       toFloat(n) / total AS share, k IS NOT NULL AND size([s IN k.sources WHERE NOT s IN coalesce(k.record_sources, [])]) > 0 AS kg_has_symptom
ORDER BY records DESC, concept
LIMIT $limit
