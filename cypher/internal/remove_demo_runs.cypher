// `medkg demo --clean`, first step: the watcher runs that processed nothing but demo records, then
// the extractors the demo registered (`written_by: $source`) that no remaining run used. A run that
// also processed other records is kept: it is their provenance.
// Parameters: $source (EMR.source of the demo's records), $prefix (the id prefix of its records).
// Returns: runs, extractors (nodes deleted).
CALL () {
  MATCH (e:EMR {source: $source})
  RETURN collect(e.id) AS ids
}
CALL (ids) {
  MATCH (run:Run)
  WHERE size(coalesce(run.record_ids, [])) > 0
    AND all(id IN run.record_ids WHERE id IN ids OR id STARTS WITH $prefix)
  DETACH DELETE run
  RETURN count(*) AS runs
}
CALL () {
  MATCH (x:Extractor {written_by: $source})
  WHERE NOT EXISTS { (:Run)-[:USED]->(x) }
  DETACH DELETE x
  RETURN count(*) AS extractors
}
RETURN runs, extractors
