"""``medkg train --out DIR`` alone: the default model from scratch on a small data folder the test writes."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from cli_helpers import one_json
from corpus_helpers import write_samples
from typer.testing import CliRunner

from app.cli import app
from app.tagging.data import CCKS2017_DIR, CCKS_TRAIN, CMEEE_TRAIN, training_corpora
from app.tagging.recipe import (
    RecipeConfig,
    build_default_model,
    default_tagger_config,
    multi_schema,
    relation_budget,
    tagger_budget,
)
from extractor.checkpoint import load_tagger
from extractor.data import write_ccks
from linker.sources import _VOCAB_FILES

TINY = RecipeConfig(emb_steps=5, emb_seconds=30, word_dim=8, word_epochs=1, word_min_count=1, kge_model="quick",
                    kge_epochs=2, kge_dim=8, cmekg=False, epochs=1, threads=1, relation_epochs=1)

#: CMeIE-like sentences (text, [(subject, subject type, predicate, object, object type)]), numbered so that
#: the split by text hash gives every side some.
_CMEIE = [("胃炎患者常见腹痛，可予奥美拉唑治疗。", [("胃炎", "疾病", "临床表现", "腹痛", "症状"),
                                            ("胃炎", "疾病", "药物治疗", "奥美拉唑", "药物")]),
          ("肺炎可并发脓胸，常有咳嗽。", [("肺炎", "疾病", "并发症", "脓胸", "疾病"),
                                   ("肺炎", "疾病", "临床表现", "咳嗽", "症状")])]
_CMEIE_SCHEMA = [("疾病", "临床表现", "症状"), ("疾病", "药物治疗", "药物"), ("疾病", "并发症", "疾病")]


def _write_cmeie(root: Path, copies: int = 20) -> None:
    folder = root / "cmeie"
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(copies):
        for text, triples in _CMEIE:
            spo = [{"predicate": p, "subject": s, "subject_type": st, "object": {"@value": o},
                    "object_type": {"@value": ot}} for s, st, p, o, ot in triples]
            rows.append(json.dumps({"text": f"第{i}例：{text}", "spo_list": spo}, ensure_ascii=False))
    (folder / "CMeIE_dev.json").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (folder / "schema.json").write_text("\n".join(json.dumps(dict(zip(("subject_type", "predicate", "object_type"),
                                                                     row, strict=True)), ensure_ascii=False)
                                                 for row in _CMEIE_SCHEMA) + "\n", encoding="utf-8")


def write_data(root: Path, examples) -> Path:
    for rel in _VOCAB_FILES:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
    names = {"Disease": ["胃癌", "高血压", "糖尿病"], "Drug": ["奥沙利铂", "胰岛素"], "Check": ["胸部CT"]}
    for rel, label in _VOCAB_FILES.items():
        (root / rel).write_text("\n".join(names.get(label, [])) + "\n", encoding="utf-8")
    record = {"gaishu_info": {"name": "胃癌", "desc": "胃癌是胃黏膜上皮的恶性肿瘤。", "common_drug": ["奥沙利铂"]},
              "symptom_data": {"symptoms": ["腹痛"], "symptom_detail": []}, "inspect_info": ["胸部CT"]}
    xywy = root / "xywy-medicalkg-tonystark"
    (xywy / "medical_0.json.gz").write_bytes(gzip.compress(json.dumps({"0": record}).encode()))
    half = len(examples) // 2
    for rel, part in zip(CCKS_TRAIN, (examples[:half], examples[half:]), strict=True):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        write_ccks(list(part), root / rel)
    samples = write_samples(root / "samples")  # CCKS 2017 and CMeEE where the recipe reads them
    samples.ccks2017.rename(root / CCKS2017_DIR)
    (root / CMEEE_TRAIN).parent.mkdir(parents=True, exist_ok=True)
    (root / CMEEE_TRAIN).write_text(samples.cmeee.read_text(encoding="utf-8") * 4, encoding="utf-8")
    _write_cmeie(root)
    return root


def test_default_model_from_scratch_then_reused_and_registered(tmp_path, examples, neo4j_env, client):
    """``client`` wipes the database first: a plugin version another test registered and ran would refuse
    the recipe's registration (facts already written under it)."""
    root = write_data(tmp_path / "data", examples)
    pretrained = tmp_path / "pretrained"
    first = build_default_model(tmp_path / "model", TINY, data_dir=root, pretrained=pretrained)
    assert {k: v["reused"] for k, v in first.steps.items() if "reused" in v} == {
        "char_vectors": False, "word_lexicon": False, "kg_vectors": False}
    assert {p.name for p in pretrained.iterdir()} == {"char_vectors.npz", "word_lexicon.npz", "quick.npz"}
    tagger = load_tagger(tmp_path / "model", threads=None)
    assert tagger.config.features.softlexicon and tagger.word_lexicon is not None and tagger.kg_dim == 8
    # one head per annotated corpus; the merged output holds CCKS 2017's symptoms and CMeEE's new types
    assert tagger.schemas == ("ccks2019", "ccks2017", "cmeee") and tagger.nested("cmeee")
    assert not tagger.nested("ccks2019") and {"Symptom", "Procedure", "Microorganism"} <= set(tagger.config.types)
    corpora = training_corpora(root)
    assert len(corpora["ccks2019"]) == len(examples) and len(corpora["ccks2017"]) == 5 and corpora["cmeee"]
    assert first.train["n_train"] + first.train["n_dev"] == sum(map(len, corpora.values()))
    assert first.plugin is not None and first.plugin["enabled"] and first.plugin["name"] == "cbt-kg-tagger"
    assert first.relations is not None and (tmp_path / "model" / "relations" / "train_result.json").is_file()
    assert first.relation_plugin is not None and first.relation_plugin["enabled"]
    assert first.budgets["total_seconds"] == TINY.total_seconds and first.budgets["relation_seconds"] == 1200.0
    assert load_tagger(tmp_path / "model", threads=None).config.train.whole_epochs
    stored = {e["name"]: e for e in client.read("internal/list_extractors")}
    assert json.loads(stored["cbt-kg-tagger"]["config"])["model_dir"] == str((tmp_path / "model").resolve())
    assert json.loads(stored["entity-marker-relations"]["config"])["model_dir"] == str(
        (tmp_path / "model" / "relations").resolve())
    again = build_default_model(tmp_path / "model2", TINY.model_copy(update={"register_plugin": False}), data_dir=root,
                                pretrained=pretrained)
    assert all(again.steps[k]["reused"] for k in ("char_vectors", "word_lexicon", "kg_vectors"))
    assert again.plugin is None


