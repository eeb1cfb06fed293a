// The live run of a KGE property: the one 'done' run (earlier ones are 'superseded').
// Parameters: $property. Returns: id, model, dim, relation_offsets (JSON), fold_in (JSON),
//   created_at, finished_at, nodes.
MATCH (run:EmbeddingRun {property: $property, status: 'done'})
RETURN run.id AS id, run.model AS model, run.dim AS dim, run.relation_offsets AS relation_offsets,
       run.fold_in AS fold_in, run.created_at AS created_at, run.finished_at AS finished_at,
       run.nodes AS nodes
ORDER BY run.finished_at DESC
LIMIT 1
