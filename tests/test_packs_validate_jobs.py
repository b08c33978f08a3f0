"""validate --jobs: a big pack's problems shared among forked processes give the same errors as one process."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tutor.packs import validate as validate_module
from tutor.packs.loader import load_pack

FIXTURES = Path(__file__).parent / "packs_fixtures"
BROKEN = ["builtin-coincides", "failing-test", "mistake-coincides", "wrong-answer", "bad-layer"]


def many_broken(tmp_path: Path, count: int = 6) -> Path:
    """A pack whose every problem has one error (a test that grades otherwise than it says)."""
    steps = "".join(f"""\
      - kind: numeric
        id: n{index}
        prompt: "What is {index} + 1?"
        answer: "{index} + 1"
        tests:
          - {{answer: "{index + 2}", verdict: correct}}
""" for index in range(count))
    path = tmp_path / "many.yaml"
    path.write_text('id: many\ntitle: "Many"\nversion: "1"\nlessons:\n  - id: l\n    title: "L"\n    steps:\n' + steps)
    return path


def child_takes_work_first(monkeypatch) -> None:
    """The parent checks its first problem only once a child has taken one (a pipe, not a sleep), so the
    children's share is never empty however the processes are scheduled."""
    signal_read, signal_write = os.pipe()
    real = validate_module._validate_problem_cached
    parent = os.getpid()
    waiting = [True]

    def wrapped(ref, *args):
        if os.getpid() != parent:
            os.write(signal_write, b"x")
        elif waiting[0]:
            waiting[0] = False
            os.read(signal_read, 1)
        return real(ref, *args)

    monkeypatch.setattr(validate_module, "_validate_problem_cached", wrapped)


def errors_of(folder: Path, jobs: int) -> list[str]:
    return [str(error) for error in validate_module.validate_pack(load_pack(folder), seed_count=8, jobs=jobs)]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@pytest.mark.parametrize("fixture", BROKEN)
def test_forked_processes_find_the_same_errors_as_one(fixture: str, monkeypatch) -> None:
    monkeypatch.setattr(validate_module, "PARALLEL_MIN_PROBLEMS", 1)
    forks = []
    real_fork = os.fork
    monkeypatch.setattr(os, "fork", lambda: forks.append(1) or real_fork())
    alone = errors_of(FIXTURES / fixture, jobs=1)
    assert not forks
    shared = errors_of(FIXTURES / fixture, jobs=3)
    assert alone and shared == alone
    assert forks or len(load_pack(FIXTURES / fixture).lessons[0].problems()) < 2


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@pytest.mark.parametrize("jobs", [2, 3])
def test_every_problem_s_error_comes_back_from_the_children(tmp_path: Path, monkeypatch, jobs: int) -> None:
    monkeypatch.setattr(validate_module, "PARALLEL_MIN_PROBLEMS", 1)
    path = many_broken(tmp_path)
    alone = errors_of(path, jobs=1)
    assert len({error.split(": error")[0] for error in alone}) == 6  # one error at each problem
    child_takes_work_first(monkeypatch)
    assert errors_of(path, jobs=jobs) == alone


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_child_that_fails_costs_only_time(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(validate_module, "PARALLEL_MIN_PROBLEMS", 1)
    parent = os.getpid()
    real_dumps = json.dumps

    def failing_in_the_child(*args, **kwargs):
        if os.getpid() != parent:
            raise RuntimeError("the child breaks")
        return real_dumps(*args, **kwargs)

    monkeypatch.setattr(json, "dumps", failing_in_the_child)
    path = many_broken(tmp_path)
    alone = errors_of(path, jobs=1)
    assert len(alone) == 6
    child_takes_work_first(monkeypatch)
    assert errors_of(path, jobs=2) == alone  # what the child took was checked again here


def test_small_packs_and_one_job_never_fork(monkeypatch) -> None:
    monkeypatch.setattr(os, "fork", lambda: pytest.fail("forked"))
    errors_of(FIXTURES / "wrong-answer", jobs=2)  # fewer problems than PARALLEL_MIN_PROBLEMS
    monkeypatch.setattr(validate_module, "PARALLEL_MIN_PROBLEMS", 1)
    errors_of(FIXTURES / "wrong-answer", jobs=1)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_child_that_hangs_is_ended_and_its_problems_checked_here(tmp_path: Path, monkeypatch) -> None:
    # A forked copy of a process with other threads could wait forever on a lock one of them held; validate
    # (and CI) must not wait with it.
    import select

    monkeypatch.setattr(validate_module, "PARALLEL_MIN_PROBLEMS", 1)
    monkeypatch.setattr(validate_module, "CHILD_SILENCE_LIMIT", 0.5)
    path = many_broken(tmp_path)
    alone = errors_of(path, jobs=1)
    parent = os.getpid()
    real = validate_module._validate_problem_cached

    def hanging_in_the_child(ref, *args):
        if os.getpid() != parent:
            select.select([], [], [])  # waits for nothing, forever, like a deadlock
        return real(ref, *args)

    monkeypatch.setattr(validate_module, "_validate_problem_cached", hanging_in_the_child)
    assert errors_of(path, jobs=2) == alone
