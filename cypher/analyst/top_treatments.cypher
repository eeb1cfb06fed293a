// Top treatments of one disease as found in records (the seed paper's Fig. 11 analog): drugs and
// operations ranked by the number of distinct records whose current relation mentions state the
// treatment, with the KG's own recommendation (RECOMMEND_DRUG / COMMON_DRUG) beside each.
// @param disease: concept  Disease concept id, e.g. 'Disease:肺炎'
// @param limit: int = 20  most rows
// @returns treatment, name, type, records, confidence, kg_recommends, kg_common
MATCH (d:Disease {id: $disease})-[r:TREATED_WITH|TREATED_BY_OPERATION]->(t:Concept)
WHERE coalesce(r.record_count, 0) > 0
OPTIONAL MATCH (d)-[rec:RECOMMEND_DRUG]->(t)
OPTIONAL MATCH (d)-[com:COMMON_DRUG]->(t)
RETURN t.id AS treatment, t.name AS name, [l IN labels(t) WHERE l <> 'Concept'][0] AS type,
       r.record_count AS records, r.confidence AS confidence, rec IS NOT NULL AS kg_recommends,
       com IS NOT NULL AS kg_common
ORDER BY records DESC, confidence DESC, treatment
LIMIT $limit
