"""Arithmetic that stays exact while it can and falls back to floats when it must.

A learner who types ``1/3`` for an exact one third deserves "correct", not "within 0.1%".
So every number the checker handles is either a :class:`~fractions.Fraction` (exact) or a
``float`` (approximate). Operations on two exact numbers give an exact result; anything that
touches an irrational (``tanh(1)``, ``e``) or would grow unreasonably large (``7^823543``)
becomes a float. The size guard is what keeps hostile answers such as ``z^z^z`` cheap: no
operation here ever builds an integer with more than a few thousand bits.

The float conventions (relu'(0) = 0, overflow to infinity, the derivative of ``x^n`` at 0)
mirror :mod:`tutor.engine.value`, so numbers computed here agree with the engine's. One
difference: EvaluationError ("no value here") is raised only when that is certain. A float
0.0 may be an underflow, so dividing by it gives inf or nan (unknown), never an error; the
grader reports answers it can't evaluate as "unchecked", not "incorrect".
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from typing import Union

from tutor.expr.convert import EvaluationError, fold
from tutor.expr.symbolic import numeric_sigmoid
from tutor.expr.tree import Binary, Call, Expression, Name, Number, Unary
from tutor.formatting import format_number

Num = Union[Fraction, float]

# Exact results larger than this many bits (numerator or denominator) turn into floats.
MAX_EXACT_BITS = 4096
_ZERO = Fraction(0)
_ONE = Fraction(1)


def exact_fraction(number: float | int | Fraction) -> Fraction:
    """An input value as the rational a person meant: 0.1 is one tenth, not 0.1000000000000000055.

    Same rule as the graph builder uses for sympy, so both see the same exact point.
    """
    if isinstance(number, Fraction):
        return number
    if isinstance(number, int):
        return Fraction(number)
    fraction = Fraction(number).limit_denominator(10**12)
    if float(fraction) != number:
        fraction = Fraction(number)
    return fraction


def is_exact(value: Num) -> bool:
    return isinstance(value, Fraction)


def to_float(value: Num) -> float:
    if isinstance(value, float):
        return value
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def is_finite(value: Num) -> bool:
    return isinstance(value, Fraction) or math.isfinite(value)


def _bounded(value: Fraction) -> Num:
    if value.numerator.bit_length() > MAX_EXACT_BITS or value.denominator.bit_length() > MAX_EXACT_BITS:
        return to_float(value)
    return value


def add(a: Num, b: Num) -> Num:
    if type(a) is Fraction and type(b) is Fraction:
        return _bounded(a + b)
    return to_float(a) + to_float(b)


def sub(a: Num, b: Num) -> Num:
    if type(a) is Fraction and type(b) is Fraction:
        return _bounded(a - b)
    return to_float(a) - to_float(b)


def mul(a: Num, b: Num) -> Num:
    if type(a) is Fraction and type(b) is Fraction:
        return _bounded(a * b)
    return to_float(a) * to_float(b)


def neg(a: Num) -> Num:
    return -a


def div(a: Num, b: Num) -> Num:
    if b == 0:
        if isinstance(b, Fraction):
            raise EvaluationError("division by zero here")
        # A float 0.0 may be an underflow (1/exp(-1000)): the true quotient is unknown, not undefined.
        return math.nan if a == 0 else math.copysign(math.inf, to_float(a))
    if type(a) is Fraction and type(b) is Fraction:
        return _bounded(a / b)
    return to_float(a) / to_float(b)


def _exact_root(n: int, degree: int) -> int | None:
    """The integer ``degree``-th root of ``n`` when there is one (only for sizes where it is cheap)."""
    if n < 0:
        return None
    if degree == 2:
        root = math.isqrt(n)
        return root if root * root == n else None
    if degree > 64 or n.bit_length() > 50:
        return None
    guess = round(n ** (1.0 / degree))
    for candidate in (guess - 1, guess, guess + 1):
        if candidate >= 0 and candidate**degree == n:
            return candidate
    return None


def power(base: Num, exponent: Num) -> Num:
    if type(base) is Fraction and type(exponent) is Fraction:
        if base == 0 and exponent < 0:
            raise EvaluationError("0 to a negative power is undefined")
        if exponent.denominator == 1:
            n = exponent.numerator
            size = max(base.numerator.bit_length(), base.denominator.bit_length())
            if size * abs(n) <= MAX_EXACT_BITS:
                return base**n
        elif base >= 0:
            numerator_root = _exact_root(base.numerator, exponent.denominator)
            denominator_root = _exact_root(base.denominator, exponent.denominator)
            if numerator_root is not None and denominator_root is not None:
                return power(Fraction(numerator_root, denominator_root), Fraction(exponent.numerator))
    x, y = to_float(base), to_float(exponent)
    if x == 0 and y < 0:
        if isinstance(base, Fraction):
            raise EvaluationError("0 to a negative power is undefined")
        return math.inf  # a float 0.0 may be an underflow; see div
    if x < 0 and not y.is_integer():
        raise EvaluationError(f"a negative number ({x:g}) to a fractional power has no real value")
    try:
        return x**y
    except OverflowError:
        negative = x < 0 and math.fmod(y, 2.0) == 1.0
        return -math.inf if negative else math.inf


def _log(x: Num) -> Num:
    if x == 0 and isinstance(x, float):
        return -math.inf  # possibly an underflow (log(exp(-1000))): unknown rather than undefined
    if not x > 0:
        raise EvaluationError(f"log needs a positive number, but its argument is {to_float(x):g} here")
    if x == 1:
        return _ZERO
    if isinstance(x, Fraction):
        # math.log accepts arbitrarily large integers, so a huge exact x never overflows a float.
        return math.log(x.numerator) - math.log(x.denominator)
    return math.log(x)


def _exp(x: Num) -> Num:
    if x == 0:
        return _ONE
    try:
        return math.exp(to_float(x))
    except OverflowError:
        return math.inf


def apply_function(function: str, x: Num) -> Num:
    """relu, tanh, exp, log, sigmoid; exact at the few points where the result is rational."""
    if function == "relu":
        if isinstance(x, Fraction):
            return x if x > 0 else _ZERO
        return x if x > 0 else 0.0
    if function == "tanh":
        return _ZERO if x == 0 else math.tanh(to_float(x))
    if function == "exp":
        return _exp(x)
    if function == "log":
        return _log(x)
    if function == "sigmoid":
        return Fraction(1, 2) if x == 0 else numeric_sigmoid(to_float(x))
    raise ValueError(f"unknown function {function!r}")


def function_derivative(function: str, x: Num, y: Num) -> Num:
    """d f(x)/dx for a function node, given its input x and its output y = f(x)."""
    if function == "relu":
        return _ONE if x > 0 else _ZERO  # slope 0 at exactly 0, as in the engine
    if function == "tanh":
        return sub(_ONE, mul(y, y))
    if function == "exp":
        return y
    if function == "log":
        return div(_ONE, x)
    if function == "sigmoid":
        return mul(y, sub(_ONE, y))
    raise ValueError(f"unknown function {function!r}")


def power_base_derivative(base: Num, exponent: Num) -> Num:
    """d(base^exponent)/d base, with the engine's conventions at base 0."""
    if exponent == 0:
        return _ZERO
    if base == 0:
        if exponent == 1:
            return _ONE
        return _ZERO if exponent > 1 else math.inf
    return mul(exponent, power(base, sub(exponent, _ONE)))


