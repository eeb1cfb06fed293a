// The vector index of a KGE property: by its name, or any vector index on (:Concept {property}).
// Parameters: $index_name (expected index name), $property. Returns: name, property, dim, similarity, state.
SHOW VECTOR INDEXES YIELD name, labelsOrTypes, properties, options, state
WHERE name = $index_name OR (labelsOrTypes = ['Concept'] AND properties = [$property])
RETURN name, properties[0] AS property, options.indexConfig.`vector.dimensions` AS dim,
       options.indexConfig.`vector.similarity_function` AS similarity, state
ORDER BY name
