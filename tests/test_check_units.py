"""Pieces of the checker: exactness rules, expected texts, request errors, coincidences, the worker."""

from __future__ import annotations

import math
import os
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction

import pytest

from tutor.check import (
    AuthorMistake,
    GradeRequest,
    GradeResult,
    Problem,
    RequestError,
    Tolerance,
    coinciding_mistakes,
    expected_answer,
    grade,
    grade_answer,
    grade_numeric,
    prepare_problem,
)
from tutor.check.compare import EXACT, ROUNDED, WRONG, compare_numbers, number_text
from tutor.check.matrix import grade_layer
from tutor.check.numbers import evaluate_tree, exact_fraction, format_exact
from tutor.check.worker import AlgebraWorker
from tutor.expr import parse_expression
from tutor.graph import build_graph

CLASSIC = ("L = (a*b + c)^2", {"a": 2, "b": 3, "c": 1})


def request(ask: str, answer: str = "", program: str = CLASSIC[0], at: dict | None = None, **extra) -> GradeRequest:
    return GradeRequest(program=program, at=CLASSIC[1] if at is None else at, ask=ask, answer=answer, **extra)


# ------------------------------------------------------------------ exactness


@pytest.mark.parametrize(("answer", "expected", "tolerance", "outcome"), [
    (Fraction(42), Fraction(42), None, EXACT),
    (Fraction(4201, 100), Fraction(42), None, WRONG),  # 42.01 could have been 42.00
    (Fraction(333, 1000), Fraction(1, 3), None, ROUNDED),  # 1/3 can't be written with 3 decimals
    (Fraction(33, 100), Fraction(1, 3), None, WRONG),  # outside 0.1%
    (Fraction(1, 3), Fraction(3333, 10000), None, WRONG),  # an exact answer that isn't a rounding
    (Fraction(4201, 100), Fraction(42), Tolerance(rel=0.01), ROUNDED),  # the author's tolerance applies as given
    (0.7616, math.tanh(1), None, ROUNDED),
    (math.tanh(1), math.tanh(1), None, EXACT),
    (0.76, math.tanh(1), None, WRONG),
    (1.0, Fraction(1), None, EXACT),  # e.g. exp(0)*1.0 written with floats
    (math.inf, Fraction(1), None, WRONG),
    (math.nan, math.nan, None, WRONG),
    (Fraction(1, 100) + Fraction(1, 10**18), Fraction(1, 100), None, ROUNDED),  # float noise, not a mistake
])
def test_compare_numbers(answer, expected, tolerance, outcome):
    assert compare_numbers(answer, expected, tolerance) == outcome


def test_exact_fraction_reads_decimals_as_meant():
    assert exact_fraction(0.1) == Fraction(1, 10)
    assert exact_fraction(2.5) == Fraction(5, 2)
    assert exact_fraction(1 / 3) == Fraction(1, 3)
    assert float(exact_fraction(math.pi)) == math.pi  # never a different float


@pytest.mark.parametrize(("value", "text"), [
    (Fraction(42), "42"), (Fraction(-7, 2), "-3.5"), (Fraction(1, 3), "1/3"), (Fraction(1, 1048576), "1/1048576"),
    (Fraction(529, 10000), "0.0529"),
])
def test_format_exact(value, text):
    assert format_exact(value, max_decimals=10) == text


@pytest.mark.parametrize("value", [math.tanh(1), 1e40, -2.5e-7, 123456.789, Fraction(2**100, 3), math.pi * 1e-50])
def test_number_text_parses_back_within_the_tolerance(value):
    for tolerance in (None, Tolerance(rel=1e-9, abs=1e-15)):
        text = number_text(value, tolerance)
        parsed, _ = evaluate_tree(parse_expression(text, allowed_names=set()), {})
        assert compare_numbers(parsed, value, tolerance) != WRONG, (value, text)


def test_a_tight_tolerance_makes_the_expected_text_longer():
    assert number_text(math.tanh(1)) == "0.7616"
    assert len(number_text(math.tanh(1), Tolerance(rel=1e-9))) > 10


# ------------------------------------------------------------------ results and messages


