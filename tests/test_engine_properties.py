"""Property tests: every op against finite differences, random programs against sympy."""

from __future__ import annotations

import math

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from tutor.engine import Value

# --------------------------------------------------------------- every op vs finite differences


def _floats(low: float, high: float):
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


def _away_from_zero(limit: float, gap: float = 0.05):
    return _floats(-limit, limit).filter(lambda x: abs(x) > gap)


# name -> (function of Values, strategy for each argument)
OP_CASES = {
    "add": (lambda a, b: a + b, [_floats(-100, 100), _floats(-100, 100)]),
    "sub": (lambda a, b: a - b, [_floats(-100, 100), _floats(-100, 100)]),
    "mul": (lambda a, b: a * b, [_floats(-100, 100), _floats(-100, 100)]),
    "div": (lambda a, b: a / b, [_floats(-100, 100), _away_from_zero(100, 0.5)]),
    "pow_int": (lambda a: a**3, [_floats(-20, 20)]),
    "pow_negative_int": (lambda a: a**-2, [_away_from_zero(20, 0.5)]),
    "pow_fraction": (lambda a: a**0.5, [_floats(0.1, 100)]),
    "pow_value": (lambda a, b: a**b, [_floats(0.1, 5), _floats(-3, 3)]),
    "rpow": (lambda b: 2.5**b, [_floats(-5, 5)]),
    "rsub": (lambda b: 1 - b, [_floats(-100, 100)]),
    "rdiv": (lambda b: 3 / b, [_away_from_zero(100, 0.5)]),
    "neg": (lambda a: -a, [_floats(-100, 100)]),
    "relu": (lambda a: a.relu(), [_away_from_zero(100, 1e-3)]),
    "tanh": (lambda a: a.tanh(), [_floats(-5, 5)]),
    "exp": (lambda a: a.exp(), [_floats(-10, 10)]),
    "log": (lambda a: a.log(), [_floats(0.1, 100)]),
    "sigmoid": (lambda a: a.sigmoid(), [_floats(-20, 20)]),
}


def _central_difference(function, arguments: list[float], index: int) -> float:
    step = 1e-6 * max(1.0, abs(arguments[index]))
    above = list(arguments)
    below = list(arguments)
    above[index] += step
    below[index] -= step
    forward_above = function(*map(Value, above)).data
    forward_below = function(*map(Value, below)).data
    return (forward_above - forward_below) / (above[index] - below[index])


@pytest.mark.parametrize("op_name", sorted(OP_CASES))
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_op_gradient_matches_central_difference(op_name, data):
    function, strategies = OP_CASES[op_name]
    arguments = [data.draw(strategy) for strategy in strategies]
    inputs = [Value(a) for a in arguments]
    output = function(*inputs)
    output.backward()
    scale = max(1.0, abs(output.data))
    for index, node in enumerate(inputs):
        estimate = _central_difference(function, arguments, index)
        assert node.grad == pytest.approx(estimate, rel=1e-4, abs=1e-6 * scale), (op_name, arguments)


FORWARD_REFERENCE = {
    "tanh": math.tanh,
    "exp": math.exp,
    "log": math.log,
    "sigmoid": lambda x: 1 / (1 + math.exp(-x)),
    "relu": lambda x: max(0.0, x),
}


@pytest.mark.parametrize("op_name", sorted(FORWARD_REFERENCE))
@given(x=_floats(-30, 30).filter(lambda x: x > 0))
def test_unary_forward_values_match_math(op_name, x):
    assert getattr(Value(x), op_name)().data == pytest.approx(FORWARD_REFERENCE[op_name](x), rel=1e-12)


# ----------------------------------------------------- random programs vs sympy derivatives

SYMBOL_NAMES = ("x0", "x1", "x2")
# Keeps every intermediate value moderate, so float and exact results are comparable.
MAGNITUDE_LIMIT = 1e3


class Pair:
    """An expression built twice in lockstep: as an engine Value and as a sympy expression."""

    def __init__(self, value: Value, symbolic: sympy.Expr):
        self.value = value
        self.symbolic = symbolic


def _tame(pair: Pair) -> Pair:
    """Squash a value that grew too large through tanh, in both representations."""
    if abs(pair.value.data) > MAGNITUDE_LIMIT:
        return Pair(pair.value.tanh(), sympy.tanh(pair.symbolic))
    return pair


