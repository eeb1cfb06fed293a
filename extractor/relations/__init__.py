"""Relation extraction over typed mention pairs: CMeIE data, a rule baseline, an entity-marker classifier.

Importing this package imports no torch; the learned model lives in ``extractor.relations.model``,
``train`` and ``predict``.
"""

from extractor.relations.data import NONE, Candidate, Mention, Schema, Sentence, Triple

__all__ = ["NONE", "Candidate", "Mention", "Schema", "Sentence", "Triple"]