def test_the_missing_upstream_message_names_the_rule_and_the_worked_answer_is_separate():
    result = grade(request("grad:a", "3"))
    assert result.diagnosis == "missing-upstream"
    assert result.message == ("You gave ∂z1/∂a = 3, the local derivative only. Multiply it by the gradient arriving "
                              "from above, dL/dz1.")
    assert result.worked == "dL/da = dL/dz1 · ∂z1/∂a = 14 · 3 = 42."


def test_an_unexplained_wrong_number_gets_where_to_look_then_the_rule_then_the_arithmetic():
    result = grade(request("grad:a", "40"))
    assert (result.verdict, result.diagnosis) == ("incorrect", None)
    assert result.message == "Not quite: you gave 40. Follow the chain rule back from L to a, through z1."
    assert result.rule == "dL/da = dL/dz1 · ∂z1/∂a: the gradient from above times the local derivative."
    assert result.worked == "dL/da = dL/dz1 · ∂z1/∂a = 14 · 3 = 42."


def test_a_wrong_local_derivative_keeps_its_numbers_for_worked():
    result = grade(request("grad:a", "28"))  # 14 · a instead of 14 · b
    assert result.diagnosis == "wrong-operand"
    # The message names the slip; "the other factor, b" would be the answer in one step, so it is the rule's.
    assert result.message == ("For the product z1 = a*b, your ∂z1/∂a uses a itself; the derivative with respect to "
                              "one factor does not contain that factor's own value.")
    assert result.rule.startswith("∂(u·v)/∂u = v and ∂(u·v)/∂v = u: a product's derivative with respect to one "
                                  "factor is the other factor. Then dL/da = dL/dz1 · ∂z1/∂a")
    assert result.worked == "Here ∂z1/∂a = b = 3, not 2. dL/da = dL/dz1 · ∂z1/∂a = 14 · 3 = 42."


def test_a_correct_answer_also_carries_the_worked_line():
    assert grade(request("value:z1", "6")).worked == "z1 = a*b = 2*3 = 6."


def test_invalid_answers_point_at_the_column():
    result = grade(request("grad:a", "2*z2*q"))
    assert (result.verdict, result.column) == ("invalid", 6)
    assert "q" in result.message and result.message.startswith("column 6")
    assert result.expected == "42"


def test_an_unknown_name_lists_only_the_names_this_ask_allows():
    result = grade(request("value:z1", "q"))
    assert result.message == "column 1: unknown name 'q'; the names you can use here are: a, b"
    assert "did you mean a*b?" in grade(request("grad:a", "ab")).message


def test_a_value_may_not_be_written_with_itself_or_what_comes_after():
    assert grade(request("value:z2", "z2")).verdict == "invalid"
    assert grade(request("value:z2", "sqrt(L)")).verdict == "invalid"
    assert grade(request("value:z2", "z1 + c")).verdict == "correct"
    assert grade(request("grad:z2", "2*z2")).verdict == "correct"  # gradients may use any forward value


def test_result_json_has_the_cli_fields():
    record = grade(request("grad:a", "(")).to_json()
    assert set(record) == {"verdict", "expected", "diagnosis", "message", "rule", "worked", "column"}
    assert record["worked"] == record["rule"] == ""  # an unreadable answer has nothing to work through
    rounded = grade(request("value:L", "0.762", program="L = tanh(x)", at={"x": 1})).to_json()
    assert rounded["rounded"] is True


def test_grade_result_defaults_fit_other_modules():
    """Other modules build results for non-graph problems with only these fields."""
    result = GradeResult(verdict="correct", expected="b", diagnosis=None, message="Correct.", column=None)
    assert result.rounded is False


def test_expected_answer_for_each_ask_kind():
    assert expected_answer(request("value:z2")) == "7"
    assert expected_answer(request("grad:b")) == "28"
    assert expected_answer(request("local:L/z2")) == "14"
    assert expected_answer(request("derivative:a")) == "2*b*(a*b + c)"
    assert expected_answer(request("value:L", program="L = tanh(x)", at={"x": 1})) == "0.7616"