def test_cli_train_without_train_files_takes_only_the_recipe_options(tmp_path):
    result = CliRunner().invoke(app, ["train", "--out", str(tmp_path / "m"), "--kg", "--lstm-hidden", "64", "--json"])
    assert result.exit_code == 2
    assert "--kg, --lstm-hidden need --train" in one_json(result.stdout)["error"]


def test_multi_schema_configs():
    """The recipe's output sides: mixed (CRF for the EMR corpora, a span head for CMeEE), one corpus alone."""
    base = default_tagger_config("w.npz", ("Disease",), TINY)
    mixed = multi_schema(base, ("ccks2019", "ccks2017", "cmeee"))
    assert [(s.name, s.output, s.emit) for s in mixed.schemas] == [
        ("ccks2019", "crf", None), ("ccks2017", "crf", ("症状和体征",)),
        ("cmeee", "span", ("pro", "equ", "mic", "dep"))]
    assert mixed.types == ("Disease", "Drug", "Operation", "Anatomy", "LabTest", "ImagingExam", "Symptom",
                           "Procedure", "Equipment", "Microorganism", "Department")
    shared = multi_schema(base, ("ccks2019", "cmeee"), "shared")
    assert shared.head.shared and shared.head.output == "span"
    alone = multi_schema(base, ("cmeee",), "span")
    assert not alone.multi and alone.schema_name == "cmeee" and alone.head.output == "span" and "mic" in alone.types
    assert multi_schema(base, ("ccks2019",)).types == base.types
    with pytest.raises(ValueError, match="unknown corpus"):
        multi_schema(base, ("i2b2",))


def test_the_recipe_budget_bounds_the_whole_run():
    """Under ``total_seconds`` the tagger gets what the inputs left less the relation reserve, whole epochs."""
    recipe = RecipeConfig()
    assert recipe.total_seconds == 6900.0 and recipe.total_seconds < 2 * 3600
    assert tagger_budget(recipe, 0.0) == (3600.0, True)  # its own cap first
    assert tagger_budget(recipe, 3000.0) == (3300.0, True)  # 6900 - 3000 - 600
    assert tagger_budget(recipe, 9000.0) == (60.0, True)  # inputs ran over: one epoch still runs
    assert tagger_budget(recipe.model_copy(update={"relations": False}), 3000.0) == (3600.0, True)
    assert relation_budget(recipe, 6500.0) == 400.0 and relation_budget(recipe, 1000.0) == 1200.0
    assert relation_budget(recipe, 7000.0) == 60.0
    alone = recipe.model_copy(update={"total_seconds": None})
    assert tagger_budget(alone, 9000.0) == (3600.0, False) and relation_budget(alone, 9000.0) == 1200.0


