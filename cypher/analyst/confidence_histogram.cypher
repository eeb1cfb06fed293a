// Concept-level relationships per confidence decile and origin (kg: asserted by a KG source only,
// records: record evidence only, both), the curators' view of where the low-confidence mass is.
// @returns bucket, origin, relationships
MATCH (:Concept)-[r]->(:Concept)
WITH r, size([s IN coalesce(r.sources, []) WHERE NOT s IN coalesce(r.record_sources, [])]) > 0 AS kg,
     coalesce(r.record_count, 0) > 0 AS rec
WITH CASE WHEN coalesce(r.confidence, 0.0) >= 1.0 THEN 9 ELSE toInteger(floor(coalesce(r.confidence, 0.0) * 10)) END
       AS bucket,
     CASE WHEN kg AND rec THEN 'both' WHEN kg THEN 'kg' WHEN rec THEN 'records' ELSE 'none' END AS origin
RETURN bucket, origin, count(*) AS relationships
ORDER BY bucket, origin
