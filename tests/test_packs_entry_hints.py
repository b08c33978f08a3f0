"""Per-entry hints of trace problems (`entry_hints:`): loaded, rendered with their {params}, and validated.

A key that names no entry of the trace (an unknown node, the gradient of a node the staged trace does not
ask, a key that is no ask at all) is an error at that key naming the entries there are; a placeholder that
names no parameter is the same error as in any other text.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tutor.cli import main
from tutor.packs.loader import load_pack
from tutor.packs.variants import render_problem

ERROR_LINE = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<column>\d+): error: (?P<message>.*)$")

PACK = """\
id: hinted
title: "Hinted"
version: "1"
lessons:
  - id: l
    title: "L"
    steps:
      - kind: trace
        id: t
        prompt: "Trace it."
        program: "z1 = w*x; z2 = z1 + b; L = z2^2"
        params:
          w: {int: [2, 4]}
        at: {{x: 5, b: 1}}
        backward: [{backward}]
        hints: ["Work from L back to the inputs."]
        entry_hints:
{entry_hints}
"""


def write_pack(tmp_path: Path, entry_hints: str, backward: str = "L, z2, z1, w, b") -> Path:
    path = tmp_path / "hinted.yaml"
    path.write_text(PACK.replace("{backward}", backward).replace("{entry_hints}", entry_hints)
                    .replace("{{", "{").replace("}}", "}"))
    return path


def validate(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[tuple[int, int, str]]]:
    status = main(["validate", str(path)])
    out = capsys.readouterr().out
    errors = [(int(m["line"]), int(m["column"]), m["message"]) for m in map(ERROR_LINE.match, out.splitlines()) if m]
    return status, errors


def test_entry_hints_load_and_render_their_params(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_pack(tmp_path, '          "grad:b": ["b reaches L through z1 only.", "dz1/db is 1; w is {w}."]\n'
                                '          "value:z1": ["Multiply first, then add b."]')
    pack = load_pack(path)
    problem = pack.lessons[0].steps[0]
    assert problem.entry_hints["grad:b"][0] == "b reaches L through z1 only."
    rendered = render_problem(problem, seed=0)
    w = rendered.params["w"]
    assert rendered.problem.entry_hints["grad:b"][1] == f"dz1/db is 1; w is {w}."
    assert rendered.problem.entry_hints["value:z1"] == ["Multiply first, then add b."]
    assert validate(path, capsys) == (0, [])


def test_a_key_for_an_unknown_node_is_an_error_at_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_pack(tmp_path, '          "grad:q": ["..."]')
    status, errors = validate(path, capsys)
    assert status == 1 and len(errors) == 1
    line, column, message = errors[0]
    assert (line, column) == (18, 11)
    assert "'grad:q' is not an entry of this trace" in message
    assert "(entries: value:z1, value:z2, value:L, grad:L, grad:z2, grad:z1, grad:b, grad:w)" in message


def test_a_gradient_the_staged_trace_does_not_ask_is_an_error(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    path = write_pack(tmp_path, '          "grad:b": ["b reaches L through z1 only."]', backward="L, z2, z1, w")
    status, errors = validate(path, capsys)
    assert status == 1 and len(errors) == 1
    line, column, message = errors[0]
    assert (line, column) == (18, 11)
    assert "'grad:b' is not an entry of this trace" in message and "only the value of b" not in message
    assert "entries: value:z1, value:z2, value:L, grad:L, grad:z2, grad:z1, grad:w)" in message


def test_the_value_of_an_input_is_no_entry(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, errors = validate(write_pack(tmp_path, '          "value:z9": ["..."]\n          "value:w": ["..."]'),
                              capsys)
    assert status == 1 and [error[:2] for error in errors] == [(18, 11), (19, 11)]
    assert "'value:w' is not an entry of this trace (only the gradient of w is asked)" in errors[1][2]


@pytest.mark.parametrize("key", ["grad b", "local:z1/b", "b"])
def test_a_key_that_is_no_trace_entry_says_how_to_write_one(key: str, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    status, errors = validate(write_pack(tmp_path, f'          "{key}": ["..."]'), capsys)
    assert status == 1 and len(errors) == 1
    assert errors[0][:2] == (18, 11)
    assert f"'{key}' is not an entry of this trace: write value:NODE or grad:NODE (entries: value:z1" in errors[0][2]


def test_a_placeholder_naming_no_parameter_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, errors = validate(write_pack(tmp_path, '          "grad:b": ["w is {w_1}."]'), capsys)
    assert status == 1 and len(errors) == 1
    line, column, message = errors[0]
    assert line == 18 and "{w_1} names no parameter (the parameters are w)" in message and "{w}" in message


def test_entry_hints_must_be_lists_of_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, errors = validate(write_pack(tmp_path, '          "grad:b": 3'), capsys)
    assert status == 1 and len(errors) == 1 and errors[0][0] == 18


def test_preview_shows_each_entrys_hints_filled_in_table_order(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    path = write_pack(tmp_path, '          "grad:b": ["b reaches L through z2 only.", "w is {w}."]\n'
                                '          "value:z1": ["Multiply first."]')
    assert main(["preview", str(path), "l/t", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    w = render_problem(load_pack(path).lessons[0].steps[0], seed=1).params["w"]
    tail = out[out.index("hint 1:"):]
    assert tail.index("hints for value:z1") < tail.index("hints for grad:b")
    assert "hints for grad:b (F2 in that entry shows these first, then the 1 hint above):\n" \
           f"  1. b reaches L through z2 only.\n  2. w is {w}.\n" in tail
    assert main(["preview", str(path), "l/t", "--seed", "1", "--format", "json"]) == 0
    assert f'"w is {w}."' in capsys.readouterr().out


def test_the_schema_marks_an_entry_hints_key_that_is_no_value_or_grad_ask() -> None:
    import jsonschema

    from tutor.packs.models import json_schema

    validator = jsonschema.Draft202012Validator(json_schema("lesson"))
    lesson = {"id": "l", "title": "L", "steps": [{"kind": "trace", "id": "t", "prompt": "p", "program": "L = a*b",
                                                  "at": {"a": 1, "b": 2}, "entry_hints": {"grad:a": ["h"]}}]}
    assert not list(validator.iter_errors(lesson))
    lesson["steps"][0]["entry_hints"] = {"grad a": ["h"]}
    errors = list(validator.iter_errors(lesson))
    assert len(errors) == 1 and "entry_hints" in list(errors[0].absolute_path)
