"""`backprop-tutor new` (a scaffold that validates clean) and `backprop-tutor preview` (a problem at a seed)."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from tutor.cli import main
from tutor.packs.loader import load_pack


def run_cli(arguments: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(arguments)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


# --- new ------------------------------------------------------------------------------------------


def test_new_writes_a_pack_with_every_kind_that_validates_clean_and_strict(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "My Pack"
    status, out, _ = run_cli(["new", str(folder)], capsys)
    assert status == 0 and "pack.yaml" in out
    pack = load_pack(folder)
    assert not pack.errors and pack.id == "my-pack"
    kinds = {ref.problem.kind for ref in pack.problems()}
    assert kinds == {"trace", "ask", "numeric", "choice", "layer", "lab"}
    assert any(step.kind == "text" for step in pack.lessons[0].steps)
    status, out, err = run_cli(["validate", "--strict", str(folder)], capsys)
    assert status == 0, out + err
    assert "no errors" in out


def test_new_refuses_a_folder_that_is_not_empty(tmp_path: Path, capsys) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    status, _, err = run_cli(["new", str(tmp_path)], capsys)
    assert status == 2 and "not empty" in err
    assert sorted(path.name for path in tmp_path.iterdir()) == ["notes.txt"]


def test_new_into_an_empty_existing_folder_with_an_id(tmp_path: Path, capsys) -> None:
    status, _, _ = run_cli(["new", str(tmp_path), "--id", "course-x"], capsys)
    assert status == 0 and load_pack(tmp_path).id == "course-x"
    status, _, err = run_cli(["new", str(tmp_path / "other"), "--id", "Bad Id"], capsys)
    assert status == 2 and "not a valid id" in err


# --- preview --------------------------------------------------------------------------------------


def test_preview_a_trace_of_the_built_in_course_shows_values_graph_answers_and_diagnoses(capsys) -> None:
    status, out, _ = run_cli(["preview", "backprop", "graphs/graphs-trace-xwb", "--seed", "5"], capsys)
    assert status == 0
    assert "x = 3, w = −2, b = 4" in out  # the prompt as the learner reads it
    assert "┌ z1 * ┐" in out  # the graph drawn by tutor.render
    assert "grad:w = -12" in out
    lines = [line.split() for line in out.splitlines()]
    assert ["missing-upstream", "3"] in lines and ["wrong-operand", "8"] in lines


def test_preview_fills_placeholders_and_lists_the_values_of_the_seed(capsys) -> None:
    status, out, _ = run_cli(["preview", "example", "tour/tour-ask-weight", "--seed", "2"], capsys)
    assert status == 0
    assert "values: x=4, w=-3, b=0.5" in out and "With x = 4, w = -3 and b = 0.5" in out
    assert "{x}" not in out


def test_preview_json_over_a_range_of_seeds_and_from_a_folder(capsys) -> None:
    import json

    from tutor.packs.loader import builtin_packs_dir

    folder = builtin_packs_dir() / "example"
    status, out, _ = run_cli(["preview", str(folder), "tour/tour-ask-weight", "--seeds", "0..3", "--format", "json"],
                             capsys)
    assert status == 0
    objects = [json.loads(line) for line in out.splitlines()]
    assert [item["seed"] for item in objects] == [0, 1, 2, 3]
    for item in objects:
        values = item["params"]
        entry = item["entries"][0]
        assert entry["ask"] == "grad:w"
        assert float(entry["expected"]) == 2 * (values["x"] * values["w"] + values["b"]) * values["x"]
        by_id = {wrong["diagnosis"]: wrong["answer"] for wrong in entry["wrong"]}
        assert float(by_id["missing-upstream"]) == values["x"]


@pytest.mark.parametrize("arguments, words", [
    (["nosuchpack", "a/b"], ["no pack 'nosuchpack'"]),
    (["backpro", "graphs/graphs-trace-xwb"], ["did you mean backprop"]),
    (["backprop", "graph/graphs-trace-xwb"], ["no lesson 'graph'", "did you mean graphs"]),
    (["backprop", "graphs/graphs-trace-xw"], ["no problem 'graphs-trace-xw'", "graphs-trace-xwb"]),
    (["backprop", "chain-rule/graphs-trace-xwb"], ["write graphs/graphs-trace-xwb"]),
    (["backprop", "graphs/graphs-trace-xwb", "--seeds", "5..1"], ["empty"]),
])
def test_preview_unknown_names_exit_2_naming_near_ones(arguments, words, capsys) -> None:
    status, out, err = run_cli(["preview", *arguments], capsys)
    assert status == 2 and out == ""
    for word in words:
        assert word in err


def _course_problems() -> list[str]:
    from tutor.packs.loader import discover_packs

    catalog = discover_packs(include_user=False)
    pack = catalog.get("backprop")
    assert pack is not None
    return [f"{ref.lesson.id}/{ref.problem.id}" for ref in pack.problems()]


@functools.cache
def _course_pack():
    """The installed course as `preview backprop` finds it, loaded once per test process (only read):
    loading it again for each of the 166 problems was about a sixth of this test's time."""
    from tutor.commands.preview import find_pack

    return find_pack("backprop", None)


@pytest.mark.parametrize("key", _course_problems())
def test_every_problem_of_the_built_in_course_previews_at_several_seeds(key: str, capsys) -> None:
    from tutor.commands.preview import describe_variant, find_problem, print_text
    from tutor.packs.grading import grade_answer
    from tutor.packs.variants import render_problem

    ref = find_problem(_course_pack(), key)
    for seed in (0, 3, 11):
        data = describe_variant(ref, seed)
        print_text(data, ascii_only=False)
        rendered = render_problem(ref.problem, seed)
        for entry in data.get("entries", []):
            assert "error" not in entry, entry
            if ref.problem.kind in ("trace", "ask") and not entry["ask"].startswith("derivative"):
                ask = entry["ask"] if ref.problem.kind == "trace" else None
                assert grade_answer(rendered, entry["expected"], ask).verdict == "correct"
                for wrong in entry["wrong"]:
                    if not wrong["coincides"]:
                        assert grade_answer(rendered, wrong["answer"], ask).verdict == "incorrect", (entry, wrong)
    out = capsys.readouterr().out
    assert ref.problem.id in out and "Traceback" not in out
