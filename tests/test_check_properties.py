"""Property tests of the checker on randomly generated graphs.

For any graph and any ask: the expected answer's own text grades correct, a number clearly off
grades incorrect, and every wrong rule's answer grades incorrect with a diagnosis. The exact
arithmetic agrees with plain floats wherever both are defined.
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_check_support import formula_given_away, giveaway_numbers, numbers_in, program_constants, quotable_formulas

from tutor.check import DIAGNOSES, GradeRequest, RequestError, expected_answer, grade, prepare_problem
from tutor.check.compare import number_text
from tutor.check.numbers import add, apply_function, describe, div, mul, power, sub, to_float
from tutor.check.problem import Ask
from tutor.check.rules import wrong_rules
from tutor.expr import parse_program
from tutor.expr.convert import EvaluationError
from tutor.graph import GraphBuildError

INPUTS = ("a", "b", "c")


@st.composite
def expressions(draw, depth: int = 3, allow_relu: bool = True) -> str:
    if depth == 0 or (depth < 3 and draw(st.integers(0, 3)) == 0):
        if draw(st.integers(0, 4)) == 0:
            return draw(st.sampled_from(["2", "3", "0.5", "1/4"]))
        return draw(st.sampled_from(INPUTS))
    left = draw(expressions(depth - 1, allow_relu))
    kinds = ["add", "sub", "mul", "div", "pow", "neg", "tanh", "sigmoid", "exp", "log", "sqrt"]
    if allow_relu:
        kinds.append("relu")
    kind = draw(st.sampled_from(kinds))
    if kind in ("add", "sub", "mul"):
        right = draw(expressions(depth - 1, allow_relu))
        return f"({left} {dict(add='+', sub='-', mul='*')[kind]} {right})"
    if kind == "div":  # a denominator that can't be 0
        right = draw(expressions(depth - 1, allow_relu))
        return f"({left} / (({right})^2 + 1))"
    if kind == "pow":
        return f"({left})^{draw(st.sampled_from([2, 3]))}"
    if kind == "neg":
        return f"(-{left})"
    if kind == "log":
        return f"log(({left})^2 + 1)"
    if kind == "sqrt":
        return f"sqrt(({left})^2 + 1)"
    if kind == "exp":
        return f"exp({left}/4)"
    return f"{kind}({left})"


@st.composite
def problems(draw, allow_relu: bool = True):
    body = draw(expressions(3, allow_relu))
    text = f"L = {body}"
    try:
        program = parse_program(text)
    except Exception:  # noqa: BLE001 - e.g. a program without any operator on a name
        assume(False)
    values = st.integers(-12, 12).map(lambda k: k / 4) | st.sampled_from([0.1, -0.3, 1.5, 2.5])
    at = {name: draw(values) for name in program.inputs}
    try:
        problem = prepare_problem(text, at)
    except RequestError:
        assume(False)
    numbers = [*problem.state.values.values(), *problem.state.grads.values()]
    assume(all(math.isfinite(to_float(number)) and abs(to_float(number)) < 1e6 for number in numbers))
    return text, at, problem


def _numeric_asks(problem) -> list[str]:
    graph = problem.graph
    asks = [f"value:{node}" for node in graph.order] + [f"grad:{node}" for node in graph.order]
    asks += [f"local:{edge.target}/{edge.source}" for edge in graph.edges]
    return asks


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@SETTINGS
@given(problems(), st.data())
def test_expected_text_grades_correct_and_a_perturbed_number_does_not(problem_data, data):
    text, at, problem = problem_data
    ask = data.draw(st.sampled_from(_numeric_asks(problem)))
    expected = expected_answer(GradeRequest(text, at, ask, ""))
    result = grade(GradeRequest(text, at, ask, expected))
    assert result.verdict == "correct", (text, at, ask, result)
    assert result.expected == expected

    right = to_float(problem.right_value(problem.parse_ask(ask), problem.state))
    step = max(0.01 * abs(right), 0.01) * data.draw(st.sampled_from([1, -1, 2.5, -7]))
    perturbed = grade(GradeRequest(text, at, ask, repr(right + step)))
    assert perturbed.verdict == "incorrect", (text, at, ask, right, perturbed)


@SETTINGS
@given(problems(), st.data())
def test_the_engines_float_grades_correct(problem_data, data):
    """A learner who types the full float the engine shows is right (rounded when the exact value is rational)."""
    text, at, problem = problem_data
    node = data.draw(st.sampled_from(problem.graph.order))
    for ask, number in ((f"value:{node}", problem.graph.nodes[node].value), (f"grad:{node}", problem.graph.nodes[node].grad)):
        result = grade(GradeRequest(text, at, ask, repr(number)))
        assert result.verdict == "correct", (text, at, ask, number, result)


@SETTINGS
@given(problems(), st.data())
def test_every_wrong_rule_is_diagnosed(problem_data, data):
    """What a wrong rule computes, typed as an answer, is incorrect and gets some diagnosis."""
    text, at, problem = problem_data
    ask_text = data.draw(st.sampled_from(_numeric_asks(problem)))
    ask: Ask = problem.parse_ask(ask_text)
    right = problem.right_value(ask, problem.state)
    for rule in wrong_rules(problem, ask):
        try:
            wrong = rule.compute(problem.state)
        except EvaluationError:
            continue
        number = to_float(wrong)
        if not math.isfinite(number) or abs(number) > 1e12 or math.isclose(number, to_float(right), rel_tol=2e-3, abs_tol=1e-8):
            continue
        result = grade(GradeRequest(text, at, ask_text, number_text(wrong)))
        assert result.verdict == "incorrect", (text, at, ask_text, rule.diagnosis, result)
        assert result.diagnosis in DIAGNOSES, (text, at, ask_text, rule.diagnosis, number_text(wrong), result)
        assert result.message


@SETTINGS
@given(problems(), st.data())
def test_a_wrong_answers_message_keeps_the_right_number_back(problem_data, data):
    """For every wrong rule's answer (and a number no rule explains), the message shown at once names the
    mistake without the right number (see test_check_support for exactly what is allowed), and
    ``worked`` ends with it."""
    text, at, problem = problem_data
    ask_text = data.draw(st.sampled_from(_numeric_asks(problem)))
    ask: Ask = problem.parse_ask(ask_text)
    right = problem.right_value(ask, problem.state)
    wrong_numbers = []
    for rule in wrong_rules(problem, ask):
        try:
            wrong_numbers.append(rule.compute(problem.state))
        except EvaluationError:
            continue
    wrong_numbers.append(add(right, Fraction(data.draw(st.sampled_from([1, -3, 7])), 2)))
    for wrong in wrong_numbers:
        number = to_float(wrong)
        if not math.isfinite(number) or abs(number) > 1e12:
            continue
        answer = number_text(wrong)
        result = grade(GradeRequest(text, at, ask_text, answer))
        if result.verdict != "incorrect":
            continue  # this rule gives the right answer here
        allowed = [value for _, value in numbers_in(answer)] + [number] + program_constants(problem.graph)
        assert giveaway_numbers(result.message, to_float(right), allowed) == [], (text, at, ask_text, answer, result)
        assert describe(right) in [token for token, _ in numbers_in(result.worked)], (text, ask_text, answer, result)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(problems(allow_relu=False), st.data())
def test_expected_formula_grades_correct_and_a_shifted_one_does_not(problem_data, data):
    text, at, problem = problem_data
    variable = data.draw(st.sampled_from(problem.graph.input_ids))
    ask = f"derivative:{variable}"
    expected = expected_answer(GradeRequest(text, at, ask, ""))
    result = grade(GradeRequest(text, at, ask, expected))
    assert result.verdict in ("correct", "unchecked"), (text, at, ask, expected, result)
    shifted = grade(GradeRequest(text, at, ask, f"{expected} + 1/100"))
    assert shifted.verdict in ("incorrect", "unchecked"), (text, at, ask, shifted)
    if shifted.verdict == "incorrect":  # the message is shown at once, so the right formula stays in "worked"
        quotable = quotable_formulas(problem.graph, f"{expected} + 1/100")
        assert not formula_given_away(shifted.message, expected, quotable, problem.graph.input_ids), (text, ask, shifted)
        assert expected in shifted.worked


exact_numbers = st.fractions(min_value=-50, max_value=50, max_denominator=64)


@settings(max_examples=300, deadline=None)
@given(exact_numbers, exact_numbers, st.sampled_from(["add", "sub", "mul", "div", "pow"]))
def test_exact_arithmetic_agrees_with_floats(a, b, op):
    if op == "pow":
        b = Fraction(round(b) % 7)  # small integer exponents, as exact arithmetic keeps them
    function = {"add": add, "sub": sub, "mul": mul, "div": div, "pow": power}[op]
    try:
        exact = function(a, b)
    except EvaluationError:
        assert (op == "div" and b == 0) or (op == "pow" and a == 0 and b < 0)
        return
    assert isinstance(exact, Fraction)
    approximate = {"add": lambda x, y: x + y, "sub": lambda x, y: x - y, "mul": lambda x, y: x * y,
                   "div": lambda x, y: x / y, "pow": lambda x, y: x**y}[op](float(a), float(b))
    assert math.isclose(float(exact), approximate, rel_tol=1e-12, abs_tol=1e-300)


@settings(max_examples=200, deadline=None)
@given(exact_numbers, st.sampled_from(["relu", "tanh", "exp", "sigmoid", "log"]))
def test_functions_are_exact_only_where_the_value_is_rational(x, function):
    try:
        value = apply_function(function, x)
    except EvaluationError:
        assert function == "log" and x <= 0
        return
    expected = {"relu": lambda v: max(v, 0.0), "tanh": math.tanh, "exp": math.exp,
                "sigmoid": lambda v: 1 / (1 + math.exp(-v)), "log": math.log}[function](float(x))
    assert math.isclose(to_float(value), expected, rel_tol=1e-12, abs_tol=1e-300)
    if isinstance(value, Fraction) and function != "relu":
        assert x in (0, 1)  # tanh(0), exp(0), sigmoid(0), log(1): the only rational values


@pytest.mark.parametrize("bad", ["7^823543", "(1/3)^1000000"])
def test_exact_power_refuses_to_build_huge_numbers(bad):
    base_text, exponent_text = bad.split("^")
    base = Fraction(base_text.strip("()"))
    result = power(base, Fraction(exponent_text))
    assert isinstance(result, float)


def test_random_programs_build():
    """The generator produces graphs the engine accepts (a guard against a silently empty strategy)."""
    built = 0
    for text, at in [("L = (a + b)^2", {"a": 1, "b": 2}), ("L = tanh(a*b) + c", {"a": 1, "b": 2, "c": 3})]:
        try:
            prepare_problem(text, at)
            built += 1
        except (RequestError, GraphBuildError):
            pass
    assert built == 2
