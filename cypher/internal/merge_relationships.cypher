// Merge concept relationships and reconcile their sources.
// Each relationship keeps parallel lists `sources` and `source_confidence` (one entry per source).
// `confidence` is the noisy-OR of the sources' confidences, 1 - prod(1 - c_s); `evidence_count`
// is the number of sources. A new relationship is written in one step. On an existing one, each
// row's sources replace their own earlier entries and the others are kept; when every source of
// the row is already recorded with the same confidence nothing is written, so loading a source
// twice is a no-op.
// The type is dynamic here; graph/kg/loader.py specialises `$(row.type)` to one allow-listed type
// per statement (RELATION_TYPES in kgmodel/model.py): with a static type the planner expands from
// the side with fewer relationships of that type, many times faster on hub nodes.
// A relationship a curator pruned (an unrestored (:PrunedTriple) with its key) and that does not exist is
// not created again by a reload: the curator's decision sticks until `medkg curate restore`.
// Parameters: $rows: list of {head, tail, type, sources, confidences, confidence}, one row per
//   relationship (sources unique within a row; confidence is their noisy-OR).
// Returns: nothing (read the summary counters).
UNWIND $rows AS row
MATCH (h:Concept {id: row.head})
MATCH (t:Concept {id: row.tail})
WITH row, h, t
WHERE EXISTS { (h)-[:$(row.type)]->(t) }
   OR NOT EXISTS { MATCH (p:PrunedTriple {pruned_key: row.head + '|' + row.type + '|' + row.tail})
                   WHERE NOT p.restored }
MERGE (h)-[r:$(row.type)]->(t)
  ON CREATE SET r += {created_at: datetime(), updated_at: datetime(), sources: row.sources,
                      source_confidence: row.confidences, evidence_count: size(row.sources),
                      confidence: row.confidence}
WITH r, row, r.sources AS sources, r.source_confidence AS confidences
WHERE NOT all(j IN range(0, size(row.sources) - 1) WHERE
              any(i IN range(0, size(sources) - 1) WHERE
                  sources[i] = row.sources[j] AND confidences[i] = row.confidences[j]))
WITH r, row, sources, confidences,
     [i IN range(0, size(sources) - 1) WHERE NOT sources[i] IN row.sources] AS others
WITH r, [i IN others | sources[i]] + row.sources AS new_sources,
     [i IN others | confidences[i]] + row.confidences AS new_confidences
SET r.sources = new_sources,
    r.source_confidence = new_confidences,
    r.evidence_count = size(new_sources),
    r.confidence = 1.0 - reduce(p = 1.0, c IN new_confidences | p * (1.0 - c)),
    r.updated_at = datetime()
