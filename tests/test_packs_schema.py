"""`backprop-tutor schema` and `backprop-tutor packs`; the docs' example stays the real example pack."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

from tutor.cli import main
from tutor.packs.models import json_schema
from tutor.packs.yamlsource import load_yaml_file

REPO = Path(__file__).resolve().parents[1]
PACK_FILES = sorted(path for path in (REPO / "lessons").rglob("*.y*ml"))


def printed_schema(capsys, *arguments: str) -> dict:
    assert main(["schema", *arguments]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_schema_command_prints_the_models_schema(capsys) -> None:
    assert printed_schema(capsys) == json_schema()
    assert printed_schema(capsys, "--kind", "lesson")["title"] == "backprop-tutor lesson file"
    assert "lessons" in printed_schema(capsys, "--kind", "pack")["properties"]


@pytest.mark.parametrize("path", PACK_FILES, ids=lambda path: str(path.relative_to(REPO)))
def test_schema_accepts_every_builtin_pack_file(path: Path, capsys) -> None:
    schema = printed_schema(capsys)
    # Read the way the tutor reads packs (and YAML 1.2 editors do): 1e-5 is a number.
    document = load_yaml_file(path).data
    jsonschema.validate(document, schema, cls=jsonschema.Draft202012Validator)


def test_builtin_packs_include_more_than_the_example() -> None:
    assert any("example" not in path.parts for path in PACK_FILES)


@pytest.mark.parametrize("document", [
    {"id": "l", "title": "T", "steps": [{"text": "x", "extra": 1}]},
    {"id": "l", "title": "T", "steps": [{"kind": "lab", "id": "a", "prompt": "p", "lab": "xorr"}]},
    {"id": "l", "title": "T", "steps": [{"kind": "quiz", "id": "a", "prompt": "p"}]},
    {"id": "l", "title": "T", "steps": [{"kind": "ask", "id": "a", "prompt": "p", "program": "L=a", "ask": "gradient:a"}]},
    {"id": "Bad Id", "title": "T", "version": "1"},
    {"id": "l", "title": "T", "steps": []},
])
def test_schema_rejects_broken_documents(document: dict, validator) -> None:
    assert list(validator.iter_errors(document))


TRACE = {"kind": "trace", "id": "t", "prompt": "p", "program": "L = a*b", "at": {"a": 1, "b": 2}}


def lesson_with(step: dict) -> dict:
    return {"id": "l", "title": "T", "steps": [{"text": "first"}, step]}


@pytest.mark.parametrize("kind", ["any", "lesson"])
def test_a_wrong_key_inside_a_trace_problem_is_reported_there_not_as_no_branch_fits(kind: str) -> None:
    validator = jsonschema.Draft202012Validator(json_schema(kind))  # type: ignore[arg-type]
    errors = list(validator.iter_errors(lesson_with({**TRACE, "hintz": ["x"]})))
    assert [(list(error.absolute_path), error.validator) for error in errors] == [(["steps", 1], "additionalProperties")]
    assert "'hintz' was unexpected" in errors[0].message
    best = jsonschema.exceptions.best_match(validator.iter_errors(lesson_with({**TRACE, "hintz": ["x"]})))
    assert "any of the given schemas" not in best.message
    # A wrong value, and a wrong key one level down, are reported at their own paths.
    deeper = lesson_with({**TRACE, "hints": "one hint", "mistakes": [{"ask": "grad:a", "answer": "1", "feedback": "f",
                                                                      "idd": "x"}]})
    found = {(tuple(error.absolute_path), error.validator) for error in validator.iter_errors(deeper)}
    assert found == {(("steps", 1, "hints"), "type"), (("steps", 1, "mistakes", 0), "additionalProperties")}


def test_an_unknown_kind_is_reported_at_kind_and_each_kind_has_its_branch(validator) -> None:
    errors = list(validator.iter_errors(lesson_with({"kind": "quiz", "id": "q", "prompt": "p"})))
    assert [(list(error.absolute_path), error.validator) for error in errors] == [(["steps", 1, "kind"], "enum")]
    from tutor.packs import models

    for kind in models.PROBLEM_KINDS:  # a key no kind has is reported by that kind's branch alone
        errors = list(validator.iter_errors(lesson_with({"kind": kind, "id": "p", "prompt": "p", "zzz": 1})))
        assert errors and all(list(error.absolute_path)[:2] == ["steps", 1] for error in errors), kind
        assert any("'zzz' was unexpected" in error.message for error in errors), kind
        assert not any(error.validator in ("oneOf", "anyOf") for error in errors), kind


def test_a_wrong_key_in_a_layer_or_a_parameter_is_reported_in_its_branch(validator) -> None:
    layer = {"kind": "layer", "id": "n", "prompt": "p",
             "network": {"layers": [{"linear": {"W": [[1]], "bb": [0]}}], "x": [1], "target": [0]}}
    errors = list(validator.iter_errors(lesson_with(layer)))
    assert [(list(error.absolute_path), error.validator) for error in errors] == [
        (["steps", 1, "network", "layers", 0, "linear"], "additionalProperties")]
    errors = list(validator.iter_errors(lesson_with({**TRACE, "params": {"a": {"int": [1, 3], "nott": [2]}}})))
    assert [(list(error.absolute_path), error.validator) for error in errors] == [
        (["steps", 1, "params", "a"], "additionalProperties")]


def test_the_pack_manifest_and_a_lesson_file_are_told_apart(validator) -> None:
    errors = list(validator.iter_errors({"id": "p", "title": "T", "version": "1", "lessons": ["a.yaml"], "autor": "x"}))
    assert [(list(error.absolute_path), error.validator) for error in errors] == [([], "additionalProperties")]
    assert "'autor' was unexpected" in errors[0].message


def test_committed_schema_file_is_current() -> None:
    committed = json.loads((REPO / "docs" / "lesson-pack.schema.json").read_text())
    assert committed == json_schema(), "regenerate: backprop-tutor schema > docs/lesson-pack.schema.json"


def test_docs_example_is_the_example_pack() -> None:
    """The reference doc shows lessons/example verbatim, so its example is validated with the pack."""
    docs = (REPO / "docs" / "lesson-packs.md").read_text()
    blocks = re.findall(r"```yaml\n(.*?)```", docs, flags=re.S)
    for name in ("pack.yaml", "tour.yaml"):
        assert (REPO / "lessons" / "example" / name).read_text() in blocks, f"docs do not show {name} verbatim"


def test_docs_name_every_kind_field_and_builtin_id() -> None:
    from tutor.packs import models

    docs = (REPO / "docs" / "lesson-packs.md").read_text()
    for model in (models.TraceProblem, models.AskProblem, models.NumericProblem, models.ChoiceProblem,
                  models.LabProblem, models.ChoiceOption, models.Mistake, models.AnswerTest, models.Lesson,
                  models.PackManifest, models.Tolerance):
        for name, info in model.model_fields.items():
            assert f"`{info.alias or name}`" in docs, f"{model.__name__}.{info.alias or name} is not documented"
    for identifier in models.BUILTIN_DIAGNOSES + models.LAB_NAMES + models.PROBLEM_KINDS:
        assert f"`{identifier}`" in docs


def test_packs_command_lists_good_and_broken_packs(capsys, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BACKPROP_TUTOR_HOME", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "200")
    broken = REPO / "tests" / "packs_fixtures" / "unknown-lab"
    assert main(["--pack", str(broken), "packs"]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if " example " in line)
    assert re.search(r"\b1\b.*\b7\b.*built-in", row)
    assert "broken unknown-lab" in out
    assert "lesson.yaml:7:10: error: unknown lab 'xorr'; did you mean 'xor'?" in out


def test_docs_single_file_pack_example_loads(tmp_path: Path) -> None:
    from tutor.packs.loader import load_pack

    docs = (REPO / "docs" / "lesson-packs.md").read_text()
    block = next(block for block in re.findall(r"```yaml\n(.*?)```", docs, flags=re.S) if block.startswith("id: tiny"))
    (tmp_path / "tiny.yaml").write_text(block)
    pack = load_pack(tmp_path / "tiny.yaml")
    assert pack.errors == [] and (pack.id, pack.lesson_count) == ("tiny", 1)
