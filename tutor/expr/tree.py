"""The expression tree shared by lesson authors' programs and learners' answers.

One tree feeds both the engine (numbers) and sympy (algebra), so the two can never
disagree about what a piece of text means.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

BINARY_OPERATORS = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "^"}
FUNCTIONS = ("relu", "tanh", "exp", "log", "sigmoid")
# Other spellings a learner may type; "sqrt" is sugar for ^(1/2) and is expanded by the parser.
FUNCTION_ALIASES = {"ln": "log", "σ": "sigmoid", "sigma": "sigmoid", "ReLU": "relu"}
# Names that are numbers, not inputs.
NAMED_CONSTANTS = {"e", "pi", "π"}


@dataclass(frozen=True)
class Number:
    value: Fraction | float  # Fraction when the text was exact (3, 0.5, 1/2 after folding), float for e and pi
    text: str
    column: int

    @property
    def is_exact(self) -> bool:
        return isinstance(self.value, Fraction)


@dataclass(frozen=True)
class Name:
    name: str
    column: int


@dataclass(frozen=True)
class Unary:
    op: str  # only "neg"
    operand: Expression
    column: int


@dataclass(frozen=True)
class Binary:
    op: str  # add, sub, mul, div, pow
    left: Expression
    right: Expression
    column: int  # column of the operator (or of the right operand, for implicit multiplication)


@dataclass(frozen=True)
class Call:
    function: str  # one of FUNCTIONS
    argument: Expression
    column: int


Expression = Number | Name | Unary | Binary | Call


def names_in(expression: Expression) -> list[str]:
    """Free names in order of first appearance (left to right), without repeats."""
    seen: dict[str, None] = {}
    stack: list[Expression] = [expression]
    while stack:
        node = stack.pop()
        if isinstance(node, Name):
            seen.setdefault(node.name, None)
        elif isinstance(node, Unary):
            stack.append(node.operand)
        elif isinstance(node, Call):
            stack.append(node.argument)
        elif isinstance(node, Binary):
            stack.append(node.right)
            stack.append(node.left)
    return list(seen)


def column_of_name(expression: Expression, name: str) -> int:
    """Where ``name`` first appears (left to right), for error carets; 1 if it does not."""
    stack: list[Expression] = [expression]
    while stack:
        node = stack.pop()
        if isinstance(node, Name) and node.name == name:
            return node.column
        if isinstance(node, Unary):
            stack.append(node.operand)
        elif isinstance(node, Call):
            stack.append(node.argument)
        elif isinstance(node, Binary):
            stack.extend((node.right, node.left))
    return 1


def is_constant(expression: Expression) -> bool:
    return not names_in(expression)


def count_nodes(expression: Expression) -> int:
    count = 0
    stack: list[Expression] = [expression]
    while stack:
        node = stack.pop()
        count += 1
        if isinstance(node, Unary):
            stack.append(node.operand)
        elif isinstance(node, Call):
            stack.append(node.argument)
        elif isinstance(node, Binary):
            stack.extend((node.left, node.right))
    return count


_PRECEDENCE = {"add": 1, "sub": 1, "mul": 2, "div": 2, "neg": 3, "pow": 4}


def to_text(expression: Expression) -> str:
    """Write a tree back as text a learner would read: a*b + c, 2*(x + 1)^3."""
    if isinstance(expression, Number):
        return expression.text
    if isinstance(expression, Name):
        return expression.name
    if isinstance(expression, Call):
        return f"{expression.function}({to_text(expression.argument)})"
    if isinstance(expression, Unary):
        inner = to_text(expression.operand)
        if isinstance(expression.operand, Binary) and _PRECEDENCE[expression.operand.op] < _PRECEDENCE["pow"]:
            inner = f"({inner})"
        return f"-{inner}"
    precedence = _PRECEDENCE[expression.op]
    left = to_text(expression.left)
    right = to_text(expression.right)
    if _needs_brackets(expression.left, precedence, is_right=False, parent_op=expression.op):
        left = f"({left})"
    if _needs_brackets(expression.right, precedence, is_right=True, parent_op=expression.op):
        right = f"({right})"
    symbol = BINARY_OPERATORS[expression.op]
    if expression.op in ("add", "sub"):
        return f"{left} {symbol} {right}"
    return f"{left}{symbol}{right}"


def _needs_brackets(child: Expression, parent_precedence: int, is_right: bool, parent_op: str) -> bool:
    if isinstance(child, Number):
        # A negative or fractional literal under * / ^ reads wrongly without brackets.
        return parent_precedence >= 2 and (child.text.startswith("-") or "/" in child.text)
    if isinstance(child, Unary):
        return parent_precedence >= _PRECEDENCE["neg"] or (is_right and parent_op in ("add", "sub"))
    if not isinstance(child, Binary):
        return False
    child_precedence = _PRECEDENCE[child.op]
    if child_precedence < parent_precedence:
        return True
    if child_precedence == parent_precedence:
        if parent_op == "pow":
            return not is_right  # ^ groups to the right
        return is_right and parent_op in ("sub", "div", "mul") and not (parent_op == "mul" and child.op == "mul")
    return False
