// Last step of a write-back, in the same transaction as the vectors it makes visible: vectors of
// other runs of this property are removed (a node's vector always comes from the run it names, and
// runs' spaces are not comparable), earlier 'done' runs become 'superseded', this run 'done'.
// Parameters: $run_id, $property, $run_property, $folded, $nodes (concepts written).
// Returns: cleared, superseded (no row when the run is no longer 'writing').
MATCH (run:EmbeddingRun {id: $run_id})
WHERE run.status = 'writing'
CALL (run) {
  MATCH (c:Concept)
  WHERE c[$run_property] IS NOT NULL AND c[$run_property] <> $run_id
  SET c[$property] = null, c[$run_property] = null, c[$folded] = null
  RETURN count(c) AS cleared
}
CALL (run) {
  MATCH (old:EmbeddingRun {property: $property, status: 'done'})
  WHERE old.id <> $run_id
  SET old.status = 'superseded', old.superseded_by = $run_id
  RETURN count(old) AS superseded
}
SET run.status = 'done', run.finished_at = datetime(), run.nodes = $nodes
RETURN cleared, superseded
