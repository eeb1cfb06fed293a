// Candidate concepts for NIL mentions (status 'candidate', in the `candidate:` id namespace, so
// never a KG concept); the label comes from the allow-list (CONCEPT_LABELS), checked by the caller.
// Parameters: $rows: list of {id, name, label, extractor}.
// Returns: created.
UNWIND $rows AS row
MERGE (c:Concept {id: row.id})
  ON CREATE SET c.name = row.name, c.aliases = [], c.sources = [row.extractor], c.status = 'candidate',
                c.created_at = datetime(), c._created = true
SET c:$(row.label)
WITH c WHERE c._created
REMOVE c._created
RETURN count(c) AS created
