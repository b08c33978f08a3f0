"""Code exercises: a correct solution passes everything; each bug fixture fails with its diagnosis."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tutor.cli import main
from tutor.exercises import EXERCISES, check_file
from tutor.exercises.checking import _agrees, reference
from tutor.exercises.mutants import run_rows
from tutor.exercises.programs import random_program

FIXTURES = Path(__file__).parent / "exercise_fixtures"


def _checker_processes() -> list[str]:
    """Processes still running the checker's child (their arguments name its temp folder)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if b"backprop-tutor-check-" in command:
                found.append(command.decode(errors="replace"))
    return found


@pytest.mark.parametrize("exercise_id", list(EXERCISES))
def test_correct_solution_passes_every_exercise(exercise_id):
    report = check_file(exercise_id, FIXTURES / "correct.py")
    assert report.passed, report.message
    assert report.diagnosis is None


@pytest.mark.parametrize("fixture, diagnosis", [
    ("assign_mul", "assign-mul"),
    ("assign_add", "assign-add"),
    ("mul_own_value", "mul-own-value"),
    ("missing_upstream_exp", "missing-upstream-exp"),
    ("tanh_from_input", "tanh-from-input"),
    ("pow_without_n", "pow-without-n"),
    ("pow_without_n_minus_1", "pow-without-n-minus-1"),
    ("topo_visits_twice", "topo-visits-twice"),
    ("no_seed", "no-seed"),
    ("not_reversed", "not-reversed"),
    ("sub_sign", "sub-sign"),
    ("div_sign", "div-sign"),
])
def test_each_bug_is_named(fixture, diagnosis):
    report = check_file("value", FIXTURES / f"{fixture}.py")
    assert not report.passed
    assert report.diagnosis == diagnosis, report.message
    assert "Smallest failing program" in report.message
    assert "yours" in report.drawing and "right" in report.drawing


def test_infinite_loop_is_stopped_within_the_limit_and_leaves_no_process():
    started = time.monotonic()
    report = check_file("value", FIXTURES / "infinite_loop.py", timeout=2.0)
    assert time.monotonic() - started < 6.0
    assert not report.passed and report.diagnosis == "runtime-error"
    assert "did not finish within 2 seconds" in report.message
    assert _checker_processes() == []


def test_syntax_error_shows_the_learners_line():
    report = check_file("value", FIXTURES / "syntax_error.py")
    assert not report.passed
    assert "SyntaxError" in report.message and "syntax_error.py" in report.message
    assert "runner.py" not in report.message  # trimmed to the learner's file


def test_missing_method_is_a_plain_message():
    report = check_file("value", FIXTURES / "missing_sigmoid.py")
    assert not report.passed
    assert "has no attribute 'sigmoid'" in report.message
    assert "runner.py" not in report.message


def test_wrong_return_type_is_a_plain_message():
    report = check_file("value", FIXTURES / "wrong_return_type.py")
    assert not report.passed and report.diagnosis == "runtime-error"
    assert "the relu operation returned float, not a Value" in report.message


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), size=st.integers(1, 12))
@example(seed=148, size=6)  # relu(sigmoid(-729 + c)): the mutant engine's sigmoid overflowed where the engine's does not
def test_unbroken_mutant_engine_agrees_with_the_tutor_engine(seed, size):
    import random

    program = random_program(random.Random(seed), EXERCISES["value"].ops, size)
    expected = reference(program.rows())
    if expected is not None:
        assert _agrees(run_rows(program.rows()), expected)
        assert _agrees(run_rows(program.rows(), composite=True), expected)


def test_cli_check_json_and_exit_codes(tmp_path, capsys):
    assert main(["code", "check", "value", str(FIXTURES / "correct.py"), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["passed"] is True
    assert main(["code", "check", "value", str(FIXTURES / "no_seed.py"), "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["diagnosis"] == "no-seed" and {"name", "passed", "message"} <= set(data["checks"][0])
    assert main(["code", "start", "value", "--dir", str(tmp_path)]) == 0
    assert Path(capsys.readouterr().out.strip()) == tmp_path / "value.py"
    assert (tmp_path / "value.py").exists()
