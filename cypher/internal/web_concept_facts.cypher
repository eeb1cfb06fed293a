// The concept-level relationships of one concept, both directions, for the web application's concept page:
// per relationship its KG sources (sources that are not record extractors), record support and confidence.
// Parameters: $id, $limit.
// Returns: type, outgoing, other_id, other_name, other_type, kg_sources, record_sources, record_count, confidence.
MATCH (c:Concept {id: $id})-[r]-(o:Concept)
RETURN type(r) AS type, startNode(r) = c AS outgoing, o.id AS other_id, o.name AS other_name,
       [label IN labels(o) WHERE label <> 'Concept'][0] AS other_type,
       [s IN coalesce(r.sources, []) WHERE NOT s IN coalesce(r.record_sources, [])] AS kg_sources,
       coalesce(r.record_sources, []) AS record_sources, coalesce(r.record_count, 0) AS record_count,
       r.confidence AS confidence
ORDER BY type, outgoing DESC, confidence DESC, other_id
LIMIT $limit
