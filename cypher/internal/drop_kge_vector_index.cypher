// Drop a KGE vector index (when the dimension of the property changed).
// Parameters: $index_name. Returns: nothing.
DROP INDEX $index_name IF EXISTS
