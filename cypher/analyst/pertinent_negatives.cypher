// Pertinent negatives of a disease: among the records that assert the disease of the patient (a current,
// linked mention that is affirmed, the patient's and not hypothetical), the findings of the given types
// that those records explicitly rule out (a current, linked mention with certainty 'negated': 无发热,
// 否认糖尿病, 乙肝表面抗原（-）), ranked by the number of records that rule them out, with how many of the
// same records state them present (affirmed) beside it. Mentions without an assertion are never counted.
// @param disease: concept  Disease concept id, e.g. 'Disease:脑梗死'
// @param types: list[string] = ["Symptom","Disease","LabTest","ImagingExam","Check"]  concept labels of the findings
// @param experiencer: list[experiencer] = ["patient"]  whose finding is ruled out: patient, family, other, or any
// @param temporality: list[temporality] = ["current","historical"]  current, historical, hypothetical, or any
// @param limit: int = 20  most rows
// @returns concept, name, type, absent_records, present_records, records, absent_share, kg_has_symptom
MATCH (d:Disease {id: $disease})<-[ld:REFERS_TO]-(dm:Mention {current: true})<-[:HAS_MENTION]-(e:EMR)
WHERE ld.current AND dm.certainty = 'affirmed' AND dm.experiencer = 'patient' AND dm.temporality <> 'hypothetical'
WITH d, collect(DISTINCT e) AS records
WITH d, records, size(records) AS total
UNWIND records AS e
MATCH (e)-[:HAS_MENTION]->(m:Mention {current: true})-[l:REFERS_TO]->(c:Concept)
WHERE l.current AND c <> d AND any(label IN labels(c) WHERE label IN $types) AND m.certainty IS NOT NULL
  AND m.experiencer IN $experiencer AND m.temporality IN $temporality
WITH d, c, total, count(DISTINCT CASE WHEN m.certainty = 'negated' THEN e END) AS absent,
     count(DISTINCT CASE WHEN m.certainty = 'affirmed' THEN e END) AS present
WHERE absent > 0
OPTIONAL MATCH (d)-[k:HAS_SYMPTOM]->(c)
RETURN c.id AS concept, c.name AS name, [x IN labels(c) WHERE x <> 'Concept'][0] AS type,
       absent AS absent_records, present AS present_records, total AS records,
       toFloat(absent) / total AS absent_share,
       k IS NOT NULL AND size([s IN k.sources WHERE NOT s IN coalesce(k.record_sources, [])]) > 0 AS kg_has_symptom
ORDER BY absent_records DESC, present_records, concept
LIMIT $limit
