"""docs/lesson-packs.md lists every built-in diagnosis (and no other), from the checker's own registry."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tutor.diagnosis_ids import ALL_LAYER_DIAGNOSES, BUILTIN_DIAGNOSES
from tutor.packs import diagnosis_docs

DOCS = Path(__file__).resolve().parents[1] / "docs" / "lesson-packs.md"


def test_every_registry_id_has_an_entry_and_every_entry_an_id() -> None:
    assert diagnosis_docs.missing_and_extra() == []
    assert list(diagnosis_docs.GRAPH_DOCS) == list(BUILTIN_DIAGNOSES)
    assert set(diagnosis_docs.LAYER_DOCS) == set(ALL_LAYER_DIAGNOSES)


def test_a_new_diagnosis_id_without_docs_is_reported(monkeypatch) -> None:
    monkeypatch.setattr(diagnosis_docs, "BUILTIN_DIAGNOSES", (*BUILTIN_DIAGNOSES, "dropped-bias"))
    monkeypatch.setattr(diagnosis_docs, "LAYER_DOCS", {**diagnosis_docs.LAYER_DOCS, "made-up": next(
        iter(diagnosis_docs.LAYER_DOCS.values()))})
    assert diagnosis_docs.missing_and_extra() == ["graph diagnosis dropped-bias is not documented",
                                                  "layer docs list made-up, which is no built-in diagnosis"]
    with pytest.raises(diagnosis_docs.ExampleError):
        diagnosis_docs.rows()


def test_the_docs_hold_the_generated_tables() -> None:
    section = diagnosis_docs.section_in(DOCS.read_text(encoding="utf-8"))
    assert section is not None, "docs/lesson-packs.md lost its generated diagnoses section"
    assert section == diagnosis_docs.markdown_tables(), (
        "docs/lesson-packs.md is out of date: run python -m tutor.packs.diagnosis_docs --write docs/lesson-packs.md")


def test_the_tables_list_each_registry_id_once_and_nothing_else() -> None:
    section = diagnosis_docs.section_in(DOCS.read_text(encoding="utf-8")) or ""
    graph_part, layer_part = section.split("Layer answers", 1)
    listed = [re.findall(r"^\| `([a-z-]+)` \|", part, re.M) for part in (graph_part, layer_part)]
    assert listed[0] == list(BUILTIN_DIAGNOSES)
    assert sorted(listed[1]) == sorted(ALL_LAYER_DIAGNOSES)


def test_each_example_names_its_own_diagnosis_with_a_concrete_wrong_answer() -> None:
    graph, layer = diagnosis_docs.rows()
    for row in graph + layer:
        assert re.search(r"\(right: `[^`]+`\): the answer `[^`]+` is named `" + re.escape(row.diagnosis) + "`$",
                         row.example), row
    by_id = {row.diagnosis: row.example for row in graph}
    assert by_id["missing-path"].startswith("`y = x*x + 3*x` at x = 2, `grad:x` (right: `7`): the answer `5`")


def test_an_example_the_checker_does_not_name_fails_the_build(monkeypatch) -> None:
    wrong = diagnosis_docs.DiagnosisDoc("r", "f", diagnosis_docs.GraphExample("y = x + 1", {"x": 2}, "grad:x"))
    monkeypatch.setattr(diagnosis_docs, "GRAPH_DOCS", {**diagnosis_docs.GRAPH_DOCS, "power-rule": wrong})
    with pytest.raises(diagnosis_docs.ExampleError, match="power-rule"):
        diagnosis_docs.rows()
