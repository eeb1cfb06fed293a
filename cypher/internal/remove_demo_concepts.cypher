// `medkg demo --clean`, after its records and relationships: the demo's KG source leaves every concept's
// `sources`; a concept left with no source and no relationship at all (to a concept, or from a mention
// referring to it) goes, and so does each candidate concept of $candidates that nothing refers to any
// more. Then the KGSource node of the demo.
// Parameters: $source (the demo's KG source name), $candidates (ids of candidate concepts the demo's
//   mentions referred to).
// Returns: removed (concepts deleted), kept (concepts that lost the demo's source, or candidates still
//   referred to, and stay), kg_sources (KGSource nodes deleted).
CALL () {
  MATCH (c:Concept)
  WHERE $source IN c.sources
  SET c.sources = [s IN c.sources WHERE s <> $source]
  RETURN collect(c) AS listed
}
CALL () {
  UNWIND $candidates AS candidate_id
  MATCH (c:Concept {id: candidate_id, status: 'candidate'})
  RETURN collect(c) AS candidates
}
CALL (listed, candidates) {
  UNWIND listed + candidates AS c
  WITH DISTINCT c
  WITH c, (c.status = 'candidate' OR size(c.sources) = 0) AND NOT EXISTS { (c)--() } AS gone
  CALL (c, gone) {
    WITH c, gone
    WHERE gone
    DELETE c
  }
  RETURN count(CASE WHEN gone THEN 1 END) AS removed, count(CASE WHEN NOT gone THEN 1 END) AS kept
}
CALL () {
  OPTIONAL MATCH (s:KGSource {id: $source})
  DETACH DELETE s
  RETURN count(s) AS kg_sources
}
RETURN removed, kept, kg_sources
