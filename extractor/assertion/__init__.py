"""Assertion of mentions (negated, possible, hypothetical, historical, family): Chinese ConText and its evaluation.

See ``extractor/assertion/README.md``.
"""
