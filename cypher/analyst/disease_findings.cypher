// Symptoms and findings that co-occur with a disease in records: among the records with a current
// mention linked to the disease, the concepts of the given types linked from their other current
// mentions, ranked by the number of those records; `kg_has_symptom` tells whether the KG states it.
// @param disease: concept  Disease concept id, e.g. 'Disease:肺炎'
// @param types: list[string] = ["Symptom","LabTest","ImagingExam","Check","Anatomy"]  concept labels to count
// @param limit: int = 20  most rows
// @returns concept, name, type, records, share, kg_has_symptom
MATCH (d:Disease {id: $disease})<-[ld:REFERS_TO]-(:Mention {current: true})<-[:HAS_MENTION]-(e:EMR)
WHERE ld.current
WITH d, collect(DISTINCT e) AS records
WITH d, records, size(records) AS total
UNWIND records AS e
MATCH (e)-[:HAS_MENTION]->(m:Mention {current: true})-[l:REFERS_TO]->(c:Concept)
WHERE l.current AND c <> d AND any(label IN labels(c) WHERE label IN $types)
WITH d, c, total, count(DISTINCT e) AS n
OPTIONAL MATCH (d)-[k:HAS_SYMPTOM]->(c)
RETURN c.id AS concept, c.name AS name, [x IN labels(c) WHERE x <> 'Concept'][0] AS type, n AS records,
       toFloat(n) / total AS share, k IS NOT NULL AND size([s IN k.sources WHERE NOT s IN coalesce(k.record_sources, [])]) > 0 AS kg_has_symptom
ORDER BY records DESC, concept
LIMIT $limit
