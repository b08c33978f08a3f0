"""Seeded variants of parameterized problems and the {placeholder} rules."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tutor.packs.models import AskProblem, ChoiceProblem, IntParam, NumericProblem, TraceProblem
from tutor.packs.variants import (
    VariantError,
    draw_params,
    format_value,
    render_problem,
    resolve_inputs,
    substitute,
    variant_count,
)


def ask_problem(**fields) -> AskProblem:
    base = {"kind": "ask", "id": "p", "prompt": "x = {x}, w = {w}", "program": "L = (x*w + b)^2", "ask": "grad:w",
            "params": {"x": {"int": [1, 4]}, "w": {"int": [-3, 3], "not": [0]}, "b": {"choice": [0.5, 1.5]}}}
    base.update(fields)
    return AskProblem.model_validate(base)


@settings(max_examples=200)
@given(seed=st.integers(0, 2**63))
def test_a_seed_always_gives_the_same_variant_drawn_as_documented(seed: int) -> None:
    problem = ask_problem()
    values = draw_params(problem, seed)
    assert values == draw_params(problem, seed)
    # The documented contract: random.Random(seed).choice over each parameter's allowed values, in order.
    generator = random.Random(seed)
    assert values == {
        "x": generator.choice([1, 2, 3, 4]),
        "w": generator.choice([-3, -2, -1, 1, 2, 3]),
        "b": generator.choice([0.5, 1.5]),
    }


@settings(max_examples=100)
@given(low=st.integers(-20, 20), span=st.integers(0, 15), data=st.data())
def test_int_params_stay_in_range_and_avoid_exclusions(low: int, span: int, data) -> None:
    high = low + span
    excluded = data.draw(st.lists(st.integers(low, high), max_size=span))
    spec = IntParam.model_validate({"int": [low, high], "not": excluded})
    allowed = spec.allowed_values()
    assert allowed == [value for value in range(low, high + 1) if value not in excluded]
    if not allowed:
        return
    problem = NumericProblem.model_validate({"kind": "numeric", "id": "n", "prompt": "{a}", "answer": "{a}",
                                             "params": {"a": {"int": [low, high], "not": excluded}}})
    drawn = {draw_params(problem, seed)["a"] for seed in range(40 * len(allowed))}
    assert drawn == set(allowed)  # in range, never excluded, and every allowed value reachable
    assert variant_count(problem) == len(allowed)


def test_placeholders_are_bracketed_when_negative_only_inside_expressions() -> None:
    values = {"w": -2, "b": 0.5, "n": 3.0, "f": "tanh"}
    assert substitute("x*{w} + {b}", values, in_expression=True) == "x*(-2) + 0.5"
    assert substitute("{w}^2", values, in_expression=True) == "(-2)^2"
    assert substitute("{f}({n}*x)", values, in_expression=True) == "tanh(3*x)"
    assert substitute("w = {w}, set {x}", values, in_expression=False) == "w = -2, set {x}"
    assert format_value(2.5, in_expression=True) == "2.5"
    assert format_value(-1e-7, in_expression=False) == "-1e-07"


def test_rendering_fills_every_field_and_resolves_inputs_from_params() -> None:
    problem = ask_problem(
        explanation="2*({x}*{w} + {b})*{x}",
        hints=["w is {w}"],
        mistakes=[{"answer": "{x}", "feedback": "only the local derivative {x}", "id": "local-only"}],
        tests=[{"answer": "2*({x}*{w} + {b})*{x}", "verdict": "correct"}],
    )
    rendered = render_problem(problem, 7)
    values = rendered.params
    assert rendered.at == {"x": float(values["x"]), "w": float(values["w"]), "b": float(values["b"])}
    assert rendered.problem.prompt == f"x = {values['x']}, w = {values['w']}"
    assert rendered.problem.hints == [f"w is {values['w']}"]
    assert rendered.problem.mistakes[0].answer == str(values["x"])
    assert "{" not in rendered.problem.tests[0].answer
    assert problem.prompt == "x = {x}, w = {w}"  # the author's problem is untouched


def test_at_values_may_compute_from_params() -> None:
    problem = AskProblem.model_validate({"kind": "ask", "id": "p", "prompt": "?", "program": "L = a*b",
                                         "ask": "grad:a", "at": {"a": "{k} + 1", "b": 2},
                                         "params": {"k": {"int": [-5, -5]}}})
    assert render_problem(problem, 0).at == {"a": -4.0, "b": 2.0}


@pytest.mark.parametrize(("at", "params", "message"), [
    ({"a": 1}, {}, "input 'b' has no value"),
    ({"a": 1, "b": 2, "bb": 3}, {}, "'bb' is not an input of the program"),
    ({"a": 1}, {"b": {"choice": ["tanh"]}}, "which is not a number"),
    ({"a": "1 +", "b": 2}, {}, "cannot read the value of 'a'"),
])
def test_inputs_that_cannot_be_resolved_raise_variant_errors(at, params, message) -> None:
    problem = AskProblem.model_validate({"kind": "ask", "id": "p", "prompt": "?", "program": "L = a*b",
                                         "ask": "grad:a", "at": at, "params": params})
    with pytest.raises(VariantError, match=message):
        render_problem(problem, 0)


def test_unparsable_program_is_a_variant_error_with_its_column() -> None:
    with pytest.raises(VariantError) as caught:
        resolve_inputs("L = a*(b", {"a": 1, "b": 2}, {})
    assert caught.value.field_path == ("program",) and caught.value.column == 9


def test_choice_options_are_shuffled_reproducibly_unless_fixed() -> None:
    options = [{"text": str(index), "correct": index == 0} for index in range(6)]
    problem = ChoiceProblem.model_validate({"kind": "choice", "id": "c", "prompt": "?", "options": options})
    orders = {tuple(render_problem(problem, seed).option_order) for seed in range(30)}
    assert all(sorted(order) == list("abcdef") for order in orders)
    assert len(orders) > 5
    assert render_problem(problem, 3).option_order == render_problem(problem, 3).option_order
    fixed = problem.model_copy(update={"shuffle": False})
    assert render_problem(fixed, 3).option_order == list("abcdef")


def test_problems_without_params_have_one_variant() -> None:
    problem = TraceProblem.model_validate({"kind": "trace", "id": "t", "prompt": "?", "program": "L = a*b",
                                           "at": {"a": 2, "b": 3}})
    assert variant_count(problem) == 1
    assert render_problem(problem, 0).at == render_problem(problem, 99).at == {"a": 2.0, "b": 3.0}
