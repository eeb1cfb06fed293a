"""A tiny learned-assertion configuration and a handful of labelled examples, shared by the tests that train one."""

from __future__ import annotations

from extractor.assertion.learned import Example, LearnedConfig

#: Small enough to train in a second or two on the CPU.
TINY = LearnedConfig(embedding_dim=8, hidden=16, section_dim=4, epochs=3, batch_size=4, window=10, min_char_count=1)


def example(text: str, mention: str, **labels: str) -> Example:
    """An :class:`Example` of the first occurrence of ``mention`` in ``text``."""
    start = text.index(mention)
    return Example(text, start, start + len(mention), labels)


#: One record-like example of every class the tests need, all three dimensions labelled.
RECORD_EXAMPLES = [
    example("患者无发热。", "发热", certainty="negated", temporality="current", experiencer="patient"),
    example("患者发热3天。", "发热", certainty="affirmed", temporality="current", experiencer="patient"),
    example("考虑肺炎。", "肺炎", certainty="possible", temporality="current", experiencer="patient"),
    example("既往史：高血压10年。", "高血压", certainty="affirmed", temporality="historical", experiencer="patient"),
    example("其父患糖尿病。", "糖尿病", certainty="affirmed", temporality="current", experiencer="family"),
    example("如出现胸痛及时就诊。", "胸痛", certainty="affirmed", temporality="hypothetical", experiencer="patient"),
]
