"""The medical knowledge graph: KG file formats, the loader, model allow-lists, stats, linking."""
