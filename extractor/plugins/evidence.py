"""Which relations between two mentions are evidence about the patient, and which are pertinent negatives.

A record mentions much that it does not assert of the patient: 否认高血压, 无发热, 其父患糖尿病, 如出现胸痛.
Relations are built only between mentions the record asserts of the patient, by one rule shared by the
relation plugins (which skip other pairs before scoring them) and the watcher (which applies it again to
whatever a relation plugin returns, so a third-party plugin cannot add evidence from a negated mention):

- a mention is *evidence* when it is affirmed, not hypothetical and the patient's
  (:attr:`extractor.assertion.schema.Assertion.is_evidence`; historical counts: 既往高血压 is the patient's);
- a mention is a *pertinent negative* when it is negated, not hypothetical and the patient's (无发热);
- a relation whose subject is evidence is ``positive`` when its object is evidence too, ``negative`` when
  its object is a pertinent negative (脑梗死 … 无发热: the finding is explicitly absent in this disease),
  and no relation otherwise (a negated or possible subject, a family member's or a hypothetical mention).

A mention without an assertion (no ``assertion`` plugin enabled, or a graph processed before there was
one) counts as evidence, as every mention did before assertions existed.

Example:
    >>> from extractor.assertion.schema import Assertion
    >>> relation_polarity(Assertion(), Assertion(certainty="negated"))
    'negative'
    >>> relation_polarity(Assertion(), Assertion(experiencer="family")) is None
    True
    >>> relation_polarity(None, None)
    'positive'
"""

from __future__ import annotations

from typing import Literal

from extractor.assertion.schema import Assertion

__all__ = ["Polarity", "is_evidence", "is_pertinent_negative", "relation_polarity", "relation_temporality"]

Polarity = Literal["positive", "negative"]


def is_evidence(assertion: Assertion | None) -> bool:
    """True for a mention the record asserts of the patient (or one without an assertion)."""
    return assertion is None or assertion.is_evidence


def is_pertinent_negative(assertion: Assertion | None) -> bool:
    """True for a finding the record says the patient does not have (negated, not hypothetical, the patient's)."""
    return (assertion is not None and assertion.certainty == "negated" and assertion.temporality != "hypothetical"
            and assertion.experiencer == "patient")


def relation_polarity(subject: Assertion | None, object_: Assertion | None) -> Polarity | None:
    """``positive``, ``negative`` (a pertinent negative) or ``None`` (no relation) for a subject-object pair."""
    if not is_evidence(subject):
        return None
    if is_evidence(object_):
        return "positive"
    return "negative" if is_pertinent_negative(object_) else None


def relation_temporality(subject: Assertion | None, object_: Assertion | None) -> str:
    """``historical`` when either end is (既往…), else ``current``; kept on the relation mention."""
    historical = any(a is not None and a.temporality == "historical" for a in (subject, object_))
    return "historical" if historical else "current"
