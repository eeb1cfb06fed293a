"""Data for the tagger commands: pretraining text, data folders and KG triples gathered from the graph side."""
