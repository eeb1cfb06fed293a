"""The tiny tagger fixtures (:mod:`tagger_fixtures`) for the tests of the tagger commands and the recipe."""

from tagger_fixtures import concepts, examples, kg, learned, tiny, trained

__all__ = ["concepts", "examples", "kg", "learned", "tiny", "trained"]
