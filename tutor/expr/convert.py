"""Turn an expression tree into a float (for the learner's number) or a sympy expression.

The tree is walked with an explicit stack, so depth never meets Python's recursion limit, and
sympy objects are built directly from their classes: no text ever reaches ``sympify``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

from tutor.expr.tree import Binary, Call, Expression, Name, Number, Unary


class EvaluationError(ValueError):
    """An expression that has no real value at the given point (log of a negative, 1/0, ...)."""

    def __init__(self, message: str, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.column = column


def _post_order(expression: Expression) -> list[Expression]:
    """Children before parents, left before right."""
    order: list[Expression] = []
    stack: list[tuple[Expression, bool]] = [(expression, False)]
    while stack:
        node, children_done = stack.pop()
        if children_done:
            order.append(node)
            continue
        stack.append((node, True))
        if isinstance(node, Binary):
            stack.append((node.right, False))
            stack.append((node.left, False))
        elif isinstance(node, Unary):
            stack.append((node.operand, False))
        elif isinstance(node, Call):
            stack.append((node.argument, False))
    return order


def fold(expression: Expression, leaf: Callable[[Number | Name], Any], combine: Callable[[Expression, list[Any]], Any]) -> Any:
    """Bottom-up evaluation of a tree: ``leaf`` for numbers and names, ``combine`` for the rest."""
    results: dict[int, Any] = {}
    for node in _post_order(expression):
        if isinstance(node, (Number, Name)):
            results[id(node)] = leaf(node)
        elif isinstance(node, Binary):
            results[id(node)] = combine(node, [results[id(node.left)], results[id(node.right)]])
        elif isinstance(node, Unary):
            results[id(node)] = combine(node, [results[id(node.operand)]])
        else:
            results[id(node)] = combine(node, [results[id(node.argument)]])
    return results[id(expression)]


# ------------------------------------------------------------- floats


def _relu(x: float) -> float:
    return x if x > 0 else 0.0


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


FLOAT_FUNCTIONS: dict[str, Callable[[float], float]] = {
    "relu": _relu,
    "tanh": math.tanh,
    "exp": _exp,
    "log": math.log,
    "sigmoid": _sigmoid,
}


def evaluate(expression: Expression, values: dict[str, float]) -> float:
    """The value of the expression at ``values``; EvaluationError when it has none."""

    def leaf(node: Number | Name) -> float:
        if isinstance(node, Number):
            return float(node.value)
        if node.name not in values:
            raise EvaluationError(f"no value for '{node.name}'", node.column)
        return float(values[node.name])

    def combine(node: Expression, arguments: list[float]) -> float:
        try:
            return _apply_float(node, arguments)
        except EvaluationError as error:
            if error.column is None:
                error.column = node.column
            raise

    return fold(expression, leaf, combine)


def _apply_float(node: Expression, arguments: list[float]) -> float:
    if isinstance(node, Unary):
        return -arguments[0]
    if isinstance(node, Call):
        (x,) = arguments
        if node.function == "log" and not x > 0:
            raise EvaluationError(f"log needs a positive number, but its argument is {x:g} here")
        return FLOAT_FUNCTIONS[node.function](x)
    assert isinstance(node, Binary)
    a, b = arguments
    if node.op == "add":
        return a + b
    if node.op == "sub":
        return a - b
    if node.op == "mul":
        return a * b
    if node.op == "div":
        if b == 0:
            raise EvaluationError("division by zero here")
        return a / b
    if a == 0 and b < 0:
        raise EvaluationError("0 to a negative power is undefined")
    if a < 0 and not float(b).is_integer():
        raise EvaluationError(f"a negative number ({a:g}) to a fractional power has no real value")
    try:
        return a**b
    except OverflowError:
        return math.inf


# ------------------------------------------------------------- sympy


def sympy_functions() -> dict[str, Any]:
    """Sympy forms of the tutor's functions; sigmoid and relu are written so sympy can differentiate them."""
    import sympy

    from tutor.expr.symbolic import relu, sigmoid

    return {"relu": relu, "tanh": sympy.tanh, "exp": sympy.exp, "log": sympy.log, "sigmoid": sigmoid}


def to_sympy(expression: Expression, symbols: dict[str, Any]) -> Any:
    """Build the sympy expression; names map through ``symbols`` (missing names become real Symbols)."""
    import sympy

    functions = sympy_functions()

    def leaf(node: Number | Name) -> Any:
        if isinstance(node, Number):
            if isinstance(node.value, Fraction):
                return sympy.Rational(node.value.numerator, node.value.denominator)
            if node.text == "e":
                return sympy.E
            if node.text == "pi":
                return sympy.pi
            return sympy.Float(node.value)
        if node.name not in symbols:
            symbols[node.name] = sympy.Symbol(node.name, real=True)
        return symbols[node.name]

    def combine(node: Expression, arguments: list[Any]) -> Any:
        if isinstance(node, Unary):
            return -arguments[0]
        if isinstance(node, Call):
            return functions[node.function](arguments[0])
        assert isinstance(node, Binary)
        a, b = arguments
        if node.op == "add":
            return a + b
        if node.op == "sub":
            return a - b
        if node.op == "mul":
            return a * b
        if node.op == "div":
            return a / b
        return a**b

    return fold(expression, leaf, combine)
