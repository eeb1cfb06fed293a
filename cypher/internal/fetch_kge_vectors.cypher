// KG vectors of the given concepts from one embedding run (trained or folded in by that run):
// what the tagger fuses, fetched by the concepts the gazetteer matched in a batch.
// Parameters: $ids (concept ids), $property (e.g. 'kge_transe'), $run_property ('kge_transe_run'),
//   $run_id.
// Returns: id, vector.
UNWIND $ids AS id
MATCH (c:Concept {id: id})
WHERE c[$property] IS NOT NULL AND c[$run_property] = $run_id
RETURN c.id AS id, c[$property] AS vector
