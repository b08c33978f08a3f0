"""Code exercises: a correct solution passes everything; each bug fixture fails with its diagnosis."""

from __future__ import annotations

import json
import random
import tempfile
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


def _checker_processes(folder: Path | None = None) -> list[str]:
    """Processes still running the checker's child (their arguments name its temp folder).

    With ``folder`` (a test's own tempfile.tempdir), only this test's children: other xdist workers
    run checks of their own at the same time."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if b"backprop-tutor-check-" in command and (folder is None or str(folder).encode() in command):
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


def test_infinite_loop_is_stopped_within_the_limit_and_leaves_no_process(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    report = check_file("value", FIXTURES / "infinite_loop.py", timeout=2.0)  # returns: the limit ended it
    assert not report.passed and report.diagnosis == "runtime-error"
    assert "did not finish within 2 seconds" in report.message
    assert _checker_processes(tmp_path) == []


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


def test_the_child_reports_each_result_as_it_finishes(tmp_path, monkeypatch):
    # The learner's exp() waits on a FIFO that only the parent's callback for the FIRST result
    # opens: if results came only at the end of the run, the child would hang until the timeout.
    import os

    from tutor.exercises.harness import run_in_child

    fifo = tmp_path / "go"
    os.mkfifo(fifo)
    learner = tmp_path / "learner.py"
    learner.write_text(f"""\
class Value:
    def __init__(self, data):
        self.data, self.grad = data, 0.0
    def relu(self):
        return Value(max(0.0, self.data))
    def exp(self):
        with open({str(fifo)!r}) as handle:
            handle.read()
        return Value(2.0)
    def backward(self):
        self.grad = 1.0
""")
    seen = []

    def on_result(index, result):
        seen.append(index)
        if index == 0:
            with open(fifo, "w") as handle:
                handle.write("go")

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    tasks = [{"kind": "graph", "rows": [["input", "a", 1.0], [op, 0]]} for op in ("relu", "exp")]
    answer = run_in_child(learner, tasks, timeout=20.0, on_result=on_result)
    assert not answer.timed_out and answer.crashed is None
    assert seen == [0, 1] and [result["ok"]["values"][1] for result in answer.results] == [1.0, 2.0]
    assert _checker_processes(tmp_path) == []


def test_on_check_sees_every_check_in_order_and_matches_the_report():
    seen = []
    report = check_file("add-mul", FIXTURES / "mul_own_value.py", on_check=lambda c, i, n: seen.append((i, n, c)))
    assert [index for index, _, _ in seen] == list(range(len(report.checks)))
    assert {total for _, total, _ in seen} == {len(report.checks)}
    assert [check for _, _, check in seen] == report.checks


def test_a_same_size_fix_saved_in_the_same_second_is_the_code_that_runs(tmp_path):
    # A pyc is trusted when the source's mtime (whole seconds) and size match: the child must not use one.
    import os
    import shutil

    target = tmp_path / "value.py"
    shutil.copyfile(FIXTURES / "mul_own_value.py", target)
    stamp = target.stat().st_mtime_ns
    assert check_file("add-mul", target).diagnosis == "mul-own-value"
    shutil.copyfile(FIXTURES / "correct.py", target)  # the same length: the fix swaps two names
    os.utime(target, ns=(stamp, stamp))
    assert check_file("add-mul", target).passed
    assert not (tmp_path / "__pycache__").exists()


PACK_WITH_A_CODE_PROBLEM = """\
id: someone-pack
title: "Someone's pack"
version: "1.0.0"
lessons:
  - id: write-value
    title: "Write Value"
    steps:
      - kind: code
        id: write-value
        prompt: "Write `Value`."
        exercise: value