def test_expected_formulas_spell_e_as_the_answer_language_does():
    e_program = ("L = e*x^2", {"x": 1})
    text = expected_answer(request("derivative:x", program=e_program[0], at=e_program[1]))
    assert text == "2*e*x"
    assert grade(request("derivative:x", text, *e_program)).verdict == "correct"
    named_e = ("L = E*x", {"E": 2, "x": 1})  # an input may be called E; it must not turn into Euler's number
    assert expected_answer(request("derivative:x", program=named_e[0], at=named_e[1])) == "E"


# ------------------------------------------------------------------ requests that can't be graded


@pytest.mark.parametrize(("make", "words"), [
    (lambda: request("grad:a", program="L = (a*b"), "doesn't parse"),
    (lambda: request("grad:a", at={"a": 2, "b": 3}), "no value given for c"),
    (lambda: request("grad:a", at={"a": "2", "b": 3, "c": 1}), "must be a number"),
    (lambda: request("grad:a", at={"a": [2], "b": 3, "c": 1}), "must be a number"),
    (lambda: request("grad:a", at={"a": 2, "b": 3, "c": 1, "d": 4}), "not used"),
    (lambda: request("slope:a"), "unknown ask"),
    (lambda: request("grad"), "unknown ask"),
    (lambda: request("grad:q"), "no node 'q'"),
    (lambda: request("local:z2"), "local:NODE/INPUT"),
    (lambda: request("local:z2/a"), "doesn't feed z2"),
    (lambda: request("local:a/b"), "is an input"),
    (lambda: request("derivative:z1"), "with respect to an input"),
    (lambda: request("derivative:a", program="L = relu(a*b)", at={"a": 1, "b": 2}), "relu"),
    (lambda: request("value:L", program="L = exp(x)", at={"x": 1000}), "no finite value"),
    (lambda: request("log:L"), "unknown ask"),
    (lambda: request("grad:a", mistakes=[AuthorMistake(answer="2*", feedback="?")]), "author mistake"),
    (lambda: request("value:z1", mistakes=[AuthorMistake(answer="L", feedback="?")]), "author mistake"),
    (lambda: request("grad:a", program="L = log(a)", at={"a": -1}), "can't be evaluated"),
])
def test_unusable_requests_raise_request_error(make, words):
    with pytest.raises(RequestError) as caught:
        grade(make())
    assert words in caught.value.message


@pytest.mark.parametrize("tolerance", [dict(rel=-1), dict(abs=math.inf), dict(rel="0.1")])
def test_bad_tolerances_are_refused(tolerance):
    with pytest.raises(RequestError):
        Tolerance(**tolerance)


def test_grade_numeric_refuses_an_expected_answer_that_is_not_a_number():
    with pytest.raises(RequestError):
        grade_numeric("1", "x + 1")
    with pytest.raises(RequestError):
        grade_numeric("1", "log(-1)")
    result = grade_numeric("2*x", "2")
    assert (result.verdict, result.column) == ("invalid", 3)


# ------------------------------------------------------------------ prepared problems


def test_a_prebuilt_graph_grades_like_the_request():
    problem = Problem(build_graph(*CLASSIC))
    assert grade_answer(problem, "grad:a", "3") == grade(request("grad:a", "3"))
    assert grade_answer(problem, "derivative:a", "2*z2*b").verdict == "correct"


def test_problems_are_cached_per_program_and_point():
    assert prepare_problem(*CLASSIC) is prepare_problem(CLASSIC[0], dict(reversed(list(CLASSIC[1].items()))))
    assert prepare_problem(*CLASSIC) is not prepare_problem(CLASSIC[0], {"a": 2, "b": 3, "c": 2})


# ------------------------------------------------------------------ coincidences


def test_no_coincidences_on_a_generic_point():
    assert coinciding_mistakes(request("grad:a")) == []


def test_b_equal_one_makes_a_wrong_rule_give_the_right_number():
    # With b = 1, dL/da = dL/dz1 * 1: forgetting the local factor gives the right number here.
    at = {"a": 2, "b": 1, "c": 1}
    assert "missing-inner-derivative" in coinciding_mistakes(request("grad:a", at=at))
    right = expected_answer(request("grad:a", at=at))
    assert grade(request("grad:a", right, at=at)).verdict == "correct"  # the coinciding rule never fires


