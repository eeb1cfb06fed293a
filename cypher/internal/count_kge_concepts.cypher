// How many concepts there are, and how many have no relationship to another concept (those get no
// trained vector and cannot be folded in).
// Parameters: none. Returns: concepts, isolated.
MATCH (c:Concept)
RETURN count(c) AS concepts,
       count(CASE WHEN NOT EXISTS { (c)--(:Concept) } THEN 1 END) AS isolated