def power_exponent_derivative(base: Num, exponent: Num, result: Num) -> Num:
    """d(base^exponent)/d exponent = base^exponent * ln(base) (nan where that has no meaning)."""
    if base > 0:
        return mul(result, _log(base))
    if base == 0 and exponent > 0:
        return _ZERO
    return math.nan


def apply_op(op: str, arguments: list[Num]) -> Num:
    """A graph node's value from its operands' values."""
    if op == "neg":
        return neg(arguments[0])
    if op in ("relu", "tanh", "exp", "log", "sigmoid"):
        return apply_function(op, arguments[0])
    a, b = arguments
    return _BINARY[op](a, b)


def local_derivative(op: str, arguments: list[Num], result: Num, slot: int) -> Num:
    """∂ node / ∂ (operand in ``slot``), from the operands' values and the node's value."""
    if op == "neg":
        return Fraction(-1)
    if op in ("relu", "tanh", "exp", "log", "sigmoid"):
        return function_derivative(op, arguments[0], result)
    a, b = arguments
    if op == "add":
        return _ONE
    if op == "sub":
        return _ONE if slot == 0 else Fraction(-1)
    if op == "mul":
        return b if slot == 0 else a
    if op == "div":
        if slot == 0:
            return div(_ONE, b)
        return neg(div(div(a, b), b))
    if slot == 0:
        return power_base_derivative(a, b)
    return power_exponent_derivative(a, b, result)