def test_equal_factors_make_wrong_operand_coincide():
    at = {"a": 3, "b": 3, "c": 1}
    assert "wrong-operand" in coinciding_mistakes(request("grad:a", at=at))
    assert "wrong-operand" not in coinciding_mistakes(request("grad:a"))


def test_rules_that_are_simply_right_on_this_graph_are_not_coincidences():
    # In L = z1 + c the upstream gradient of z1 is always 1: no variant could avoid that.
    assert coinciding_mistakes(request("grad:a", program="L = a*b + c")) == []


def test_author_mistakes_equal_to_the_right_answer_are_reported():
    mistakes = [AuthorMistake(answer="2*z2*b", feedback="right after all", id="oops"),
                AuthorMistake(answer="b", feedback="local only", id="local")]
    assert coinciding_mistakes(request("grad:a", mistakes=mistakes)) == ["oops"]
    formula = [AuthorMistake(answer="2*(a*b+c)*b", feedback="same", id="same-formula")]
    assert coinciding_mistakes(request("derivative:a", mistakes=formula)) == ["same-formula"]


def test_an_author_mistake_without_an_id_is_reported_as_author():
    mistakes = [AuthorMistake(answer="42", feedback="?")]
    assert coinciding_mistakes(request("grad:a", mistakes=mistakes)) == ["author"]


# ------------------------------------------------------------------ the worker process


def test_an_overrunning_job_is_killed_and_the_next_one_runs():
    worker = AlgebraWorker()
    try:
        assert worker.run({"job": "ping"}, budget=30) == {"status": "pong"}
        first = worker.pid
        assert worker.run({"job": "sleep", "seconds": 60}, budget=0.2) is None
        assert worker.kills == 1
        assert worker.run({"job": "ping"}, budget=30) == {"status": "pong"}
        assert worker.pid != first
    finally:
        worker.stop()


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_a_worker_that_dies_is_replaced():
    worker = AlgebraWorker()
    try:
        assert worker.run({"job": "ping"}, budget=30) == {"status": "pong"}
        os.kill(worker.pid, signal.SIGKILL)
        worker._active.process.wait(timeout=10)  # type: ignore[union-attr]
        assert worker.run({"job": "ping"}, budget=30) == {"status": "pong"}
    finally:
        worker.stop()


def test_unknown_jobs_get_an_error_reply():
    worker = AlgebraWorker(keep_spare=False)
    try:
        assert worker.run({"job": "format-disk"}, budget=30)["status"] == "error"
    finally:
        worker.stop()


def test_slow_algebra_is_unchecked_never_incorrect():
    program, at = "L = a*b*c*d", {"a": 1, "b": 2, "c": 3, "d": 4}
    heavy = "b*c*d + (a+b+c+d)^64 - (a+b+c+d)^62*(a^2+b^2+c^2+d^2+2*a*b+2*a*c+2*a*d+2*b*c+2*b*d+2*c*d)"
    problem = prepare_problem(program, at)
    result = grade_answer(problem, "derivative:a", heavy, time_budget=0.2)
    assert result.verdict == "unchecked"
    assert "not marked wrong" in result.message
    assert grade_answer(problem, "derivative:a", "b*c*d").verdict == "correct"  # the replacement worker is fine


def test_a_requests_time_budget_reaches_the_algebra():
    program, at = "L = a*b*c*d", {"a": 1, "b": 2, "c": 3, "d": 4}
    heavy = "b*c*d + (a+b+c+d)^64 - (a+b+c+d)^62*(a^2+b^2+c^2+d^2+2*a*b+2*a*c+2*a*d+2*b*c+2*b*d+2*c*d)"
    tight = grade(GradeRequest(program=program, at=at, ask="derivative:a", answer=heavy, time_budget=0.05))
    assert tight.verdict == "unchecked"


