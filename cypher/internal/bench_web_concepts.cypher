// Web load benchmark: every concept its simulated users may look up, with how many records mention it
// (records with a current mention linked to the concept, whatever the assertion), so that concept pages can
// be drawn toward diseases the records speak of and search text from names.
// Parameters: none.
// Returns: id, name, type (the concept's type label), records.
MATCH (c:Concept)
WHERE c.id IS NOT NULL AND c.name IS NOT NULL
RETURN c.id AS id, c.name AS name, [label IN labels(c) WHERE label <> 'Concept'][0] AS type,
       COUNT { MATCH (c)<-[:REFERS_TO]-(m:Mention)<-[:HAS_MENTION]-(e:EMR) WHERE m.current RETURN DISTINCT e }
         AS records
ORDER BY id
