// Current mentions per type whose assertion passes the filters (by default what records assert of the
// patient; pass certainty=any experiencer=any temporality=any for every mention), and how many of them
// are linked to a KG concept or to a candidate concept (NIL) by a current link.
// @param certainty: list[certainty] = ["affirmed"]  affirmed, negated, possible, unknown (no assertion yet), or any
// @param experiencer: list[experiencer] = ["patient"]  patient, family, other, or any
// @param temporality: list[temporality] = ["current","historical"]  current, historical, hypothetical, or any
// @returns type, mentions, linked_kg, linked_candidate, unlinked
MATCH (m:Mention)
WHERE m.current
  AND CASE WHEN m.certainty IS NULL THEN 'unknown' IN $certainty
           ELSE m.certainty IN $certainty AND m.experiencer IN $experiencer AND m.temporality IN $temporality END
OPTIONAL MATCH (m)-[l:REFERS_TO]->(c:Concept)
WHERE l.current
WITH m.type AS type, m, max(CASE WHEN c IS NULL THEN 0 WHEN c.status = 'candidate' THEN 1 ELSE 2 END) AS link
RETURN type, count(m) AS mentions, count(CASE WHEN link = 2 THEN 1 END) AS linked_kg,
       count(CASE WHEN link = 1 THEN 1 END) AS linked_candidate, count(CASE WHEN link = 0 THEN 1 END) AS unlinked
ORDER BY mentions DESC, type
