// Which of the given concept ids exist, and for each missing one the ids of concepts whose name, or the
// part of whose id after the type, equals it (the hint for '-p disease=糖尿病' meant as 'Disease:糖尿病').
// Parameters: $ids (list of strings).
// Returns: id, found, suggestions (list of ids, at most 5).
UNWIND $ids AS id
OPTIONAL MATCH (c:Concept {id: id})
CALL (id, c) {
  OPTIONAL MATCH (s:Concept)
  WHERE c IS NULL AND (s.name = id OR s.id ENDS WITH ':' + id)
  WITH s ORDER BY s.id LIMIT 5
  RETURN collect(s.id) AS suggestions
}
RETURN id, c IS NOT NULL AS found, suggestions