"""


def _pack_with_starter(tmp_path: Path) -> Path:
    pack = tmp_path / "pack"
    (pack / "starters").mkdir(parents=True)
    (pack / "pack.yaml").write_text(PACK_WITH_A_CODE_PROBLEM)
    (pack / "starters" / "value.py").write_text((FIXTURES / "correct.py").read_text())
    return pack


def test_a_packs_starter_is_copied_apart_and_recorded_as_the_packs(tmp_path):
    import os

    from tutor.exercises.workspace import is_trusted, pack_origin, start_file, trust_pack, untrusted_origin

    pack, workspace = _pack_with_starter(tmp_path), tmp_path / "code"
    own = start_file("value", workspace)
    from_pack = start_file("value", workspace, pack_id="someone-pack", pack_folder=pack)
    assert own == workspace / "value.py" and from_pack == workspace / "someone-pack" / "value.py"
    assert own.read_text() == EXERCISES["value"].starter.read_text()
    assert (pack_origin(own, workspace), pack_origin(from_pack, workspace)) == (None, "someone-pack")
    assert untrusted_origin(own, workspace) is None and untrusted_origin(from_pack, workspace) == "someone-pack"
    trust_pack("someone-pack", workspace)
    assert is_trusted("someone-pack", workspace) and untrusted_origin(from_pack, workspace) is None
    # A link in starters/ is not taken (it could point anywhere): the tutor's own starter is used.
    other = tmp_path / "other"
    (other / "starters").mkdir(parents=True)
    os.symlink(FIXTURES / "correct.py", other / "starters" / "value.py")
    linked = start_file("value", tmp_path / "code2", pack_id="other", pack_folder=other)
    assert linked == tmp_path / "code2" / "value.py" and pack_origin(linked, tmp_path / "code2") is None


def test_cli_refuses_a_packs_starter_until_trusted(tmp_path, capsys):
    pack, data = _pack_with_starter(tmp_path), tmp_path / "data"
    assert main(["--data-dir", str(data), "code", "start", "value", "--pack", str(pack)]) == 0
    path = Path(capsys.readouterr().out.strip())
    assert path == data / "code" / "someone-pack" / "value.py"
    assert main(["--data-dir", str(data), "code", "check", "value", str(path)]) == 2  # stdin is no terminal
    err = capsys.readouterr().err
    assert "came from the pack 'someone-pack'" in err and "--trust" in err
    assert main(["--data-dir", str(data), "code", "check", "value", str(path), "--trust"]) == 0
    capsys.readouterr()
    assert main(["--data-dir", str(data), "code", "check", "value", str(path)]) == 0  # remembered for the pack


def test_the_graph_drawn_uses_the_op_whose_rule_is_wrong():
    # - is built on * in this file, so the smallest failing program was a - b: the bug was named
    # (mul) but a subtraction was drawn. The program shown must contain a product.
    report = check_file("value", FIXTURES / "mul_own_value_sub_via_mul.py")
    assert report.diagnosis == "mul-own-value"
    shown = report.message.split("Smallest failing program: ", 1)[1].split("  with", 1)[0]
    assert "*" in shown and "-" not in shown, shown
    assert "L *" in report.drawing


def test_a_loop_in_one_rule_names_the_check_it_hung_in(tmp_path):
    source = (FIXTURES / "correct.py").read_text()
    looping = tmp_path / "value.py"
    looping.write_text(source.replace("    def tanh(self):\n", "    def tanh(self):\n        while True:\n            pass\n", 1))
    report = check_file("value", looping, timeout=2.0)
    assert not report.passed and report.diagnosis == "runtime-error"
    *done, stopped = report.checks
    assert all(check.passed for check in done) and len(done) == 8  # up to L = -a * b
    assert stopped.name == "L = tanh(a)" and not stopped.passed
    assert "did not finish within 2 seconds" in report.message and "during the check L = tanh(a)" in report.message


@pytest.mark.parametrize("ops", [("sub", "div"), ("log",), ("div", "pow"), ("neg", "mul"), ("add", "div", "pow")])
def test_random_programs_use_only_the_ops_under_test(ops):
    from tutor.exercises.programs import program_ops

    rng = random.Random(3)
    for size in range(1, 13):
        for _ in range(10):
            program = random_program(rng, ops, size, (0.5, 3.0))
            assert program_ops(program.text, program.inputs) <= set(ops), program.text
            assert all(0.5 <= value <= 3.0 for value in program.inputs.values())


def test_with_checks_keeps_the_builtin_programs_within_the_ops_and_the_rest_as_given():
    from tutor.exercises.catalog import random_sizes, with_checks

    base = EXERCISES["value"]
    focused = with_checks(base, ops=("sub", "div"))
    assert focused.programs == (("L = a - b", {"a": 2, "b": 5}), ("L = a / b", {"a": 3, "b": 2}))
    assert (focused.random_sizes, focused.tolerance, focused.starter) == (base.random_sizes, base.tolerance,
                                                                          base.starter)
    assert with_checks(base) == base
    assert random_sizes(6, 5) == (1, 2, 3, 3, 4, 5) and random_sizes(1, 7) == (7,) and random_sizes(0, 4) == ()


def test_the_pack_model_knows_the_same_ops_as_the_harness():
    from tutor.exercises.catalog import OP_NAMES
    from tutor.packs.models import CODE_OPS, CodeOp

    assert CODE_OPS == OP_NAMES == CodeOp.__args__


def test_a_looser_tolerance_passes_what_the_default_fails(tmp_path):
    from tutor.exercises.catalog import with_checks

    # A Value whose every gradient is off by 1e-4 (relative): wrong by the default 1e-6, right within 1e-3.
    learner = tmp_path / "almost.py"
    learner.write_text((FIXTURES / "correct.py").read_text() + '''

_backward = Value.backward


def _slightly_off(self):
    _backward(self)
    seen, stack = set(), [self]
    while stack:
        node = stack.pop()
        if id(node) not in seen:
            seen.add(id(node))
            node.grad *= 1 + 1e-4
            stack.extend(node._prev)


Value.backward = _slightly_off
''')
    add_mul = EXERCISES["add-mul"]
    assert not check_file(add_mul, learner).passed
    report = check_file(with_checks(add_mul, tolerance=(1e-3, 1e-6)), learner)
    assert report.passed, report.message
