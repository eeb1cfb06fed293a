"""Running the enabled extractors over a batch: NER (merged by the overlap rule), assertions, links, relations.

Assertion plugins see the merged spans; where two assert the same span, the first in run order (by
extractor id) wins, as for links. Link and relation plugins see the spans with their assertions.

Every result is checked against its record (:func:`extractor.plugin.validate_result`) before it can
reach the graph: a plugin that returns another record's result, offsets outside the text, a span
whose text is not the record's text at its offsets, a score outside 0..1 or a reference to an unknown
span fails the batch (and then, record by record, only the record concerned).

Example:
    >>> facts, timings = run_extractors(records, loaded)  # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from extractor.plugin import ExtractionPlugin, ExtractionRecord, PluginOutputError, validate_result
from extractor.plugins.merge import merge_ner_spans
from graph.watch.facts import RecordFacts
from graph.watch.plugins import StoredExtractor

__all__ = ["LoadedExtractor", "PluginFailure", "run_extractors"]


@dataclass
class LoadedExtractor:
    """A stored extractor and its live plugin instance."""

    stored: StoredExtractor
    plugin: ExtractionPlugin

    @property
    def id(self) -> str:
        """``name@version``."""
        return self.stored.id

    @property
    def precision(self) -> float:
        """The relation extractor's precision for the confidence rule (``config.precision``, else 0.5)."""
        value = self.stored.config.get("precision")
        return float(value) if isinstance(value, int | float) else 0.5


class PluginFailure(RuntimeError):
    """A plugin raised or broke the protocol; names the extractor."""

    def __init__(self, extractor: str, error: BaseException) -> None:
        super().__init__(f"extractor {extractor}: {type(error).__name__}: {error}")
        self.extractor = extractor


def _call(loaded: LoadedExtractor, records: Sequence[ExtractionRecord], timings: dict[str, float],
          known: list[frozenset] | None = None) -> list[Any]:
    started = time.perf_counter()
    try:
        results = loaded.plugin.extract(list(records))
        if not isinstance(results, list | tuple) or len(results) != len(records):
            raise PluginOutputError(f"returned {len(results) if hasattr(results, '__len__') else results!r} "
                                    f"results for {len(records)} records")
        checked = [validate_result(rec, res, loaded.stored.kind, known[i] if known else frozenset())
                   for i, (rec, res) in enumerate(zip(records, results, strict=True))]
    except Exception as exc:  # any plugin failure becomes a named, per-record error
        raise PluginFailure(loaded.id, exc) from exc
    finally:
        timings[loaded.id] = timings.get(loaded.id, 0.0) + time.perf_counter() - started
    return checked


def run_extractors(records: Sequence[ExtractionRecord], extractors: Sequence[LoadedExtractor],
                   shas: Sequence[str]) -> tuple[list[RecordFacts], dict[str, float]]:
    """Run ``extractors`` (already in kind order) over ``records``.

    Returns:
        The facts per record and seconds per extractor.

    Raises:
        PluginFailure: A plugin raised or returned something the protocol does not allow.
    """
    timings: dict[str, float] = {}
    ner = [x for x in extractors if x.stored.kind == "ner"]
    asserters = [x for x in extractors if x.stored.kind == "assertion"]
    linkers = [x for x in extractors if x.stored.kind == "link"]
    relators = [x for x in extractors if x.stored.kind == "relation"]
    facts = [RecordFacts(r.id, sha) for r, sha in zip(records, shas, strict=True)]
    per_plugin = [(x.id, _call(x, records, timings)) for x in ner]
    started = time.perf_counter()
    for i, fact in enumerate(facts):
        fact.spans = merge_ner_spans([(xid, results[i].spans) for xid, results in per_plugin])
    timings["merge"] = time.perf_counter() - started
    current = [replace(r, spans=tuple(span for _, span in fact.spans)) for r, fact in zip(records, facts, strict=True)]
    known = [frozenset(span.key for span in r.spans) for r in current]
    for x in asserters:
        for i, result in enumerate(_call(x, current, timings, known)):
            for item in result.assertions:
                facts[i].assertions.setdefault(tuple(item.span), (x.id, item.assertion))
    current = [replace(r, assertions={key: a for key, (_, a) in facts[i].assertions.items()})
               for i, r in enumerate(current)]
    first_link: list[dict[tuple, Any]] = [{} for _ in records]
    for x in linkers:
        for i, result in enumerate(_call(x, current, timings, known)):
            for link in result.links:
                facts[i].links.append((x.id, link))
                first_link[i].setdefault(tuple(link.span), link)
    current = [replace(r, links=tuple(first_link[i].values())) for i, r in enumerate(current)]
    for x in relators:
        for i, result in enumerate(_call(x, current, timings, known)):
            facts[i].relations.extend((x.id, rel) for rel in result.relations)
    return facts, timings