def test_formula_answers_can_be_graded_from_several_threads():
    answers = ["6(2x+1)^2", "3(2x+1)^2", "24x^2+24x+6", "(2x+1)^3"] * 3
    expected = ["correct", "incorrect", "correct", "incorrect"] * 3
    with ThreadPoolExecutor(max_workers=4) as pool:
        # A long budget: four threads share one algebra process, and on a loaded machine the last in the
        # queue would otherwise run out of time ("unchecked"); this test is about threads, not speed.
        verdicts = list(pool.map(lambda answer: grade(request("derivative:x", answer, "L = (2*x+1)^3", {"x": 1},
                                                              time_budget=60)).verdict,
                                 answers))
    assert verdicts == expected
    assert threading.active_count() < 50


def test_worked_arithmetic_says_approximately_when_its_numbers_are_rounded():
    rounded = grade(GradeRequest(program="u = a - b; v = u/c; L = exp(v)", at={"a": 3, "b": 1, "c": 2}, ask="grad:c",
                                 answer="1"))
    # The same four decimals as the graph pane shows for these nodes (2.7183, -1.3591).
    assert rounded.worked.endswith("2.7183 · (-0.5) ≈ -1.3591.")
    exact = grade(GradeRequest(program="L = (a*b + c)^2", at={"a": 2, "b": 3, "c": 1}, ask="grad:a", answer="14"))
    assert exact.worked.endswith("14 · 3 = 42.")
    value = grade(GradeRequest(program="L = exp(x)*y", at={"x": 1, "y": 0.5}, ask="value:L", answer="1"))
    assert "≈ 1.3591" in value.worked


# ---------------------------------------------------------------------------- three levels (issue 14 §5)


def test_a_power_rule_slip_is_named_without_the_right_local_derivative():
    """Before: "For y = x^3, the power rule gives ∂y/∂x = 3·x^2; ..." handed over the answer."""
    result = grade(GradeRequest("y = x^3", {"x": 2}, "grad:x", "3*x^3"))
    assert result.diagnosis == "power-rule"
    assert "x^2" not in result.message and "12" not in result.message
    assert result.rule.startswith("d(uⁿ)/du = n·uⁿ⁻¹")
    assert "12" in result.worked
    dropped = grade(GradeRequest("y = x^3", {"x": 2}, "grad:x", "x^2"))
    assert "3" not in dropped.message.replace("x^3", "")  # not "without the factor 3": that is "multiply by 3"


def test_the_helper_flags_a_local_derivative_stated_in_a_message():
    from test_check_support import local_formulas_given_away

    graph = prepare_problem("y = x^3", {"x": 2}).graph
    assert local_formulas_given_away("For y = x^3, the power rule gives ∂y/∂x = 3·x^2.", graph, ["x^3"]) == ["3*x^2"]
    assert local_formulas_given_away(grade(GradeRequest("y = x^3", {"x": 2}, "grad:x", "3*x^3")).message,
                                     graph, ["3*x^3", "x^3"]) == []


def test_the_rule_has_no_number_of_the_problem():
    from test_check_support import instance_numbers_in_rule

    for ask, answer in (("grad:a", "40"), ("grad:a", "28"), ("grad:a", "14"), ("value:z2", "8"), ("local:z1/a", "2")):
        result = grade(request(ask, answer))
        assert result.rule and instance_numbers_in_rule(result.rule, [2.0]) == [], result
    assert grade(request("grad:a", "42")).rule == ""  # a right answer needs no rule


def test_a_matrix_rule_moves_from_the_message_to_rule():
    from test_check_layers import REFERENCE

    result = grade_layer(REFERENCE, "layer:dL/da1", "[4; 8; -5]")
    assert "W2ᵀ" not in result.message and result.rule.startswith("dL/da1 = W2ᵀ · dL/dz2")


def test_feedback_numbers_read_as_the_graph_shows_them():
    # The graph showed 1.1036 and the feedback beside it 1.104 (issue 15 §4).
    from tutor.check.numbers import format_approx
    from tutor.formatting import format_number

    for value in (1.103638, -1.359141, 14.25, 0.761594, 123.456789, 0.1):
        assert format_approx(value) == format_number(value)
    assert format_approx(0.012345) == "0.01235"  # below 0.1, four decimals would keep only three digits
    worked = grade(GradeRequest(program="L = tanh(x)*y", at={"x": 0.7, "y": 1.8}, ask="value:L", answer="1")).worked
    assert format_number(math.tanh(0.7) * 1.8) in worked
