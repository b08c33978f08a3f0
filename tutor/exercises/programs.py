"""Check programs: the tutor's expression language compiled to plain JSON op lists.

The parent parses program text with :mod:`tutor.expr.parser` and sends the child only a list
of ``[op, argument, ...]`` rows, so the child never parses (or evaluates) any text:

* ``["input", name, number]`` -- a leaf ``Value(number)``;
* ``["const", number]`` -- a plain Python number (so ``2 * x`` exercises ``__rmul__``);
* ``["add"|"sub"|"mul"|"div", i, j]`` -- rows ``i`` and ``j`` combined with the operator;
* ``["pow", i, exponent]`` -- row ``i`` to a number power;
* ``["neg"|"relu"|"tanh"|"exp"|"log"|"sigmoid", i]``.

The last row is the output. Random programs are generated as text and shrunk as trees.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from tutor.expr.parser import parse_program
from tutor.expr.tree import Binary, Call, Expression, Name, Number, Unary, to_text

Row = list


@dataclass(frozen=True)
class CheckProgram:
    text: str
    inputs: dict[str, float]

    def rows(self) -> list[Row]:
        return compile_program(self.text, self.inputs)


def compile_program(text: str, inputs: dict[str, float]) -> list[Row]:
    program = parse_program(text)
    rows: list[Row] = []
    names: dict[str, int] = {}
    for name in program.inputs:
        names[name] = len(rows)
        rows.append(["input", name, float(inputs[name])])

    def emit(node: Expression) -> int:
        if isinstance(node, Name):
            return names[node.name]
        if isinstance(node, Number):
            rows.append(["const", float(node.value)])
            return len(rows) - 1
        if isinstance(node, Unary):
            operand = emit(node.operand)
            rows.append(["neg", operand])
            return len(rows) - 1
        if isinstance(node, Call):
            operand = emit(node.argument)
            rows.append([node.function, operand])
            return len(rows) - 1
        assert isinstance(node, Binary)
        if node.op == "pow" and isinstance(node.right, Number):
            base = emit(node.left)
            rows.append(["pow", base, float(node.right.value)])
            return len(rows) - 1
        if node.op == "pow":
            raise ValueError("exercises use only number exponents (x^3), not x^y")
        left = emit(node.left)
        right = emit(node.right)
        rows.append([node.op, left, right])
        return len(rows) - 1

    for assignment in program.assignments:
        names[assignment.target] = emit(assignment.expression)
    if rows[-1][0] in ("input", "const") or len(rows) - 1 != names[program.output]:
        rows.append(["mul", names[program.output], _const(rows, 1.0)])
    return rows


def program_ops(text: str, inputs: dict[str, float]) -> set[str]:
    """The op names a check program uses (its inputs and constants are not ops)."""
    return {row[0] for row in compile_program(text, inputs) if row[0] not in ("input", "const")}


def _const(rows: list[Row], number: float) -> int:
    rows.append(["const", number])
    return len(rows) - 1


# ------------------------------------------------------------------ random programs

_UNARY_FUNCTIONS = ("relu", "tanh", "exp", "log", "sigmoid")


def random_expression(rng: random.Random, ops: tuple[str, ...], names: list[str], size: int) -> str:
    """A random expression over ``ops`` (and no other op) with about ``size`` operators, as program text."""
    if size <= 0 or not ops:
        if rng.random() < 0.15:
            return rng.choice(["2", "3", "0.5"])
        return rng.choice(names)
    op = rng.choice(ops)
    if op in _UNARY_FUNCTIONS:
        inner = random_expression(rng, ops, names, size - 1)
        if op == "log":  # keep log's argument positive so the program stays defined, with the ops allowed
            if "exp" in ops:
                return f"log(exp({inner}))"
            if "pow" in ops and "add" in ops:
                return f"log({inner}^2 + 1)"
        return f"{op}({inner})"
    if op == "neg":
        return f"-({random_expression(rng, ops, names, size - 1)})"
    if op == "pow":
        return f"({random_expression(rng, ops, names, size - 1)})^{rng.choice(['2', '3'])}"
    left_size = rng.randint(0, size - 1)
    left = random_expression(rng, ops, names, left_size)
    right = random_expression(rng, ops, names, size - 1 - left_size)
    symbol = {"add": "+", "sub": "-", "mul": "*", "div": "/"}[op]
    if op == "div":  # a denominator that stays away from zero (the checker skips a program the engine cannot run)
        right = f"({right})^2 + 1" if "pow" in ops and "add" in ops else right
    return f"({left}) {symbol} ({right})"


def random_program(rng: random.Random, ops: tuple[str, ...], size: int,
                   input_range: tuple[float, float] = (-2.0, 2.0)) -> CheckProgram:
    names = ["a", "b", "c"][: max(1, min(3, size))]
    for _ in range(20):  # all-constant or renaming-only draws are not programs; draw again
        text = f"L = {random_expression(rng, ops, names, size)}"
        try:
            used = parse_program(text).inputs
            break
        except ValueError:
            continue
    else:
        text, used = "L = a*a", ["a"]
    low, high = input_range
    return CheckProgram(text, {name: round(rng.uniform(low, high), 2) or (low + high) / 2 or 0.5 for name in used})


def smaller_programs(program: CheckProgram) -> list[CheckProgram]:
    """Candidates one step smaller than ``program``: each subtree replaced by one of its children or an input."""
    parsed = parse_program(program.text)
    if len(parsed.assignments) != 1:
        return []
    tree = parsed.assignments[0].expression
    candidates: list[str] = []
    for replacement in _replacements(tree):
        text = f"L = {to_text(replacement)}"
        if text != program.text:
            candidates.append(text)
    result = []
    for text in dict.fromkeys(candidates):
        try:
            used = parse_program(text).inputs
        except ValueError:
            continue
        if used and all(name in program.inputs for name in used):
            result.append(CheckProgram(text, {name: program.inputs[name] for name in used}))
    return result


def _replacements(node: Expression) -> list[Expression]:
    out: list[Expression] = []
    if isinstance(node, Unary):
        out.append(node.operand)
        out += [Unary(node.op, child, node.column) for child in _replacements(node.operand)]
    elif isinstance(node, Call):
        out.append(node.argument)
        out += [Call(node.function, child, node.column) for child in _replacements(node.argument)]
    elif isinstance(node, Binary):
        if not isinstance(node.left, Number):
            out.append(node.left)
        if not isinstance(node.right, Number):
            out.append(node.right)
        out += [Binary(node.op, child, node.right, node.column) for child in _replacements(node.left)]
        out += [Binary(node.op, node.left, child, node.column) for child in _replacements(node.right)]
    return out
