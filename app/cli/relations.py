"""``medkg evaluate-relations``: the relation extractors on the CMeIE test split and on the EMR sample."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from app.cli.common import JsonFlag, emit, fail, out

__all__ = ["evaluate_relations_command"]

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "relations.jsonl"


def _cell(micro: dict[str, float] | None) -> str:
    return f"{micro['p']:.3f} / {micro['r']:.3f} / {micro['f1']:.3f}" if micro else "-"


def _render(payload: dict[str, Any]) -> None:
    table = Table(title="relations, gold entities (micro P / R / F1)")
    for column in ("model", "CMeIE test", "EMR sample", "pairs/s"):
        table.add_column(column)
    for name, scores in payload["cmeie_test"].items():
        sample = payload.get("emr_sample", {}).get(name, {}).get("micro")
        table.add_row(name, _cell(scores["micro"]), _cell(sample), str(scores["pairs_per_s"]))
    out.print(table)
    e2e = payload.get("cmeie_test_predicted_entities")
    if e2e:
        table = Table(title=f"CBLUE triples, entities predicted by {e2e['ner_model']} (P / R / F1)")
        for column in ("model", "CMeIE test"):
            table.add_column(column)
        table.add_row("tagger (strict entities)", _cell({"p": e2e["ner_strict"]["micro"]["precision"],
                                                         "r": e2e["ner_strict"]["micro"]["recall"],
                                                         "f1": e2e["ner_strict"]["micro"]["f1"]}))
        for name in payload["cmeie_test"]:
            table.add_row(name, _cell(e2e[name]))
        out.print(table)


def evaluate_relations_command(
    model: Annotated[Path | None, typer.Option(help="Learned relation checkpoint folder (else rules only).")] = None,
    sample: Annotated[Path | None, typer.Option(help="Relation sample file (default data/sample/relations.jsonl).")]
    = None,
    top: Annotated[int, typer.Option(help="Per-predicate scores for this many most frequent predicates.")] = 10,
    ner_model: Annotated[Path | None, typer.Option(
        help="Tagger with CMeIE's entity types: also score end to end on predicted entities.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Rules vs the entity-marker classifier with gold entities: CMeIE test split (MEDKG_DATA_DIR) and EMR sample."""
    from core.paths import default_data_dir
    from extractor.checkpoint import CheckpointError
    from extractor.relations.predict import RelationCheckpointError
    from extractor.relations.workflow import evaluate_relations

    try:
        report = evaluate_relations(default_data_dir(), model, sample or SAMPLE, top=top, ner_model=ner_model)
    except (FileNotFoundError, RelationCheckpointError, CheckpointError, ValueError) as exc:
        fail(str(exc), code=2, as_json=as_json)
    emit(report, as_json, _render)
