// Top treatments of one disease as found in records (the seed paper's Fig. 11 analog): drugs,
// operations and procedures ranked by the number of distinct record texts whose current, positive relation mentions
// state the treatment and whose treatment mention's assertion passes the filters (by default: given to
// the patient, now or before; the relation extractors already leave out denied, doubted, hypothetical
// and relatives' mentions), with the KG's own recommendation (RECOMMEND_DRUG / COMMON_DRUG) beside each.
// @param disease: concept  Disease concept id, e.g. 'Disease:肺炎'
// @param certainty: list[certainty] = ["affirmed"]  the treatment mention's: affirmed, negated, possible, unknown (no assertion yet), or any
// @param experiencer: list[experiencer] = ["patient"]  the treatment mention's: patient, family, other, or any
// @param temporality: list[temporality] = ["current","historical"]  the treatment mention's: current, historical, hypothetical, or any
// @param limit: int = 20  most rows
// @returns treatment, name, type, records, confidence, kg_recommends, kg_common
MATCH (d:Disease {id: $disease})-[r:TREATED_WITH|TREATED_BY_OPERATION|TREATED_BY_PROCEDURE]->(t:Concept)
WHERE coalesce(r.record_count, 0) > 0
CALL (d, r, t) {
  MATCH (rm:RelationMention {fact_key: d.id + '|' + type(r) + '|' + t.id})-[:OBJECT]->(m:Mention)
  WHERE rm.current AND coalesce(rm.polarity, 'positive') = 'positive'
    AND CASE WHEN m.certainty IS NULL THEN 'unknown' IN $certainty
             ELSE m.certainty IN $certainty AND m.experiencer IN $experiencer AND m.temporality IN $temporality END
  RETURN count(DISTINCT coalesce(rm.text_sha256, rm.record_id)) AS records
}
WITH d, r, t, records
WHERE records > 0
OPTIONAL MATCH (d)-[rec:RECOMMEND_DRUG]->(t)
OPTIONAL MATCH (d)-[com:COMMON_DRUG]->(t)
RETURN t.id AS treatment, t.name AS name, [l IN labels(t) WHERE l <> 'Concept'][0] AS type,
       records, r.confidence AS confidence, rec IS NOT NULL AS kg_recommends, com IS NOT NULL AS kg_common
ORDER BY records DESC, confidence DESC, treatment
LIMIT $limit
