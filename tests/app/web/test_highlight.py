"""Cutting a record's text at its mentions' boundaries (nested, overlapping, bad offsets)."""

from __future__ import annotations

from app.web.highlight import segments


def test_nested_mentions_take_the_innermost_first() -> None:
    text = "予阿司匹林肠溶片口服"
    outer = {"start": 1, "end": 8, "type": "Drug", "id": "outer"}
    inner = {"start": 1, "end": 5, "type": "Drug", "id": "inner"}
    pieces = segments(text, [outer, inner])
    assert [p.text for p in pieces] == ["予", "阿司匹林", "肠溶片", "口服"]
    assert [p.mention["id"] if p.mention else None for p in pieces] == [None, "inner", "outer", None]
    assert [m["id"] for m in pieces[1].mentions] == ["inner", "outer"]
    assert "".join(p.text for p in pieces) == text


def test_bad_offsets_are_ignored() -> None:
    pieces = segments("abc", [{"start": 2, "end": 9}, {"start": None, "end": 1}, {"start": 2, "end": 2}])
    assert [(p.text, p.mentions) for p in pieces] == [("abc", [])]
    assert segments("", []) == []
