"""Forward mode (dual numbers) must agree with reverse mode (Value) on every op and program."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tutor.engine import EngineDomainError, Value
from tutor.engine.forward_mode import Dual, directional_derivative, forward_gradient


def _primal(number) -> float:
    return number.data if isinstance(number, Value) else number.value


def _apply(op: str, a, b, exponent: int):
    """One program step, written once for both Value and Dual; guards keep inputs in-domain."""
    if op == "add":
        return a + b
    if op == "sub":
        return a - b
    if op == "mul":
        return a * b
    if op == "div":
        return a / (b * b + 1) if abs(_primal(b)) < 0.5 else a / b
    if op == "pow_number":
        return a**exponent
    if op == "pow_value":
        base = a if _primal(a) > 0.2 else a.exp()
        return base ** b.tanh()
    if op == "rpow":
        return 1.5 ** b.tanh()
    if op == "rsub":
        return 1 - a
    if op == "rdiv":
        return 2 / (a * a + 1)
    if op == "neg":
        return -a
    if op == "relu":
        return a.tanh() if abs(_primal(a)) < 1e-3 else a.relu()
    if op == "tanh":
        return a.tanh()
    if op == "exp":
        return (a.tanh() if abs(_primal(a)) > 20 else a).exp()
    if op == "log":
        return (a * a + 1).log() if _primal(a) < 0.2 else a.log()
    if op == "sigmoid":
        return a.sigmoid()
    raise AssertionError(op)


OPS = (
    "add", "sub", "mul", "div", "pow_number", "pow_value", "rpow", "rsub", "rdiv",
    "neg", "relu", "tanh", "exp", "log", "sigmoid",
)


@st.composite
def program_steps(draw):
    """(op, left index, right index, integer exponent) steps over a growing pool of values."""
    steps = []
    for position in range(draw(st.integers(1, 10))):
        available = 3 + position  # three inputs, then one slot per earlier step
        steps.append(
            (
                draw(st.sampled_from(OPS)),
                draw(st.integers(0, available - 1)),
                draw(st.integers(0, available - 1)),
                draw(st.integers(0, 3)),
            )
        )
    return steps


def run_program(steps, inputs):
    pool = list(inputs)
    for op, left, right, exponent in steps:
        result = _apply(op, pool[left], pool[right], exponent)
        if abs(_primal(result)) > 1e3:  # keep magnitudes moderate, identically in both modes
            result = result.tanh()
        pool.append(result)
    return pool[-1]


point_strategy = st.lists(st.floats(-3, 3, allow_nan=False), min_size=3, max_size=3)
direction_strategy = st.lists(st.floats(-2, 2, allow_nan=False), min_size=3, max_size=3)


@settings(max_examples=200, deadline=None)
@given(program_steps(), point_strategy, direction_strategy)
def test_forward_tangent_equals_reverse_gradient_dotted_with_direction(steps, point, direction):
    inputs = [Value(x) for x in point]
    output = run_program(steps, inputs)
    output.backward()
    reverse = sum(node.grad * d for node, d in zip(inputs, direction))

    value, tangent = directional_derivative(lambda *xs: run_program(steps, xs), point, direction)
    assert value == output.data
    assert tangent == pytest.approx(reverse, rel=1e-9, abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(program_steps(), point_strategy)
def test_forward_gradient_equals_reverse_gradient(steps, point):
    inputs = [Value(x) for x in point]
    run_program(steps, inputs).backward()
    forward = forward_gradient(lambda *xs: run_program(steps, xs), point)
    assert forward == pytest.approx([node.grad for node in inputs], rel=1e-9, abs=1e-12)


def test_worked_example_gradient_by_forward_mode():
    gradient = forward_gradient(lambda a, b, c: (a * b + c) ** 2, [2.0, 3.0, 1.0])
    assert gradient == [42.0, 28.0, 14.0]


def test_one_forward_sweep_gives_one_directional_derivative():
    value, tangent = directional_derivative(lambda x: (2 * x + 1) ** 3, [1.0], [1.0])
    assert (value, tangent) == (27.0, 54.0)


@pytest.mark.parametrize(
    "make_error",
    [
        lambda kind: kind(-2.0).log(),
        lambda kind: kind(3.0) / 0,
        lambda kind: kind(-8.0) ** 0.5,
        lambda kind: kind(0.0) ** -1,
    ],
)
def test_domain_errors_match_reverse_mode_word_for_word(make_error):
    with pytest.raises(EngineDomainError) as reverse_error:
        make_error(Value)
    with pytest.raises(EngineDomainError) as forward_error:
        make_error(Dual)
    assert str(forward_error.value) == str(reverse_error.value)


def test_constant_exponent_with_negative_base_has_finite_tangent():
    result = Dual(-2.0, 1.0) ** Dual(2.0, 0.0)
    assert (result.value, result.tangent) == (4.0, -4.0)
    moving_exponent = Dual(-2.0, 0.0) ** Dual(2.0, 1.0)
    assert math.isnan(moving_exponent.tangent)


def test_overflow_and_stability_rules_match_reverse_mode():
    assert Dual(1000.0, 1.0).exp().tangent == math.inf
    for x in (-1000.0, 1000.0):
        assert Dual(x, 1.0).sigmoid().tangent == Value(x).sigmoid().local_grads[0]


def test_numbers_mix_in_as_constants_and_other_types_are_rejected():
    assert (3 - Dual(1.0, 1.0)).tangent == -1.0
    assert (2 ** Dual(3.0, 1.0)).tangent == pytest.approx(8 * math.log(2))
    with pytest.raises(TypeError):
        Dual(1.0) + "x"
    with pytest.raises(ValueError, match="same length"):
        directional_derivative(lambda x: x, [1.0], [1.0, 2.0])