_BINARY: dict[str, Callable[[Num, Num], Num]] = {"add": add, "sub": sub, "mul": mul, "div": div, "pow": power}


def evaluate_tree(expression: Expression, values: dict[str, Num]) -> tuple[Num, float]:
    """The value of a parsed answer at ``values``, and the largest float met on the way.

    The second number bounds the rounding noise of a float result: ``(x+1)^2 - x^2`` at
    x = 1e8 passes through 1e16, so a difference of 1 there is noise, not a wrong answer.
    Raises EvaluationError (with the column) where the expression has no value.
    """
    largest = 0.0

    def leaf(node: Number | Name) -> Num:
        if isinstance(node, Number):
            return node.value
        return values[node.name]

    def combine(node: Expression, arguments: list[Num]) -> Num:
        nonlocal largest
        try:
            if isinstance(node, Unary):
                result = neg(arguments[0])
            elif isinstance(node, Call):
                result = apply_function(node.function, arguments[0])
            else:
                assert isinstance(node, Binary)
                result = _BINARY[node.op](arguments[0], arguments[1])
        except EvaluationError as error:
            if error.column is None:
                error.column = node.column
            raise
        if isinstance(result, float) and math.isfinite(result):
            largest = max(largest, abs(result))
        return result

    value = fold(expression, leaf, combine)
    return value, largest


def format_exact(value: Num, max_decimals: int = 6) -> str:
    """A number as a learner would write it exactly: 42, -3.5, 1/3; floats via :func:`format_approx`."""
    if isinstance(value, float):
        return format_approx(value)
    if value.denominator == 1:
        return str(value.numerator)
    decimals = terminating_decimals(value)
    if decimals is not None and decimals <= max_decimals:
        return f"{float(value):.{decimals}f}" if abs(value) < 10**15 else _long_decimal(value, decimals)
    return f"{value.numerator}/{value.denominator}"


def _long_decimal(value: Fraction, decimals: int) -> str:
    scaled = value * 10**decimals
    sign = "-" if scaled < 0 else ""
    digits = str(abs(scaled.numerator)).rjust(decimals + 1, "0")
    return f"{sign}{digits[:-decimals]}.{digits[-decimals:]}"


def terminating_decimals(value: Fraction) -> int | None:
    """How many decimals write ``value`` exactly (0.25 -> 2), or None for 1/3 and friends."""
    denominator = value.denominator
    twos = fives = 0
    while denominator % 2 == 0:
        denominator //= 2
        twos += 1
    while denominator % 5 == 0:
        denominator //= 5
        fives += 1
    return max(twos, fives) if denominator == 1 else None


def format_approx(value: float, significant: int = 4) -> str:
    """A float for a message: 0.7616, 42, 1.235e-05 (``significant`` digits, no trailing zeros)."""
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    magnitude = abs(value)
    if significant == 4 and 0.1 <= magnitude < 1e6:
        # The graph pane shows four decimals (tutor.formatting.format_number); a message showing 1.104
        # beside a node that reads 1.1036 left learners wondering which to type. From 0.1 up, four
        # decimals keep at least four significant digits; below, the message keeps its four digits.
        return format_number(value)
    if 1e-4 <= magnitude < 1e6:
        decimals = max(significant - 1 - math.floor(math.log10(magnitude)), 0)
        text = f"{value:.{decimals}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return text
    return f"{value:.{significant}g}"


def describe(value: Num) -> str:
    """A number for a message: exact when it is short (1/3), else about four significant digits."""
    if isinstance(value, Fraction):
        text = format_exact(value)
        if len(text) <= 14:
            return text
        return format_approx(to_float(value))
    return format_approx(value)


def shown_exactly(value: Num) -> bool:
    """Whether :func:`describe` writes ``value`` without rounding it."""
    return isinstance(value, Fraction) and len(format_exact(value)) <= 14


def equals_sign(*values: Num) -> str:
    """"=" when every number of a worked line is written exactly, else "≈": 2.718 · (-0.5) ≈ -1.359."""
    return "=" if all(shown_exactly(value) for value in values) else "≈"


def factor(value: Num) -> str:
    """A number as a factor in a written product: negatives get brackets, 14 · (-3)."""
    text = describe(value)
    return f"({text})" if text.startswith("-") else text
