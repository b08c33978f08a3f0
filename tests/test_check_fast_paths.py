"""The checker's faster arithmetic gives the same numbers, and the algebra process starts early and alone.

Issue 13: a one-shot `grade` of a 300-term derivative paid for the algebra process's start after its own
work, and for a spare process importing sympy at the same time.
"""

from __future__ import annotations

import random
from fractions import Fraction

import pytest

import tutor.check.grader as grader
from tutor.check import GradeRequest, grade
from tutor.check.numbers import add, mul
from tutor.check.problem import PointState, Problem
from tutor.check.worker import AlgebraWorker
from tutor.graph import build_graph


def _reference_backward(problem: Problem, state: PointState, replace: dict, drop: frozenset) -> dict:
    """The backward pass written plainly, as before the fast paths."""
    grads = {node_id: Fraction(0) for node_id in problem.graph.order}
    grads[problem.output] = Fraction(1)
    for target in reversed(problem.graph.order):
        for edge in problem.edges_into[target]:
            key = (target, edge.slot)
            if key in drop:
                continue
            local = replace.get(key, state.locals[key])
            grads[edge.source] = add(grads[edge.source], mul(grads[target], local))
    return grads


def _same(ours: dict, plain: dict) -> bool:
    """Equal numbers of equal types (nan counts as equal to nan)."""
    return ours.keys() == plain.keys() and all(
        type(ours[key]) is type(plain[key]) and (ours[key] == plain[key] or ours[key] != ours[key] and plain[key] != plain[key])
        for key in ours)


PROGRAMS = [
    ("z = a*b + c\nL = relu(z)*z - tanh(a) + a^3/2", {"a": 2, "b": -3, "c": 7}),
    ("L = exp(a*b)*b + log(b)*a*0", {"a": 0.5, "b": 1.25}),
    ("L = (a - a) * b + a^2^3 + a*1", {"a": 3, "b": 5}),
    ("L = " + " + ".join(f"x^{i % 5 + 1}*{i % 7 + 1}" for i in range(40)), {"x": 0.5}),
    ("u = a^50\nv = u^30\nL = v*v*b + a*b", {"a": 1.25, "b": 3}),  # past the exact bounds: floats
]


@pytest.mark.parametrize(("program", "at"), PROGRAMS)
def test_backward_and_evaluate_give_the_plain_passes_numbers(program: str, at: dict) -> None:
    problem = Problem(build_graph(program, at, symbolic=False))
    generator = random.Random(program)
    for state in [problem.state, *problem.random_states()]:
        assert _same(problem.backward(state), _reference_backward(problem, state, {}, frozenset()))
        keys = list(state.locals)
        for _ in range(5):
            replace = {key: generator.choice([Fraction(0), Fraction(1), Fraction(-3, 2), 0.25, 2.0 ** 900])
                       for key in generator.sample(keys, k=min(2, len(keys)))}
            drop = frozenset(generator.sample(keys, k=1))
            assert _same(problem.backward(state, replace=replace, drop=drop),
                         _reference_backward(problem, state, replace, drop))
        again = problem.evaluate(state.inputs)
        assert _same(again.values, state.values) and _same(again.locals, state.locals)
        assert _same(again.grads, state.grads)


def test_a_formula_ask_starts_the_algebra_process_before_the_graph_is_built(monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[str] = []
    monkeypatch.setattr(grader, "warm_up", lambda: events.append("algebra started"))
    real_prepare = grader.prepare_problem
    monkeypatch.setattr(grader, "prepare_problem", lambda *a: events.append("graph built") or real_prepare(*a))
    request = GradeRequest("L = a*b*9 + a", {"a": 1, "b": 2}, "grad:a", "19")
    assert grade(request).verdict == "correct"
    assert events == ["graph built"]
    events.clear()
    grade(GradeRequest("L = a*b*9 + a", {"a": 1, "b": 2}, "derivative:a", "b*7"))  # wrong: no algebra needed
    assert events[:2] == ["algebra started", "graph built"]


def test_the_spare_process_starts_after_the_first_answer_not_with_the_first_process() -> None:
    worker = AlgebraWorker()
    try:
        worker.start()
        assert worker._spare is None  # one process imports sympy, not two at once
        assert worker.run({"job": "ping"}, budget=30) == {"status": "pong"}
        assert worker._spare is not None
        first = worker.pid
        assert worker.run({"job": "sleep", "seconds": 60}, budget=0.2) is None
        assert worker.run({"job": "ping"}, budget=30) == {"status": "pong"}  # the spare took over
        assert worker.pid != first
    finally:
        worker.stop()


def test_without_a_spare_only_one_process_runs() -> None:
    worker = AlgebraWorker(keep_spare=False)
    try:
        assert worker.run({"job": "ping"}, budget=30) == {"status": "pong"}
        assert worker._spare is None
    finally:
        worker.stop()


def test_readiness_can_be_asked_without_waiting() -> None:
    worker = AlgebraWorker(keep_spare=False)
    try:
        assert not worker.ready_now()  # not started
        worker.start()
        assert worker.run({"job": "ping"}, budget=30) == {"status": "pong"}
        assert worker.ready_now()
        assert worker.run({"job": "ping"}, budget=30) == {"status": "pong"}  # asking consumed no reply
    finally:
        worker.stop()
    assert not worker.ready_now()
