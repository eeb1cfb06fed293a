// Concepts without a vector, each with its relationships (of the run's relation types) to concepts
// whose vector comes from the live run: the evidence for fold-in (empty when there is none).
// Parameters: $property, $run_property, $run_id, $relations (relation types the run knows).
// Returns: id, evidence (list of {relation, direction ('out': the concept is the head), vector}).
MATCH (c:Concept)
WHERE c[$property] IS NULL AND c.id IS NOT NULL
WITH c, COLLECT {
  MATCH (c)-[r]->(o:Concept)
  WHERE type(r) IN $relations AND o[$run_property] = $run_id AND o[$property] IS NOT NULL
  RETURN {relation: type(r), direction: 'out', vector: o[$property]} AS item
  UNION ALL
  MATCH (c)<-[r]-(o:Concept)
  WHERE type(r) IN $relations AND o[$run_property] = $run_id AND o[$property] IS NOT NULL
  RETURN {relation: type(r), direction: 'in', vector: o[$property]} AS item
} AS evidence
RETURN c.id AS id, evidence
ORDER BY id
