// Create the cosine vector index of a KGE property (idempotent: IF NOT EXISTS).
// An index cannot name its property by parameter: `$(property)` is a placeholder that
// graph/kge/store.py replaces with a name validated as kge_<identifier>
// (embeddings.registry.check_property_name) before the statement is sent; nothing else is pasted.
// Parameters: $index_name (index name), $dim (vector dimension). Returns: nothing.
CREATE VECTOR INDEX $index_name IF NOT EXISTS
FOR (n:Concept) ON n.$(property)
OPTIONS {indexConfig: {`vector.dimensions`: $dim, `vector.similarity_function`: 'cosine'}}