def test_cli_max_seconds_is_the_taggers_own_budget(monkeypatch, tmp_path):
    """``medkg train --out DIR --max-seconds S``: the tagger's budget as given, no budget for the whole recipe."""
    import app.tagging.recipe as recipe_module

    seen = []
    monkeypatch.setattr(recipe_module, "build_default_model", lambda out, recipe, **_: seen.append(recipe) or
                        recipe_module.RecipeResult(str(out)))
    for extra in ([], ["--max-seconds", "7200"]):
        result = CliRunner().invoke(app, ["train", "--out", str(tmp_path / "m"), "--no-register", "--json", *extra])
        assert result.exit_code == 0, result.stdout
    assert (seen[0].total_seconds, seen[0].train_seconds) == (6900.0, 3600.0)
    assert (seen[1].total_seconds, seen[1].train_seconds) == (None, 7200.0)


@pytest.mark.parametrize("missing", ["qasystem-medicalkg/dict/drug.txt"])
def test_default_model_names_a_missing_data_file(tmp_path, examples, missing):
    root = write_data(tmp_path / "data", examples)
    (root / missing).unlink()
    with pytest.raises(FileNotFoundError, match="drug.txt"):
        build_default_model(tmp_path / "model", TINY, data_dir=root, pretrained=tmp_path / "pretrained")


def test_shared_input_steps(tmp_path, examples, kg):
    """The steps both the recipe and training from files load their inputs with (app/tagging/inputs.py)."""
    from app.tagging.data import CMEKG_LABELS
    from app.tagging.inputs import TaggingInputError, gazetteer, load_kg, load_word_lexicon, with_char_vectors
    from extractor.config import FeatureConfig, TaggerConfig
    from extractor.kge_quick import save_kg_vectors
    from extractor.pretrain_emb import EmbeddingPretrainConfig, pretrain_char_vectors

    root = write_data(tmp_path / "data", examples)
    config = TaggerConfig()
    same, concepts, summary = gazetteer(config, root)
    assert same == config and summary["concepts"] == len(concepts) > 0
    assert {"Disease:胃癌", "Drug:奥沙利铂", "Check:胸部CT"} <= {c.id for c in concepts}
    off = TaggerConfig(features=FeatureConfig(kg=False, bioes=False, category=False))
    assert gazetteer(off, tmp_path / "no-data") == (off, [], {})  # nothing needs the concepts: nothing read
    labelled, _, _ = gazetteer(off, tmp_path / "no-data", cmekg=tmp_path / "cmekg.pkl")
    assert labelled.features.kg_types == (*off.features.kg_types, *CMEKG_LABELS)

    vectors_file = tmp_path / "char_vectors.npz"
    pretrain_char_vectors(["胃癌术后复查"] * 20, EmbeddingPretrainConfig(dim=8, steps=3)).save(vectors_file)
    assert with_char_vectors(config, None) == (config, None)
    widened, vectors = with_char_vectors(config, vectors_file)
    assert vectors is not None and widened.encoder.dim == 8 == vectors.char_vectors.shape[1]
    assert widened.encoder.pretrained_vectors == str(vectors_file)

    kg_file = tmp_path / "kg.npz"
    save_kg_vectors(kg, kg_file)
    assert load_kg(off, kg_file) is None and load_kg(config, kg_file).run == kg.run
    with pytest.raises(TaggingInputError, match="--kg-vectors"):
        load_kg(config, None)
    assert load_word_lexicon(config) is None
    soft = TaggerConfig(features=FeatureConfig(softlexicon=True, word_lexicon=str(tmp_path / "w.npz")))
    with pytest.raises(TaggingInputError, match="w.npz"):
        load_word_lexicon(soft)


def test_train_from_files_with_the_kg_features(tmp_path, examples, kg):
    """Training from files takes the gazetteer, KG vectors and char vectors through the shared steps."""
    from app.tagging.workflows import TrainRequest, train_from_files
    from extractor.kge_quick import save_kg_vectors
    from extractor.pretrain_emb import EmbeddingPretrainConfig, pretrain_char_vectors

    root = write_data(tmp_path / "data", examples)
    save_kg_vectors(kg, tmp_path / "kg.npz")
    # the bigram table takes the pretrained bigrams as they are: keep the config's bigram size (100)
    pretrain_char_vectors([ex.text for ex in examples], EmbeddingPretrainConfig(dim=100, steps=3)).save(
        tmp_path / "chars.npz")
    request = TrainRequest(out=tmp_path / "model", train=(root / CCKS_TRAIN[0],), kg_vectors=tmp_path / "kg.npz",
                           pretrained=tmp_path / "chars.npz", lstm_layers=1, lstm_hidden=16, epochs=1, threads=1)
    result = train_from_files(request, data_dir=root)
    assert result.kg_run == kg.run and result.n_train + result.n_dev == len(examples) // 2
    tagger = load_tagger(tmp_path / "model", threads=None)
    assert tagger.kg_dim == kg.dim and tagger.config.encoder.dim == 100
    assert tagger.config.encoder.pretrained_vectors == str(tmp_path / "chars.npz")
