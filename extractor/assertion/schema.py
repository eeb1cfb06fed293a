"""The three assertion dimensions of a mention (ConText's), their values and defaults.

A mention says what the record *mentions*; its assertion says what the record *asserts about the patient*:

- ``certainty``: ``affirmed`` (the finding is present), ``negated`` (explicitly absent: 否认糖尿病, 无发热,
  乙肝表面抗原（-）) or ``possible`` (uncertain: 考虑肺炎, 不除外结核, 待查);
- ``temporality``: ``current`` (this episode), ``historical`` (before it: 既往高血压病史) or ``hypothetical``
  (conditional or a warning: 如出现发热及时就诊, 警惕出血);
- ``experiencer``: ``patient``, ``family`` (其父患高血压, 家族史) or ``other``.

Example:
    >>> Assertion().is_evidence, Assertion(certainty="negated").is_evidence
    (True, False)
    >>> Assertion(temporality="historical").is_evidence
    True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, cast, get_args

__all__ = ["CERTAINTY", "DIMENSIONS", "EXPERIENCER", "TEMPORALITY", "Assertion", "Certainty", "Experiencer",
           "Temporality"]

Certainty = Literal["affirmed", "negated", "possible"]
Temporality = Literal["current", "historical", "hypothetical"]
Experiencer = Literal["patient", "family", "other"]
CERTAINTY: tuple[str, ...] = get_args(Certainty)
TEMPORALITY: tuple[str, ...] = get_args(Temporality)
EXPERIENCER: tuple[str, ...] = get_args(Experiencer)
#: Each dimension with its values, the default (first) value first.
DIMENSIONS: dict[str, tuple[str, ...]] = {"certainty": CERTAINTY, "temporality": TEMPORALITY,
                                          "experiencer": EXPERIENCER}


@dataclass(frozen=True)
class Assertion:
    """One mention's assertion: the three values, and the evidence for them.

    Attributes:
        certainty: affirmed | negated | possible.
        temporality: current | historical | hypothetical.
        experiencer: patient | family | other.
        cue: the trigger text that set a non-default value (``;``-joined when several), or ``""``.
        cue_spans: ``(start, end)`` of each trigger in the record's text.
        section: the record section the mention sits in (``现病史``, ``既往史`` ...), or ``""``.
    """

    certainty: Certainty = "affirmed"
    temporality: Temporality = "current"
    experiencer: Experiencer = "patient"
    cue: str = ""
    cue_spans: tuple[tuple[int, int], ...] = ()
    section: str = ""

    @classmethod
    def from_values(cls, values: Mapping[str, str], *, cue: str = "", cue_spans: tuple[tuple[int, int], ...] = (),
                    section: str = "") -> Assertion:
        """The assertion of ``{dimension: value}``, a dimension left out taking its default.

        The values are taken as they are, not checked: callers hold values read from the dimensions' own
        tables (rules, annotations checked against :data:`DIMENSIONS`, a classifier's labels).

        Example:
            >>> Assertion.from_values({"certainty": "negated"}).values()
            {'certainty': 'negated', 'temporality': 'current', 'experiencer': 'patient'}
        """
        return cls(cast(Certainty, values.get("certainty", "affirmed")),
                   cast(Temporality, values.get("temporality", "current")),
                   cast(Experiencer, values.get("experiencer", "patient")), cue, cue_spans, section)

    @property
    def is_evidence(self) -> bool:
        """True when the finding is the patient's, affirmed and not hypothetical (historical counts)."""
        return self.certainty == "affirmed" and self.temporality != "hypothetical" and self.experiencer == "patient"

    def values(self) -> dict[str, str]:
        """The three dimensions by name."""
        return {"certainty": self.certainty, "temporality": self.temporality, "experiencer": self.experiencer}