def _apply(op: str, left: Pair, right: Pair, number: float) -> Pair:
    """Apply ``op``; when the arguments are outside its domain, rewrite them to be inside."""
    a, b = left.value, right.value
    sa, sb = left.symbolic, right.symbolic
    if op == "add":
        return Pair(a + b, sa + sb)
    if op == "sub":
        return Pair(a - b, sa - sb)
    if op == "mul":
        return Pair(a * b, sa * sb)
    if op == "div":
        if abs(b.data) < 0.5:  # keep well away from the pole: divide by b*b + 1 instead
            return Pair(a / (b * b + 1), sa / (sb * sb + 1))
        return Pair(a / b, sa / sb)
    if op == "pow_number":
        exponent = int(number) % 4  # 0..3: integer powers are defined for every base
        return Pair(a**exponent, sa**exponent)
    if op == "pow_value":
        if a.data < 0.2:  # a ** b needs a positive base; use exp(a) instead
            a, sa = a.exp(), sympy.exp(sa)
        exponent, symbolic_exponent = b.tanh(), sympy.tanh(sb)  # keep |b| < 1
        return Pair(a**exponent, sa**symbolic_exponent)
    if op == "neg":
        return Pair(-a, -sa)
    if op == "relu":
        if abs(a.data) < 1e-3:  # no derivative at the kink; use tanh there instead
            return Pair(a.tanh(), sympy.tanh(sa))
        # Away from the kink relu is locally the identity or the zero function.
        return Pair(a.relu(), sa if a.data > 0 else sympy.Integer(0))
    if op == "tanh":
        return Pair(a.tanh(), sympy.tanh(sa))
    if op == "exp":
        if abs(a.data) > 20:
            a, sa = a.tanh(), sympy.tanh(sa)
        return Pair(a.exp(), sympy.exp(sa))
    if op == "log":
        if a.data < 0.2:  # log needs a positive argument: log(a*a + 1) is always defined
            return Pair((a * a + 1).log(), sympy.log(sa * sa + 1))
        return Pair(a.log(), sympy.log(sa))
    if op == "sigmoid":
        return Pair(a.sigmoid(), 1 / (1 + sympy.exp(-sa)))
    raise AssertionError(op)


OPS = ("add", "sub", "mul", "div", "pow_number", "pow_value", "neg", "relu", "tanh", "exp", "log", "sigmoid")


@st.composite
def programs(draw):
    """Random straight-line programs over a few inputs; later steps may reuse any earlier one.

    The result adds up every step, so each drawn operation influences the derivatives.
    """
    symbols = [sympy.Symbol(name, real=True) for name in SYMBOL_NAMES]
    numbers = [draw(st.floats(-3, 3, allow_nan=False)) for _ in symbols]
    inputs = [Value(number, label=symbol.name) for number, symbol in zip(numbers, symbols)]
    pool = [Pair(value, symbol) for value, symbol in zip(inputs, symbols)]
    pool.append(Pair(Value(2.0), sympy.Integer(2)))  # a constant leaf
    steps = []

    def pick() -> Pair:
        # Half the time take the newest step, which builds deep chains as well as wide ones.
        if draw(st.booleans()):
            return pool[-1]
        return pool[draw(st.integers(0, len(pool) - 1))]

    for _ in range(draw(st.integers(1, 8))):
        op = draw(st.sampled_from(OPS))
        left, right = pick(), pick()
        number = draw(st.integers(0, 3))
        step = _tame(_apply(op, left, right, number))
        pool.append(step)
        steps.append(step)
    total = steps[0]
    for step in steps[1:]:
        total = _tame(Pair(total.value + step.value, total.symbolic + step.symbolic))
    return inputs, symbols, numbers, total


@settings(max_examples=120, deadline=None)
@given(programs())
def test_random_program_gradients_match_sympy(program):
    inputs, symbols, numbers, result = program
    result.value.backward()
    substitutions = dict(zip(symbols, numbers))
    assert result.value.data == pytest.approx(
        float(result.symbolic.evalf(subs=substitutions)), rel=1e-9, abs=1e-9
    )
    for node, symbol in zip(inputs, symbols):
        exact = float(sympy.diff(result.symbolic, symbol).evalf(subs=substitutions))
        assert node.grad == pytest.approx(exact, rel=1e-7, abs=1e-9), (symbol, result.symbolic)


@settings(max_examples=30, deadline=None)  # nine sympy second derivatives per example
@given(programs())
def test_random_program_second_derivatives_match_sympy(program):
    from tutor.engine.higher_order import hessian

    inputs, symbols, numbers, result = program
    substitutions = dict(zip(symbols, numbers))
    matrix = hessian(result.value, inputs)
    for row, first_symbol in zip(matrix, symbols):
        first = sympy.diff(result.symbolic, first_symbol)
        for entry, second_symbol in zip(row, symbols):
            exact = float(sympy.diff(first, second_symbol).evalf(subs=substitutions))
            assert entry == pytest.approx(exact, rel=1e-6, abs=1e-8), (
                first_symbol, second_symbol, result.symbolic
            )
