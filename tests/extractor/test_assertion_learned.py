"""The learned assertion classifier, its combination with the rules, and the CMDD reader (on data written here)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import torch
from assertion_helpers import RECORD_EXAMPLES, TINY, example

from extractor.assertion.cmdd import CmddError, read_cmdd, sentence_spans
from extractor.assertion.combine import (
    Combined,
    choose_policy,
    cmdd_examples,
    combine_one,
    cross_validate,
    load_combined,
    read_combination,
    train_and_choose,
)
from extractor.assertion.evalset import AnnotatedMention
from extractor.assertion.evaluate import all_default
from extractor.assertion.learned import (
    IGNORE,
    Example,
    LearnedAssertion,
    LearnedCheckpointError,
    LearnedConfig,
    build_vocab,
    masked_loss,
    train_learned,
)
from extractor.assertion.schema import Assertion

EXAMPLES = [
    *RECORD_EXAMPLES,
    example("医生：咳嗽吗\n患者：不咳", "咳嗽", certainty="negated"),  # a CMDD-like span: certainty only
    example("患者：孩子有点咳嗽", "咳嗽", certainty="affirmed"),
]


@pytest.fixture(scope="module")
def trained() -> LearnedAssertion:
    return train_learned(EXAMPLES, TINY).model


def test_train_save_load_predict_round_trip(trained, tmp_path):
    texts = ["患者无发热、咳嗽。既往史：高血压。", "其母患糖尿病"]
    spans = [[(3, 5), (6, 8), (14, 17)], [(3, 6)]]
    before = [trained(t, s) for t, s in zip(texts, spans, strict=True)]
    trained.save(tmp_path / "m")
    assert {p.name for p in (tmp_path / "m").iterdir()} == {"config.json", "vocab.json", "model.safetensors"}
    loaded = LearnedAssertion.load(tmp_path / "m")
    assert loaded.config == trained.config and loaded.tokens == trained.tokens
    after = [loaded(t, s) for t, s in zip(texts, spans, strict=True)]
    assert after == before
    assert [len(a) for a in after] == [3, 1]
    assert after[0][2].section == "既往史"  # the section comes with the learned assertion, as with the rules
    state, reloaded = trained.module.state_dict(), loaded.module.state_dict()
    assert all(torch.equal(state[k], reloaded[k]) for k in state)


def test_training_lowers_the_loss_and_is_repeatable():
    first = train_learned(EXAMPLES, TINY.model_copy(update={"epochs": 8}))
    second = train_learned(EXAMPLES, TINY.model_copy(update={"epochs": 8}))
    assert first.losses[-1] < first.losses[0]
    assert first.losses == second.losses  # seeds fixed
    assert first.epochs_run == 8 and first.seconds >= 0


def test_dev_examples_are_scored_per_labelled_dimension():
    result = train_learned(EXAMPLES, TINY, dev=EXAMPLES[6:])
    assert set(result.metrics["dev"]) == {"certainty"}  # the dev spans label only certainty
    assert result.metrics["dev"]["certainty"]["mentions"] == 2


def test_an_empty_span_list_and_long_mentions_and_text_edges(trained):
    assert trained("无发热", []) == []
    long_text = "发" * 300
    out = trained(long_text, [(0, 300), (0, 1), (299, 300)])  # a mention longer than max_mention, both edges
    assert len(out) == 3 and all(isinstance(a, Assertion) for a in out)


def test_masked_loss_ignores_dimensions_an_example_does_not_label():
    torch.manual_seed(0)
    logits = {d: torch.randn(3, 3, requires_grad=True) for d in ("certainty", "temporality", "experiencer")}
    targets = {"certainty": torch.tensor([0, 1, 2]), "temporality": torch.tensor([IGNORE, 1, IGNORE]),
               "experiencer": torch.tensor([IGNORE, IGNORE, IGNORE])}
    loss = masked_loss(logits, targets)
    expected = (torch.nn.functional.cross_entropy(logits["certainty"], targets["certainty"])
                + torch.nn.functional.cross_entropy(logits["temporality"][1:2], torch.tensor([1])))
    assert torch.allclose(loss, expected)
    loss.backward()
    assert torch.count_nonzero(logits["experiencer"].grad) == 0  # no label: no gradient
    assert torch.count_nonzero(logits["temporality"].grad[[0, 2]]) == 0
    assert torch.count_nonzero(logits["temporality"].grad[1]) > 0


def test_masked_loss_weights_and_a_batch_without_labels():
    logits = {"certainty": torch.randn(2, 3, requires_grad=True)}
    weighted = masked_loss(logits, {"certainty": torch.tensor([0, 1])}, torch.tensor([1.0, 0.0]))
    assert torch.allclose(weighted, torch.nn.functional.cross_entropy(logits["certainty"][:1], torch.tensor([0])))
    empty = masked_loss(logits, {"certainty": torch.tensor([IGNORE, IGNORE])})
    assert float(empty.detach()) == 0.0 and empty.requires_grad


def test_a_head_without_labels_keeps_its_initial_weights():
    only_certainty = [Example(e.text, e.start, e.end, {"certainty": e.labels["certainty"]}) for e in EXAMPLES]
    config = TINY
    torch.manual_seed(config.seed)  # as train_learned does: the same seed and vocabulary build the same module
    initial = LearnedAssertion(config, build_vocab(dict.fromkeys(e.text for e in only_certainty), 1))
    model = train_learned(only_certainty, config).model
    # Adam never moves a weight whose gradient is always zero
    assert torch.equal(model.module.heads["experiencer"].weight, initial.module.heads["experiencer"].weight)
    assert not torch.equal(model.module.heads["certainty"].weight, initial.module.heads["certainty"].weight)


def test_training_refuses_bad_examples():
    with pytest.raises(ValueError, match="no training examples"):
        train_learned([], TINY)
    with pytest.raises(ValueError, match="example 0 certainty: 'absent'"):
        train_learned([Example("无发热", 1, 3, {"certainty": "absent"})], TINY)
    with pytest.raises(ValueError, match="example 0: span 1-9 outside"):
        train_learned([Example("无发热", 1, 9, {"certainty": "negated"})], TINY)


def test_the_config_is_closed():
    with pytest.raises(ValueError, match="extra"):
        LearnedConfig(windows=3)


def test_load_refuses_a_missing_file_another_version_and_unfitting_weights(trained, tmp_path):
    with pytest.raises(LearnedCheckpointError, match="vocab.json: missing"):
        (tmp_path / "a").mkdir()
        (tmp_path / "a" / "config.json").write_text("{}")
        LearnedAssertion.load(tmp_path / "a")
    folder = trained.save(tmp_path / "b")
    meta = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**meta, "version": 99}))
    with pytest.raises(LearnedCheckpointError, match="version: 99"):
        LearnedAssertion.load(folder)
    (folder / "config.json").write_text(json.dumps({**meta, "config": {**meta["config"], "hidden": 32}}))
    with pytest.raises(LearnedCheckpointError, match="does not fit config.json"):
        LearnedAssertion.load(folder)


# --- combination ---------------------------------------------------------------------------------------------


def test_combine_one_per_dimension_policy():
    rules = Assertion("negated", "current", "patient", cue="无", cue_spans=((0, 1),))
    learned = Assertion("possible", "historical", "family")
    both = combine_one(rules, learned, {"certainty": "rules", "temporality": "rules-first",
                                        "experiencer": "learned"})
    assert (both.certainty, both.temporality, both.experiencer, both.cue) == ("negated", "historical", "family", "无")
    plain = combine_one(Assertion(), learned, {"certainty": "rules-first", "temporality": "learned-first"})
    assert (plain.certainty, plain.temporality, plain.cue) == ("possible", "historical", "")


def test_choose_policy_prefers_the_better_method_and_the_rules_on_ties():
    gold = [Assertion("negated"), Assertion(), Assertion(experiencer="family")]
    rules = [Assertion("negated"), Assertion(), Assertion()]
    learned = [Assertion(), Assertion(), Assertion(experiencer="family")]
    policy, table = choose_policy(gold, rules, learned)
    assert policy["certainty"] in ("rules", "rules-first")
    assert policy["experiencer"] in ("learned", "rules-first", "learned-first")
    assert policy["temporality"] == "rules"  # all equal: the rules
    assert set(table) == {"rules", "learned", "rules-first", "learned-first"}


def test_combined_refuses_an_unknown_policy():
    with pytest.raises(ValueError, match="policy certainty='vote'"):
        Combined(all_default, all_default, {"certainty": "vote"})


def _items() -> list[tuple[AnnotatedMention, str]]:
    out = []
    for n, ex in enumerate(EXAMPLES[:6] * 2):
        row = AnnotatedMention(f"written:{n}", ex.start, ex.end, "Symptom", "written",
                               Assertion(**ex.labels), "train")  # type: ignore[arg-type]
        out.append((row, ex.text + "。" * (n // 6)))  # the copies differ, so they are documents of their own
    return out


def test_cross_validation_labels_every_item_held_out():
    cv = cross_validate(_items(), EXAMPLES[6:], TINY.model_copy(update={"epochs": 1}), folds=2)
    assert len(cv.predicted) == 12 and len(cv.seconds) == 2
    with pytest.raises(ValueError, match="folds: need at least 2"):
        cross_validate(_items(), [], TINY, folds=1)


def test_train_and_choose_saves_a_model_and_its_policy(tmp_path):
    record = train_and_choose(_items(), EXAMPLES[6:], TINY.model_copy(update={"epochs": 1}), tmp_path / "m", folds=2,
                              meta={"cmdd_context": "next"})
    stored = read_combination(tmp_path / "m")
    assert stored["policy"] == record["policy"] and len(stored["held_out"]) == 12
    assert stored["meta"] == {"cmdd_context": "next"}
    assert set(record["crossval"]) >= {"rules", "learned", "combined", "policy_table"}
    combined = load_combined(tmp_path / "m")
    assert len(combined("患者无发热。", [(3, 5)])) == 1
    (tmp_path / "m" / "combination.json").write_text(json.dumps({"policy": {"certainty": "vote"}}))
    with pytest.raises(LearnedCheckpointError, match="certainty='vote'"):
        read_combination(tmp_path / "m")


# --- CMDD reader ------------------------------------------------------------------------------------------------


def _write_cmdd(root: Path) -> Path:
    turns = [
        {"speaker": "医生", "sentence": "发烧吗", "label": "BIO", "normalized": ["发热"], "type": ["1"]},
        {"speaker": "患者", "sentence": "不烧，有点咳", "label": "OBOOOB", "normalized": ["发热", "咳嗽"],
         "type": ["2", "1"]},
        {"speaker": "医生", "sentence": "可能是肺炎", "label": "OOOBI", "normalized": ["肺炎"], "type": ["3"]},
        {"speaker": "患者", "sentence": "拉肚子吐", "label": "BIIB", "normalized": ["腹泻"], "type": ["1"]},  # 2 vs 1
        {"speaker": "医生", "sentence": "咳嗽多久", "label": "IIOO", "normalized": ["咳嗽"], "type": ["1"]},  # I first
    ]
    folder = root / "cmdd" / "train"
    folder.mkdir(parents=True)
    (folder / "train_10.json").write_text(json.dumps({"data-split": "train", "example-id": "1",
                                                      "dialogue-content": turns}, ensure_ascii=False))
    (folder / "train_2.json").write_text(json.dumps({"data-split": "train", "example-id": "2",
                                                     "dialogue-content": turns[:1]}, ensure_ascii=False))
    return root


def test_cmdd_reader_pairs_spans_with_types_and_skips_a_mismatch(tmp_path, caplog):
    root = _write_cmdd(tmp_path)
    with caplog.at_level(logging.WARNING, logger="extractor.assertion.cmdd"):
        spans, stats = read_cmdd("train", data_dir=root, context="sentence")
    assert [(s.file, s.text[s.start:s.end], s.certainty) for s in spans] == [
        ("train_2.json", "发烧", "affirmed"),  # train_2 before train_10
        ("train_10.json", "发烧", "affirmed"), ("train_10.json", "烧", "negated"), ("train_10.json", "咳", "affirmed"),
        ("train_10.json", "肺炎", "possible"), ("train_10.json", "咳嗽", "affirmed")]
    assert (stats.dialogues, stats.sentences, stats.spans) == (2, 6, 6)
    assert len(stats.skipped) == 1 and stats.skipped[0].startswith("train_10.json#3: 2 spans")
    assert "train_10.json#3" in caplog.text


def test_cmdd_reader_strict_raises_with_file_and_sentence(tmp_path):
    with pytest.raises(CmddError, match=r"train_10.json#3: 2 spans in label 'BIIB' but 1 types"):
        read_cmdd("train", data_dir=_write_cmdd(tmp_path), strict=True)


def test_cmdd_contexts_carry_the_neighbouring_turns(tmp_path):
    turns = json.loads((_write_cmdd(tmp_path) / "cmdd/train/train_10.json").read_text())["dialogue-content"]
    previous = sentence_spans(turns, 1, context="previous")[0]
    assert previous.text == "医生：发烧吗\n患者：不烧，有点咳" and previous.text[previous.start:previous.end] == "烧"
    nxt = sentence_spans(turns, 0, context="next")[0]
    assert nxt.text == "医生：发烧吗\n患者：不烧，有点咳" and nxt.text[nxt.start:nxt.end] == "发烧"
    both = sentence_spans(turns, 1, context="both")[1]
    assert both.text.count("\n") == 2 and both.text[both.start:both.end] == "咳"
    assert sentence_spans(turns, 0, context="previous")[0].text == "医生：发烧吗"  # no turn before the first
    assert cmdd_examples([previous])[0].labels == {"certainty": "negated"}


def test_cmdd_reader_refuses_a_missing_split_and_a_file_that_is_not_a_dialogue(tmp_path):
    with pytest.raises(FileNotFoundError, match="no CMDD split folder"):
        read_cmdd("dev", data_dir=tmp_path)
    with pytest.raises(ValueError, match="context: 'dialogue'"):
        read_cmdd("dev", data_dir=tmp_path, context="dialogue")  # type: ignore[arg-type]
    (tmp_path / "cmdd" / "dev").mkdir(parents=True)
    (tmp_path / "cmdd" / "dev" / "dev_0.json").write_text("[]")
    with pytest.raises(CmddError, match="dev_0.json: not a CMDD dialogue"):
        read_cmdd("dev", data_dir=tmp_path)


def test_a_span_gets_the_same_values_alone_and_in_a_batch_of_longer_windows(trained):
    text = "患者无发热。" + "其父患糖尿病，" * 12 + "咳嗽"
    spans = [(3, 5), (len(text) - 2, len(text)), (9, 12)]
    together = trained.predict_values(text, spans)
    alone = [trained.predict_values(text, [span])[0] for span in spans]
    assert together == alone
    ids, segments, _, _ = trained.encode(text, spans)
    assert (ids == 0).any()  # the batch is padded, so the test means something
    logits_together = trained.module(*trained.encode(text, spans))
    logits_alone = trained.module(*trained.encode(text, spans[:1]))
    assert torch.allclose(logits_together["certainty"][0], logits_alone["certainty"][0], atol=1e-5)


def test_a_dialogue_example_trains_heads_of_its_own_and_round_trips(tmp_path):
    dialogue = [Example("患者：孩子发烧吗", 5, 7, {"certainty": "possible"}, domain="dialogue"),
                Example("患者：不咳嗽", 4, 6, {"certainty": "negated"}, domain="dialogue")]
    result = train_learned([*EXAMPLES[:6], *dialogue], TINY)
    examples = result.metrics["examples"]
    assert examples["certainty@dialogue"] == {"negated": 1, "possible": 1}
    assert sum(examples["certainty"].values()) == 6  # the records' certainty head never sees a dialogue label
    assert examples["temporality@dialogue"] == {}
    model = result.model
    assert model.domains == ["dialogue"] and model.domain == "record"
    dialogue_view = model.for_domain("dialogue")
    assert dialogue_view.module is model.module and dialogue_view.domain == "dialogue" and model.domain == "record"
    with pytest.raises(ValueError, match="domain 'forum'"):
        model.for_domain("forum")
    loaded = LearnedAssertion.load(model.save(tmp_path / "m"))
    assert loaded.domains == ["dialogue"]
    text, spans = "患者：孩子发烧吗，不咳嗽", [(5, 7), (10, 12)]
    assert loaded.for_domain("dialogue").predict_values(text, spans) == dialogue_view.predict_values(text, spans)


def test_the_dialogue_head_answers_for_the_dialogue_domain():
    # records say "negated" where dialogues say "possible" for the same window: each head learns its own
    records = [Example("患者：孩子发烧吗", 5, 7, {"certainty": "negated"})] * 6
    dialogue = [Example("患者：孩子发烧吗", 5, 7, {"certainty": "possible"}, domain="dialogue")] * 6
    model = train_learned([*records, *dialogue], TINY.model_copy(update={"epochs": 30, "dropout": 0.0})).model
    assert model("患者：孩子发烧吗", [(5, 7)])[0].certainty == "negated"
    assert model.for_domain("dialogue")("患者：孩子发烧吗", [(5, 7)])[0].certainty == "possible"
