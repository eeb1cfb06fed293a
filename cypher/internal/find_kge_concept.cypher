// Resolve the concept a neighbour query is about: by business key, or else by exact name.
// Parameters: $text, $property. Returns: id, name, type, has_vector.
MATCH (c:Concept {id: $text})
RETURN c.id AS id, c.name AS name, [l IN labels(c) WHERE l <> 'Concept'][0] AS type,
       c[$property] IS NOT NULL AS has_vector
UNION
MATCH (c:Concept {name: $text})
RETURN c.id AS id, c.name AS name, [l IN labels(c) WHERE l <> 'Concept'][0] AS type,
       c[$property] IS NOT NULL AS has_vector
