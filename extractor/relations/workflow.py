"""``evaluate_relations()``: rules and the learned classifier on the CMeIE test split and on the EMR sample.

With gold entities: the CMeIE test split (:func:`extractor.relations.data.split_by_text`), micro and
per-predicate P/R/F1 and the CBLUE triple F1; and the project's own EMR-style sentences
(``data/sample/relations.jsonl``: entities with offsets, relations by entity index), P/R/F1 per
model. The rules are fitted on the CMeIE train split each time (about a second).

Example:
    >>> report = evaluate_relations(Path("../shared/data"), Path("models/relations"))  # doctest: +SKIP
    >>> report["cmeie_test"]["learned"]["micro"]["f1"]  # doctest: +SKIP
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from extractor.relations.data import (
    Candidate,
    Mention,
    Schema,
    build_candidates,
    gold_candidates,
    read_cmeie,
    read_schema,
    split_by_text,
)
from extractor.relations.evaluate import candidate_triples, gold_triples, score_candidates, score_triples
from extractor.relations.rules import RuleBaseline

__all__ = ["end_to_end", "evaluate_relations", "read_relation_sample"]


def read_relation_sample(path: Path, schema: Schema) -> tuple[list[Candidate], dict[str, str]]:
    """Candidates (labelled) of a relation sample file: ``{id, text, entities, relations}`` per line.

    Raises:
        ValueError: A line is not JSON, or an entity or relation does not fit its text (names the line).
    """
    candidates: list[Candidate] = []
    texts: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            mentions = [Mention(e["start"], e["end"], e["text"], e["type"]) for e in record["entities"]]
            gold = {}
            for rel in record["relations"]:
                s, o = mentions[rel["subject"]], mentions[rel["object"]]
                gold[(s.text, s.type, o.text, o.type)] = rel["predicate"]
            texts[record["id"]] = record["text"]
            candidates += build_candidates(record["id"], record["text"], mentions, schema, gold=gold)
        except (json.JSONDecodeError, KeyError, IndexError, TypeError, ValueError) as exc:
            raise ValueError(f"{path}:{number}: {type(exc).__name__}: {exc}") from exc
    return candidates, texts


def _scores(gold: list[Candidate], predicted: list[str], top: int) -> dict[str, Any]:
    return score_candidates([c.label for c in gold], predicted).as_dict(top)


def evaluate_relations(data_dir: Path, model_dir: Path | None = None, sample: Path | None = None,
                       top: int = 10, device: str = "cpu", ner_model: Path | None = None) -> dict[str, Any]:
    """Rules (and the learned model when ``model_dir`` is given) on the CMeIE test split and on ``sample``.

    With ``ner_model`` (a tagger checkpoint trained with CMeIE's entity types, e.g. by
    ``benchmarks/bench_relations.py train-ner``) also end to end as CBLUE scores CMeIE: entities
    predicted by that tagger, then each relation model over the pairs of predicted entities; a triple
    counts when subject text, predicate and object text match (``cmeie_test_predicted_entities``).

    Raises:
        FileNotFoundError: The CMeIE files are not under ``data_dir/cmeie``.
        ValueError: ``ner_model`` does not predict CMeIE's entity types.
    """
    cmeie = data_dir / "cmeie"
    for name in ("CMeIE_dev.json", "schema.json"):
        if not (cmeie / name).is_file():
            raise FileNotFoundError(f"{cmeie / name}: not found (set MEDKG_DATA_DIR to the research data)")
    schema = read_schema(cmeie / "schema.json")
    split = split_by_text(read_cmeie(cmeie / "CMeIE_dev.json"))
    train, train_texts = gold_candidates(split["train"], schema)
    test, test_texts = gold_candidates(split["test"], schema)
    models: dict[str, Any] = {"rules": RuleBaseline(schema).fit(train, train_texts)}
    if model_dir is not None:
        from extractor.relations.predict import load_relation_classifier

        models["learned"] = load_relation_classifier(model_dir, device=device)
    gold = gold_triples(split["test"])
    report: dict[str, Any] = {"cmeie_test": {}, "split": {k: len(v) for k, v in split.items()},
                              "test_candidates": len(test)}
    sample_data = read_relation_sample(sample, schema) if sample is not None else None
    if sample_data is not None:
        report["emr_sample"] = {"file": str(sample), "candidates": len(sample_data[0]),
                                "relations": sum(c.label != "none" for c in sample_data[0])}
    for name, model in models.items():
        started = time.perf_counter()
        predicted = model.predict(test, test_texts)
        seconds = time.perf_counter() - started
        report["cmeie_test"][name] = _scores(test, predicted, top) | {
            "triple_f1_gold_entities": score_triples(gold, candidate_triples(test, predicted)).as_dict(),
            "pairs_per_s": round(len(test) / seconds, 1) if seconds else None}
        if sample_data is not None:
            report["emr_sample"][name] = _scores(sample_data[0], model.predict(*sample_data), top)
    if ner_model is not None:
        report["cmeie_test_predicted_entities"] = end_to_end(ner_model, split["test"], schema, models, gold)
    return report


def end_to_end(ner_model: Path, test: list[Any], schema: Any, models: dict[str, Any],
               gold: dict[str, set[tuple[str, str, str]]]) -> dict[str, Any]:
    """Entities by the CMeIE-typed tagger ``ner_model``, then each of ``models`` over their pairs: CBLUE triple scores.

    Raises:
        ValueError: The tagger predicts other types than CMeIE's.
    """
    from extractor.checkpoint import load_tagger
    from extractor.relations.ner import CMEIE_TYPES, ner_examples, predicted_candidates
    from extractor.scoring import score_spans

    tagger = load_tagger(ner_model, threads=None)
    unknown = sorted(set(tagger.config.types) - set(CMEIE_TYPES))
    if unknown:
        raise ValueError(f"{ner_model}: the tagger predicts {', '.join(unknown)}, not CMeIE's entity types; train one "
                         "with benchmarks/bench_relations.py train-ner")
    started = time.perf_counter()
    spans = tagger.predict([s.text for s in test])
    ner_seconds = time.perf_counter() - started
    flat, flat_stats = ner_examples(test)
    candidates, texts = predicted_candidates(test, spans, schema)
    out: dict[str, Any] = {"ner_model": str(ner_model), "ner_strict": score_spans([e.spans for e in flat], spans)
                           .to_dict(), "sentences_per_s": round(len(test) / ner_seconds, 1) if ner_seconds else None,
                           "gold_entities_flat_layer": vars(flat_stats), "candidates": len(candidates)}
    for name, model in models.items():
        labels = model.predict(candidates, texts) if candidates else []
        out[name] = score_triples(gold, candidate_triples(candidates, labels)).as_dict()
    return out
