"""An earlier wrong value carried forward in a trace (issue 14 §2): tutor.check.grade_in_trace."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from test_check_support import giveaway_numbers, instance_numbers_in_rule, numbers_in, program_constants

from tutor.check import GradeRequest, grade, grade_in_trace, prepare_problem
from tutor.check.numbers import to_float

CORPUS = Path(__file__).parent / "grading_corpus" / "carried_forward.yaml"


def _cases() -> list[Any]:
    with open(CORPUS, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    cases = []
    for index, problem in enumerate(data["problems"]):
        for ask, answer, earlier, diagnosis in problem["cases"]:
            cases.append(pytest.param(problem["program"], problem["at"], ask, answer, earlier, diagnosis,
                                      id=f"#{index} {ask} {answer!r} after {earlier} -> {diagnosis}"))
    return cases


@pytest.mark.parametrize(("program", "at", "ask", "answer", "earlier", "diagnosis"), _cases())
def test_carried_forward_corpus(program, at, ask, answer, earlier, diagnosis):
    result = grade_in_trace(program, at, ask, answer, earlier)
    if diagnosis == "correct":
        assert result.verdict == "correct", result
        return
    assert (result.verdict, result.diagnosis) == ("incorrect", diagnosis), result
    assert result.rule and result.worked
    problem = prepare_problem(program, at)
    right = to_float(problem.right_value(problem.parse_ask(ask), problem.state))
    # The message may quote the learner's own numbers (this answer and the earlier entries), never the right one.
    allowed = [value for text in (answer, *earlier.values()) for _, value in numbers_in(text)]
    assert giveaway_numbers(result.message, right, allowed + program_constants(problem.graph)) == [], result
    assert instance_numbers_in_rule(result.rule, program_constants(problem.graph)) == [], result
    if diagnosis == "carried-forward":
        assert result.message.startswith("Your method is right; it uses your "), result


def test_the_message_names_the_entry_where_the_slip_began():
    result = grade_in_trace("L = (a*b + c)^2", {"a": 2, "b": 3, "c": 1}, "grad:a", "48",
                            {"value:z2": "8", "grad:z2": "16", "grad:z1": "16"})
    assert result.message == "Your method is right; it uses your z2 = 8, which is off. Fix that entry first."
    assert result.rule == "z2 = z1 + c: a node's value is its formula applied to its inputs' forward values."
    assert result.worked == "dL/da = dL/dz1 · ∂z1/∂a = 14 · 3 = 42."


def test_without_earlier_entries_it_grades_as_grade_does():
    for answer in ("42", "48", "3", "q"):
        request = GradeRequest("L = (a*b + c)^2", {"a": 2, "b": 3, "c": 1}, "grad:a", answer)
        assert grade_in_trace(request.program, request.at, request.ask, answer, {}) == grade(request)


def test_an_author_mistake_still_comes_first():
    from tutor.check import AuthorMistake

    result = grade_in_trace("L = (a*b + c)^2", {"a": 2, "b": 3, "c": 1}, "grad:z2", "16", {"value:z2": "8"},
                            mistakes=[AuthorMistake("16", "Check z2 first.", "z2-off")])
    assert (result.diagnosis, result.message) == ("z2-off", "Check z2 first.")
