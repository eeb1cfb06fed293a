// Merge concepts by business key, add the type label and append the source.
// Parameters: $rows: list of {id, name, label, source}; label comes from the allow-list in
//   kgmodel/model.py (CONCEPT_LABELS), never from input text.
// Returns: nothing (read the summary counters).
UNWIND $rows AS row
MERGE (c:Concept {id: row.id})
  ON CREATE SET c.name = row.name, c.aliases = [], c.sources = [], c.status = 'curated',
                c.created_at = datetime()
SET c:$(row.label)
WITH c, row
WHERE NOT row.source IN c.sources
SET c.sources = c.sources + row.source
