"""KG embeddings in the graph: the vector store, training workflow, fold-in refresh, search, vector index."""
