"""Reads of the graph for people browsing it (the web application): search, a concept, a record."""
