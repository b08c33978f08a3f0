"""derivative2:VAR asks: the corpus, and second derivatives from sympy and the engine on random programs."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_check_corpus import _check, _check_no_giveaway_in_graph_message, _graph_cases
from test_check_properties import problems

from tutor.check import GradeRequest, RequestError, coinciding_mistakes, expected_answer, grade, prepare_problem
from tutor.check.numbers import to_float
from tutor.check.second import engine_second_derivative, second_derivative_at


@pytest.mark.parametrize(("program", "at", "ask", "tolerance", "mistakes", "answer", "kind", "diagnosis"),
                         _graph_cases("second_derivatives.yaml"))
def test_second_derivative_answers(program, at, ask, tolerance, mistakes, answer, kind, diagnosis):
    result = grade(GradeRequest(program=program, at=at, ask=ask, answer=answer, tolerance=tolerance, mistakes=mistakes))
    _check(result, kind, diagnosis)
    _check_no_giveaway_in_graph_message(result, program, at, ask, answer)


def test_the_first_derivative_is_named_as_such():
    result = grade(GradeRequest("y = a^3 + b^3 + c^3", {"a": 1, "b": 2, "c": -1}, "derivative2:a", "3*a^2"))
    assert result.verdict == "incorrect"
    assert "first derivative dy/da" in result.message and "6*a" not in result.message
    assert result.worked == "d²y/da² = 6*a."  # the right formula, for when the learner has had their tries


def test_expected_text_and_label():
    request = GradeRequest("y = x^3", {"x": 2}, "derivative2:x", "")
    assert expected_answer(request) == "6*x"
    assert "d²y/dx² = 6*x" in grade(GradeRequest("y = x^3", {"x": 2}, "derivative2:x", "6x")).message


@pytest.mark.parametrize("program, at, ask, words", [
    ("L = relu(x)^3", {"x": 1}, "derivative2:x", "relu"),
    ("z = x*x; L = z + 1", {"x": 1}, "derivative2:z", "with respect to an input"),
    ("L = x^2 + y", {"x": 1, "y": 1}, "derivative2:q", "no node 'q'"),
    ("L = x^2", {"x": 1}, "derivative3:x", "unknown ask"),
])
def test_unusable_second_derivative_asks(program, at, ask, words):
    with pytest.raises(RequestError, match=words):
        grade(GradeRequest(program, at, ask, "1"))


def test_coinciding_author_mistakes_are_reported():
    from tutor.check import AuthorMistake

    request = GradeRequest("y = x^3", {"x": 2}, "derivative2:x", "", mistakes=[
        AuthorMistake("3*x*2", "same as right", "same"), AuthorMistake("3*x^2", "first", "first")])
    assert coinciding_mistakes(request) == ["same"]


SECOND_SETTINGS = settings(max_examples=25, deadline=None,
                           suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@SECOND_SETTINGS
@given(problems(allow_relu=False), st.data())
def test_second_derivatives_agree_with_sympy_and_the_engine(problem_data, data):
    """Three ways to the same number: sympy differentiating dL/dx once more (what the checker grades
    against), sympy differentiating the whole program twice, and the engine's create_graph backward."""
    import sympy

    text, at, problem = problem_data
    variable = data.draw(st.sampled_from(problem.graph.input_ids))
    direct = sympy.diff(problem.graph.sympy_exprs[problem.graph.output], sympy.Symbol(variable, real=True), 2)
    compared = 0
    for state in [problem.state, *problem.random_states()]:
        checker = second_derivative_at(problem, variable, state)  # raises if the engine disagrees
        if checker is None:
            continue
        point = {sympy.Symbol(name, real=True): sympy.Rational(value.numerator, value.denominator)
                 for name, value in state.inputs.items()}
        symbolic = complex(sympy.N(direct.xreplace(point), 30))
        engine = engine_second_derivative(problem.graph, variable, {k: to_float(v) for k, v in state.inputs.items()})
        assert to_float(checker) == pytest.approx(symbolic.real, rel=1e-9, abs=1e-9), (text, state.inputs)
        assert engine == pytest.approx(symbolic.real, rel=1e-7, abs=1e-7), (text, state.inputs)
        compared += 1
    assert compared >= 1


@SECOND_SETTINGS
@given(problems(allow_relu=False), st.data())
def test_expected_second_derivative_grades_correct_and_a_shifted_one_does_not(problem_data, data):
    text, at, problem = problem_data
    variable = data.draw(st.sampled_from(problem.graph.input_ids))
    ask = f"derivative2:{variable}"
    try:
        expected = expected_answer(GradeRequest(text, at, ask, ""))
    except RequestError:
        return  # no finite second derivative at the given point
    assert grade(GradeRequest(text, at, ask, expected)).verdict in ("correct", "unchecked"), (text, at, expected)
    shifted = grade(GradeRequest(text, at, ask, f"{expected} + 1/100"))
    assert shifted.verdict in ("incorrect", "unchecked"), (text, at, shifted)
    assert prepare_problem(text, at) is problem
