"""Build a :class:`ComputationalGraph` from program text and input values.

Each operator in the program becomes one node. The engine computes every number (values,
local derivatives, gradients); sympy computes the same quantities as formulas. The two are
compared on every build, and a disagreement raises :class:`GraphConsistencyError`: that
would be a bug in the tutor, and showing a learner a wrong "right answer" is the worst thing
a tutor can do.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from tutor.engine import EngineDomainError, Value
from tutor.expr import ParseError, Program, parse_expression, parse_program
from tutor.expr.convert import sympy_functions, to_sympy
from tutor.expr.symbolic import to_text as sympy_text
from tutor.expr.tree import Binary, Call, Expression, Name, Number, Unary
from tutor.expr.tree import to_text as tree_text
from tutor.formatting import format_number
from tutor.graph.model import INPUT, ComputationalGraph, Edge, GraphNode, Operand, defer_text

# `trace` and `grade` accept programs up to this many nodes; past SYMBOLIC_GRAPH_NODES the
# graph is built from the engine alone (see _assemble_large), so the cost stays linear.
MAX_GRAPH_NODES = 10_000
# What a lesson pack may ask a learner to trace by hand is far smaller.
MAX_HAND_TRACE_NODES = 400
# Up to this many nodes (and this formula depth) sympy builds every formula and cross-checks
# the engine; beyond, formulas of the inputs are not built at all and the engine is
# cross-checked with dual numbers instead. Deep sympy trees are slow and their printer recurses.
SYMBOLIC_GRAPH_NODES = 120
SYMBOLIC_FORMULA_DEPTH = 40
FORMULA_TOO_LARGE = "(formula too large to show)"


class GraphBuildError(ValueError):
    """The program is fine as text but can't be evaluated as asked (a missing input, log(-1), ...)."""

    def __init__(self, message: str, column: int | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.column = column
        self.line = line

    def __str__(self) -> str:
        if self.column is None:
            return self.message
        where = f"line {self.line}, column {self.column}" if self.line and self.line > 1 else f"column {self.column}"
        return f"{where}: {self.message}"


class GraphConsistencyError(RuntimeError):
    """The engine and sympy disagree: a bug in the tutor, never the learner's fault."""


@dataclass
class _PendingNode:
    node_id: str
    op: str
    operands: list[Operand]
    operand_sympy: list[Any]  # per operand: the name of a node (made a sympy symbol when needed), or the exact constant
    formula_tree: Expression  # the node written with its operands as names (for the formula text)
    column: int
    line: int
    named_by_author: bool


def build_graph(program_text: str | Program, input_values: dict[str, float], symbolic: bool = True) -> ComputationalGraph:
    """Parse (if needed), evaluate with the engine, differentiate, and cross-check with sympy.

    Raises ParseError for text that is not a program and GraphBuildError for inputs that
    don't fit it. ``symbolic=False`` builds the graph the way large graphs are always built
    (engine cross-checked against dual numbers, no formulas): the practice generator screens
    candidates with it, because sympy costs tens of milliseconds per candidate.
    """
    program = parse_program(program_text) if isinstance(program_text, str) else program_text
    values = _checked_input_values(program, input_values)
    pending = _split_into_nodes(program)
    if len(pending) + len(program.inputs) > MAX_GRAPH_NODES:
        raise GraphBuildError(f"the graph would have more than {MAX_GRAPH_NODES} nodes, the most the tutor builds")
    engine_values = _run_engine(program, pending, values)
    if not symbolic or len(pending) + len(program.inputs) > SYMBOLIC_GRAPH_NODES or \
            _formula_depth(pending) > SYMBOLIC_FORMULA_DEPTH:
        return _assemble_large(program, pending, values, engine_values)
    return _assemble(program, pending, values, engine_values)


def _formula_depth(pending: list[_PendingNode]) -> int:
    """How deeply the deepest node's formula of the inputs nests (inputs count 0)."""
    depth: dict[str, int] = {}
    deepest = 0
    for node in pending:
        depth[node.node_id] = 1 + max((depth.get(o.node_id, 0) for o in node.operands if o.node_id is not None), default=0)
        deepest = max(deepest, depth[node.node_id])
    return deepest


def _checked_input_values(program: Program, input_values: dict[str, float]) -> dict[str, float]:
    missing = [name for name in program.inputs if name not in input_values]
    if missing:
        raise GraphBuildError(f"no value given for {', '.join(missing)} (the inputs are {', '.join(program.inputs)})")
    computed = {assignment.target for assignment in program.assignments}
    extra = [name for name in input_values if name not in program.inputs]
    if extra:
        if any(name in computed for name in extra):
            name = next(name for name in extra if name in computed)
            raise GraphBuildError(f"'{name}' is computed by the program, so it can't be given a value")
        raise GraphBuildError(f"{', '.join(extra)} {'is' if len(extra) == 1 else 'are'} not used by the program "
                              f"(its inputs are {', '.join(program.inputs)})")
    values: dict[str, float] = {}
    for name in program.inputs:
        raw = input_values[name]
        if isinstance(raw, bool) or not isinstance(raw, (int, float, Fraction)):
            raise GraphBuildError(f"the value of {name} must be a number, not {raw!r}")
        number = float(raw)
        if not math.isfinite(number):
            raise GraphBuildError(f"the value of {name} must be a finite number")
        values[name] = number
    return values


def _split_into_nodes(program: Program) -> list[_PendingNode]:
    """One node per operator, in evaluation order; generated names z1, z2, ... never clash."""
    taken = set(program.inputs) | {assignment.target for assignment in program.assignments}
    counter = 0

    def fresh_name() -> str:
        nonlocal counter
        while True:
            counter += 1
            candidate = f"z{counter}"
            if candidate not in taken:
                taken.add(candidate)
                return candidate

    pending: list[_PendingNode] = []
    for assignment in program.assignments:
        # Explicit stack post-order over the operator nodes of this statement.
        result_name: dict[int, str] = {}
        constant = _constant_subtrees(assignment.expression)
        stack: list[tuple[Expression, bool]] = [(assignment.expression, False)]
        while stack:
            node, children_done = stack.pop()
            if isinstance(node, (Number, Name)) or constant[id(node)]:
                continue
            children = _children(node)
            if not children_done:
                stack.append((node, True))
                for child in reversed(children):
                    stack.append((child, False))
                continue
            is_top = node is assignment.expression
            node_id = assignment.target if is_top else fresh_name()
            operands: list[Operand] = []
            operand_sympy: list[Any] = []
            operand_trees: list[Expression] = []
            for child in children:
                if isinstance(child, Name):
                    operands.append(Operand(node_id=child.name))
                    operand_sympy.append(child.name)
                    operand_trees.append(child)
                elif constant[id(child)]:
                    exact = to_sympy(child, {})
                    text = tree_text(child)
                    operands.append(Operand(constant=float(exact.evalf()), constant_text=text))
                    operand_sympy.append(exact)
                    operand_trees.append(child if isinstance(child, Number) else Number(float(exact.evalf()), text, 0))
                else:
                    child_id = result_name[id(child)]
                    operands.append(Operand(node_id=child_id))
                    operand_sympy.append(child_id)
                    operand_trees.append(Name(child_id, 0))
            result_name[id(node)] = node_id
            pending.append(
                _PendingNode(
                    node_id=node_id,
                    op=_op_name(node),
                    operands=operands,
                    operand_sympy=operand_sympy,
                    formula_tree=_rebuild(node, operand_trees),
                    column=node.column,
                    line=assignment.line,
                    named_by_author=is_top and assignment.named_by_author,
                )
            )
    return pending


def _constant_subtrees(expression: Expression) -> dict[int, bool]:
    """Whether each subtree (by id) is free of names, for the whole statement in one pass.

    Asking ``is_constant`` of every subtree would rescan it each time: quadratic in a long sum."""
    constant: dict[int, bool] = {}
    stack: list[tuple[Expression, bool]] = [(expression, False)]
    while stack:
        node, children_done = stack.pop()
        children = _children(node)
        if children and not children_done:
            stack.append((node, True))
            stack.extend((child, False) for child in children)
            continue
        constant[id(node)] = not isinstance(node, Name) and all(constant[id(child)] for child in children)
    return constant


def _children(node: Expression) -> list[Expression]:
    if isinstance(node, Binary):
        return [node.left, node.right]
    if isinstance(node, Unary):
        return [node.operand]
    if isinstance(node, Call):
        return [node.argument]
    return []


def _op_name(node: Expression) -> str:
    if isinstance(node, Binary):
        return node.op
    if isinstance(node, Unary):
        return "neg"
    assert isinstance(node, Call)
    return node.function


def _rebuild(node: Expression, operand_trees: list[Expression]) -> Expression:
    if isinstance(node, Binary):
        return Binary(node.op, operand_trees[0], operand_trees[1], node.column)
    if isinstance(node, Unary):
        return Unary("neg", operand_trees[0], node.column)
    assert isinstance(node, Call)
    return Call(node.function, operand_trees[0], node.column)


def _constant(operand: Operand) -> float:
    """The number in a constant slot (one whose ``node_id`` is None)."""
    assert operand.constant is not None, "an operand is either a node or a constant"
    return float(operand.constant)


def apply_engine_op(op: str, arguments: list[Value | float]) -> Value:
    """One graph node's op on engine Values (numbers as constants); shared with the second-derivative checker."""
    if op == "neg":
        operand = arguments[0]
        return -(operand if isinstance(operand, Value) else Value(operand))
    if op in ("relu", "tanh", "exp", "log", "sigmoid"):
        return getattr(arguments[0], op)()
    left, right = arguments
    if op == "pow" and not isinstance(right, Value):
        return left ** right  # a number exponent stays out of the children, as in x ** 3
    left_value = left if isinstance(left, Value) else Value(left)
    if op == "add":
        return left_value + right
    if op == "sub":
        return left_value - right
    if op == "mul":
        return left_value * right
    if op == "div":
        return left_value / right
    return left_value ** right


def _run_engine(program: Program, pending: list[_PendingNode], values: dict[str, float]) -> dict[str, Value]:
    engine_values: dict[str, Value] = {name: Value(values[name], label=name) for name in program.inputs}
    for node in pending:
        arguments: list[Value | float] = []
        for operand in node.operands:
            if operand.node_id is not None:
                arguments.append(engine_values[operand.node_id])
            else:
                arguments.append(_constant(operand))
        try:
            result = apply_engine_op(node.op, arguments)
        except (EngineDomainError, ZeroDivisionError) as error:
            raise GraphBuildError(f"at these inputs, {node.node_id} = {tree_text(node.formula_tree)} has no value: {error}",
                                  node.column, node.line) from None
        result.label = node.node_id
        engine_values[node.node_id] = result
    output = engine_values[program.output]
    output.backward()
    return engine_values


def _slot_values(node: _PendingNode, value: Value) -> list[float]:
    """The engine's local derivative for each operand slot (None-free: constants get theirs too)."""
    if node.op == "pow" and len(value.children) == 1:
        return [value.local_grads[0], math.nan]
    return list(value.local_grads)


# Formulas longer than this (counted as operations before simplification) are not printed:
# expression swell in deep graphs would cost seconds and fill the screen with no insight.
MAX_PRINTED_FORMULA_SIZE = 400
TOO_LONG_TO_SHOW = FORMULA_TOO_LARGE
_PRECISION = 30  # digits for sympy's side of the cross-check


def _assemble(
    program: Program, pending: list[_PendingNode], values: dict[str, float], engine_values: dict[str, Value]
) -> ComputationalGraph:
    import sympy

    functions = sympy_functions()
    input_symbols = {name: sympy.Symbol(name, real=True) for name in program.inputs}
    sympy_exprs: dict[str, Any] = dict(input_symbols)
    formula_size: dict[str, int] = {name: 1 for name in program.inputs}  # an upper bound on printed size
    # sympy's own numbers, computed node by node from the exact inputs, independently of the engine.
    sympy_values: dict[str, Any] = {name: _exact(values[name]) for name in program.inputs}
    sympy_locals: dict[tuple[str, int], Any] = {}

    nodes: dict[str, GraphNode] = {}
    edges: list[Edge] = []
    local_in_inputs: dict[tuple[str, int], Any] = {}
    local_size: dict[tuple[str, int], int] = {}
    for name in program.inputs:
        nodes[name] = GraphNode(
            id=name, op=INPUT, operands=(), value=values[name], grad=engine_values[name].grad,
            formula="", expanded_formula=name, grad_formula="", is_input=True, named_by_author=True,
        )
    for node in pending:
        # Constants go in as themselves, so d(s^2)/ds is 2*s and not s^c*c/s (0/0 at s = 0).
        slot_symbols, local_function, slot_derivatives = _local_template(node, functions)
        node_operands = [(i, o.node_id) for i, o in enumerate(node.operands) if o.node_id is not None]
        by_operand = {slot_symbols[i]: sympy.Symbol(node.operand_sympy[i], real=True) for i, _ in node_operands}
        by_input = {slot_symbols[i]: sympy_exprs[source] for i, source in node_operands}
        by_value = {slot_symbols[i]: sympy_values[source] for i, source in node_operands}
        sympy_exprs[node.node_id] = local_function.xreplace(by_input)
        formula_size[node.node_id] = 1 + sum(formula_size[source] for _, source in node_operands) + (
            len(node.operands) - len(node_operands))
        sympy_values[node.node_id] = _numeric(local_function.xreplace(by_value))
        value = engine_values[node.node_id]
        slot_locals = _slot_values(node, value)
        for slot, source in node_operands:
            derivative = slot_derivatives[slot]
            local_in_inputs[(node.node_id, slot)] = derivative.xreplace(by_input)
            local_size[(node.node_id, slot)] = formula_size[node.node_id]
            sympy_locals[(node.node_id, slot)] = _numeric(derivative.xreplace(by_value))
            edge = Edge(source=source, target=node.node_id, slot=slot, local_grad=slot_locals[slot],
                        local_grad_formula="")
            defer_text(edge, "local_grad_formula", functools.partial(_operand_text, derivative, by_operand))
            edges.append(edge)
        nodes[node.node_id] = GraphNode(
            id=node.node_id,
            op=node.op,
            operands=tuple(node.operands),
            value=value.data,
            grad=value.grad,
            formula=tree_text(node.formula_tree),
            expanded_formula="",
            grad_formula="",
            named_by_author=node.named_by_author,
        )
        defer_text(nodes[node.node_id], "expanded_formula", functools.partial(
            _printable, sympy_exprs[node.node_id], formula_size[node.node_id], False))

    order = [*program.inputs, *(node.node_id for node in pending)]
    sympy_grads, grad_size = _symbolic_gradients(order, program.output, edges, local_in_inputs, local_size)
    for node_id in order:  # printed when first read: most graphs are graded, not shown
        defer_text(nodes[node_id], "grad_formula",
                   functools.partial(_printable, sympy_grads[node_id], grad_size[node_id], True))
    graph = ComputationalGraph(
        program_text=program.source_text,
        output=program.output,
        order=order,
        nodes=nodes,
        edges=edges,
        input_values=dict(values),
        sympy_exprs=sympy_exprs,
        sympy_grads=sympy_grads,
    )
    _cross_check(graph, sympy_values, sympy_locals)
    return graph


def _operand_text(derivative: Any, by_operand: dict[Any, Any]) -> str:
    """A local derivative written in the node's operands, e.g. 2*z2."""
    return sympy_text(derivative.xreplace(by_operand))


# The slot symbols of every node's local function (each node's own symbols are substituted away at once,
# so all nodes can share them), and the local functions and their derivatives by (op, constant operands):
# a graph repeats a few patterns (s0*s1, s0^2, s0 + s1), and sympy.diff costs about a millisecond each.
_SLOT_SYMBOLS: list[Any] = []
_TEMPLATES: dict[tuple[Any, ...], tuple[list[Any], Any, dict[int, Any]]] = {}
_MAX_TEMPLATES = 4096


def _local_template(node: _PendingNode, functions: dict[str, Any]) -> tuple[list[Any], Any, dict[int, Any]]:
    """(slot symbols, the node's op on them, the derivative by each node slot); constants stay themselves."""
    import sympy

    while len(_SLOT_SYMBOLS) < len(node.operands):
        _SLOT_SYMBOLS.append(sympy.Dummy(f"s{len(_SLOT_SYMBOLS)}"))
    # A constant is keyed by its class and text as well: sympy calls Float(2.0) and Integer(2) equal.
    key = (node.op, *((None if operand.node_id is not None else
                       (type(node.operand_sympy[index]), str(node.operand_sympy[index]), node.operand_sympy[index]))
                      for index, operand in enumerate(node.operands)))
    template = _TEMPLATES.get(key)
    if template is None:
        slots = [_SLOT_SYMBOLS[index] if operand.node_id is not None else node.operand_sympy[index]
                 for index, operand in enumerate(node.operands)]
        local_function = _sympy_op(node.op, slots, functions)
        derivatives = {index: sympy.diff(local_function, slots[index])
                       for index, operand in enumerate(node.operands) if operand.node_id is not None}
        template = (slots, local_function, derivatives)
        if len(_TEMPLATES) < _MAX_TEMPLATES:
            _TEMPLATES[key] = template
    return template


def _printable(expression: Any, size: int, simplify: bool) -> str:
    if size > MAX_PRINTED_FORMULA_SIZE:
        return TOO_LONG_TO_SHOW
    import sympy

    # factor_terms pulls out common factors cheaply: 2*b*(a*b + c) rather than b*(2*a*b + 2*c).
    return sympy_text(sympy.factor_terms(expression) if simplify else expression)


def _numeric(expression: Any) -> Any:
    """A sympy number at 30 digits (nan when it has no real value), so later nodes stay cheap to evaluate."""
    import sympy

    try:
        number = sympy.N(expression, _PRECISION)
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return sympy.nan
    if number.is_real is False or number.has(sympy.zoo, sympy.I):
        return sympy.nan
    return number


def _sympy_op(op: str, slots: list[Any], functions: dict[str, Any]) -> Any:
    if op == "neg":
        return -slots[0]
    if op in functions:
        return functions[op](slots[0])
    a, b = slots
    return {"add": a + b, "sub": a - b, "mul": a * b, "div": a / b, "pow": a**b}[op]


def _symbolic_gradients(
    order: list[str],
    output: str,
    edges: list[Edge],
    local_in_inputs: dict[tuple[str, int], Any],
    local_size: dict[tuple[str, int], int],
) -> tuple[dict[str, Any], dict[str, int]]:
    """Reverse accumulation done with formulas: the same sums the engine does with numbers.

    Also returns an upper bound on each formula's printed size, so printing can be skipped
    before it gets expensive.
    """
    import sympy

    grads: dict[str, Any] = {node_id: sympy.S.Zero for node_id in order}
    sizes: dict[str, int] = {node_id: 0 for node_id in order}
    grads[output] = sympy.S.One
    sizes[output] = 1
    edges_by_target: dict[str, list[Edge]] = {}
    for edge in edges:
        edges_by_target.setdefault(edge.target, []).append(edge)
    for target in reversed(order):
        for edge in edges_by_target.get(target, []):
            key = (target, edge.slot)
            grads[edge.source] = grads[edge.source] + grads[target] * local_in_inputs[key]
            sizes[edge.source] = min(sizes[edge.source] + sizes[target] + local_size[key] + 2, 10**9)
    return grads, sizes


def _exact(number: float) -> Any:
    """Input values as exact rationals, so 0.1 means one tenth to sympy, not 0.1000000000000000055."""
    import sympy

    fraction = Fraction(number).limit_denominator(10**12)
    if float(fraction) != number:
        fraction = Fraction(number)
    return sympy.Rational(fraction.numerator, fraction.denominator)


def _agree(engine_number: float, sympy_value: float) -> bool:
    if math.isnan(engine_number) or math.isnan(sympy_value):
        return math.isnan(engine_number) and math.isnan(sympy_value) or math.isinf(engine_number) or math.isinf(sympy_value)
    if math.isinf(engine_number) or math.isinf(sympy_value):
        return engine_number == sympy_value or abs(sympy_value) > 1e300
    return math.isclose(engine_number, sympy_value, rel_tol=1e-7, abs_tol=1e-9)


def _as_float(number: Any) -> float:
    try:
        return float(number)
    except (TypeError, ValueError, OverflowError):
        return math.nan


def _cross_check(graph: ComputationalGraph, sympy_values: dict[str, Any], sympy_locals: dict[tuple[str, int], Any]) -> None:
    """Engine against sympy, node by node: values, every local derivative, then the accumulated gradients.

    Checking locally keeps the cost linear in the graph's size; evaluating each node's full
    formula of the inputs would grow with expression swell in deep graphs.
    """
    for node_id in graph.order:
        engine_number = graph.nodes[node_id].value
        symbolic = _as_float(sympy_values[node_id])
        if not _agree(engine_number, symbolic):
            raise GraphConsistencyError(
                f"engine and sympy disagree on the value of {node_id} in {graph.program_text!r}: "
                f"engine {format_number(engine_number)}, sympy {format_number(symbolic)}"
            )
    grads = {node_id: 0.0 for node_id in graph.order}
    grads[graph.output] = 1.0
    position = {node_id: index for index, node_id in enumerate(graph.order)}
    for edge in sorted(graph.edges, key=lambda e: (-position[e.target], e.slot)):
        symbolic_local = _as_float(sympy_locals[(edge.target, edge.slot)])
        if not _agree(edge.local_grad, symbolic_local):
            raise GraphConsistencyError(
                f"engine and sympy disagree on the local derivative of {edge.target} with respect to "
                f"{edge.source} in {graph.program_text!r}: engine {format_number(edge.local_grad)}, "
                f"sympy {format_number(symbolic_local)}"
            )
        grads[edge.source] += grads[edge.target] * symbolic_local
    for node_id in graph.order:
        if not _agree(graph.nodes[node_id].grad, grads[node_id]):
            raise GraphConsistencyError(
                f"engine and sympy disagree on the gradient of {node_id} in {graph.program_text!r}: "
                f"engine {format_number(graph.nodes[node_id].grad)}, sympy {format_number(grads[node_id])}"
            )


def _local_formula_text(op: str, slot: int, texts: list[str]) -> str:
    """The local derivative of one op as text in its operands' names, written the way sympy prints it.

    Used for large graphs, where asking sympy for thousands of tiny derivatives would cost seconds.
    """
    a = texts[0]
    b = texts[1] if len(texts) > 1 else ""

    def wrap(text: str) -> str:
        # A bare name or number needs no brackets; anything longer does.
        return text if text.replace("_", "").isalnum() else f"({text})"

    if op in ("add",):
        return "1"
    if op == "sub":
        return "1" if slot == 0 else "-1"
    if op == "neg":
        return "-1"
    if op == "mul":
        return b if slot == 0 else a
    if op == "div":
        return f"1/{wrap(b)}" if slot == 0 else f"-{wrap(a)}/{wrap(b)}^2"
    if op == "pow":
        return f"{wrap(b)}*{wrap(a)}^({b} - 1)" if slot == 0 else f"{wrap(a)}^{wrap(b)}*log({a})"
    return {
        "tanh": f"1 - tanh({a})^2",
        "exp": f"exp({a})",
        "log": f"1/{wrap(a)}",
        "sigmoid": f"(1 - sigmoid({a}))*sigmoid({a})",
        "relu": f"Heaviside({a}, 0)",
    }[op]


def _dual_op(op: str, arguments: list[Any]) -> Any:
    """One node's op on dual numbers: an implementation independent of the engine's Value."""
    from tutor.engine.forward_mode import Dual

    if op == "neg":
        return -arguments[0]
    if op in ("relu", "tanh", "exp", "log", "sigmoid"):
        return getattr(arguments[0], op)()
    left, right = arguments
    left = left if isinstance(left, Dual) else Dual(left)
    return {"add": lambda: left + right, "sub": lambda: left - right, "mul": lambda: left * right,
            "div": lambda: left / right, "pow": lambda: left ** right}[op]()


# Large graphs check the engine's input gradients along at most this many inputs (one dual sweep each).
_DUAL_CHECKED_INPUTS = 8


def _assemble_large(
    program: Program, pending: list[_PendingNode], values: dict[str, float], engine_values: dict[str, Value]
) -> ComputationalGraph:
    """A graph from the engine alone, in time linear in its size.

    Formulas of the inputs are not built (they would swell, and sympy's printer recurses on
    deep trees); each node shows FORMULA_TOO_LARGE instead. The engine is cross-checked against
    dual numbers: every local derivative by one tangent through its own op, and the gradient
    of the output with respect to the first inputs by a full forward-mode sweep each.
    """
    from tutor.engine.forward_mode import Dual

    nodes: dict[str, GraphNode] = {}
    edges: list[Edge] = []
    for name in program.inputs:
        nodes[name] = GraphNode(
            id=name, op=INPUT, operands=(), value=values[name], grad=engine_values[name].grad,
            formula="", expanded_formula=name, grad_formula=FORMULA_TOO_LARGE, is_input=True, named_by_author=True,
        )
    for node in pending:
        value = engine_values[node.node_id]
        slot_locals = _slot_values(node, value)
        texts = [operand.text() for operand in node.operands]
        plain = [engine_values[o.node_id].data if o.node_id is not None else _constant(o) for o in node.operands]
        for slot, operand in enumerate(node.operands):
            if operand.node_id is None:
                continue
            tangent = _dual_op(node.op, [Dual(x, 1.0 if i == slot else 0.0) for i, x in enumerate(plain)]).tangent
            if not _agree(slot_locals[slot], tangent):
                raise GraphConsistencyError(
                    f"engine and dual numbers disagree on the local derivative of {node.node_id} with respect to "
                    f"{operand.node_id}: engine {format_number(slot_locals[slot])}, dual {format_number(tangent)}")
            edges.append(Edge(source=operand.node_id, target=node.node_id, slot=slot, local_grad=slot_locals[slot],
                              local_grad_formula=_local_formula_text(node.op, slot, texts)))
        nodes[node.node_id] = GraphNode(
            id=node.node_id, op=node.op, operands=tuple(node.operands), value=value.data, grad=value.grad,
            formula=tree_text(node.formula_tree), expanded_formula=FORMULA_TOO_LARGE,
            grad_formula="1" if node.node_id == program.output else FORMULA_TOO_LARGE,
            named_by_author=node.named_by_author,
        )
    for checked in program.inputs[:_DUAL_CHECKED_INPUTS]:
        duals: dict[str, Any] = {name: Dual(values[name], 1.0 if name == checked else 0.0) for name in program.inputs}
        for node in pending:
            duals[node.node_id] = _dual_op(node.op, [duals[o.node_id] if o.node_id is not None else _constant(o)
                                                     for o in node.operands])
        output = duals[program.output]
        if not (_agree(engine_values[program.output].data, output.value)
                and _agree(engine_values[checked].grad, output.tangent)):
            raise GraphConsistencyError(
                f"engine and forward mode disagree on d{program.output}/d{checked}: engine "
                f"{format_number(engine_values[checked].grad)}, forward mode {format_number(output.tangent)}")
    return ComputationalGraph(
        program_text=program.source_text,
        output=program.output,
        order=[*program.inputs, *(node.node_id for node in pending)],
        nodes=nodes,
        edges=edges,
        input_values=dict(values),
    )


# ---------------------------------------------------------------------------- formulas on demand

# A formula ask (derivative:, derivative2:) on a graph built without formulas builds them when asked,
# within these bounds; past them the formula is refused as too large to write by hand, before any
# sympy work. The node bound keeps sympy's flattening of long sums (quadratic) well under a second;
# the depth bound (nesting as sympy keeps it: a + b + c is one level) keeps its printer off recursion.
MAX_FORMULA_GRAPH_NODES = 2_000
MAX_FORMULA_SIZE = 6_000
MAX_FORMULA_NESTING = 60
_SUM_OPS = frozenset({"add", "sub", "neg"})
_PRODUCT_OPS = frozenset({"mul", "div"})


class FormulaTooLargeError(ValueError):
    """The graph's formulas would be too large (or too deeply nested) to build, print or write by hand."""


def formula_bounds(graph: ComputationalGraph) -> tuple[int, int]:
    """(an upper bound on the size of the output's formula, its nesting as sympy keeps it); no sympy."""
    size: dict[str, int] = {}
    nesting: dict[str, int] = {}
    for node_id in graph.order:
        node = graph.nodes[node_id]
        if node.is_input:
            size[node_id], nesting[node_id] = 1, 0
            continue
        sources = [operand.node_id for operand in node.operands if operand.node_id is not None]
        size[node_id] = min(1 + sum(size[source] for source in sources) + len(node.operands) - len(sources), 10**9)
        family = _SUM_OPS if node.op in _SUM_OPS else _PRODUCT_OPS if node.op in _PRODUCT_OPS else frozenset()
        nesting[node_id] = max((nesting[source] + (0 if graph.nodes[source].op in family else 1)
                                for source in sources), default=0)
    return size[graph.output], nesting[graph.output]


def ensure_formulas(graph: ComputationalGraph, names: Iterable[str] = ()) -> None:
    """Fill ``graph.sympy_grads`` for a graph built without formulas (a large one), and ``graph.sympy_exprs``
    for the nodes the gradients need plus ``names`` (the intermediate names an answer uses).

    Raises FormulaTooLargeError past the bounds above (checked before sympy is touched), and
    GraphConsistencyError when the formulas disagree with the engine at the graph's point.
    """
    if not graph.sympy_grads:
        _build_gradients(graph)
    missing = [name for name in names if name in graph.nodes and name not in graph.sympy_exprs]
    if missing:
        _expressions(graph, graph.sympy_exprs, missing)


def _build_gradients(graph: ComputationalGraph) -> None:
    if len(graph.order) > MAX_FORMULA_GRAPH_NODES:
        raise FormulaTooLargeError(f"the graph has {len(graph.order)} nodes (formulas are built up to "
                                   f"{MAX_FORMULA_GRAPH_NODES})")
    size, nesting = formula_bounds(graph)
    if size > MAX_FORMULA_SIZE or nesting > MAX_FORMULA_NESTING:
        raise FormulaTooLargeError(f"the output's formula would have up to {size} operations nested {nesting} deep")
    try:
        exprs, grads = _formulas_of(graph)
    except RecursionError:
        raise FormulaTooLargeError("the formulas nest too deeply to build") from None
    for name in graph.input_ids:
        engine = graph.nodes[name].grad
        symbolic = _as_float(_numeric(grads[name].xreplace(
            {exprs[other]: _exact(graph.input_values[other]) for other in graph.input_ids})))
        if not _agree(engine, symbolic):
            raise GraphConsistencyError(
                f"engine and sympy disagree on d{graph.output}/d{name} in {graph.program_text!r}: engine "
                f"{format_number(engine)}, sympy {format_number(symbolic)}")
    graph.sympy_exprs, graph.sympy_grads = exprs, grads


def _operand_sympy(operand: Operand) -> Any:
    """A constant operand as the exact number the program wrote (1/3 stays a third)."""
    return _constant_sympy(operand.constant_text, _constant(operand))


@functools.lru_cache(maxsize=1024)
def _constant_sympy(text: str | None, value: float) -> Any:
    """Parsed once per text: a long program repeats a few constants (a 300-term sum's 900 constants
    are 12 texts), and parsing each again was over half of building its formulas."""
    if text:
        try:
            return to_sympy(parse_expression(text, allowed_names=set()), {})
        except (ParseError, ValueError, TypeError):
            pass
    return _exact(value)


def _formulas_of(graph: ComputationalGraph) -> tuple[dict[str, Any], dict[str, Any]]:
    """The gradients as formulas, and the expressions of the nodes they need (not of every partial sum:
    a sum's local derivatives are ±1, and building each partial sum of a long sum is quadratic)."""
    import sympy

    functions = sympy_functions()
    exprs: dict[str, Any] = {name: sympy.Symbol(name, real=True) for name in graph.input_ids}
    needed: list[str] = []
    for node_id in graph.computed_ids:
        node = graph.nodes[node_id]
        if node.op not in _SUM_OPS:
            needed.extend(operand.node_id for operand in node.operands if operand.node_id is not None)
        if node.op in ("pow", "exp"):
            needed.append(node_id)  # their local derivatives are written with their own value
    _expressions(graph, exprs, needed)
    local_in_inputs: dict[tuple[str, int], Any] = {}
    for node_id in graph.computed_ids:
        node = graph.nodes[node_id]
        arguments = [(exprs.get(operand.node_id) if operand.node_id is not None else _operand_sympy(operand))
                     for operand in node.operands]
        for index, operand in enumerate(node.operands):
            if operand.node_id is not None:
                local_in_inputs[(node_id, index)] = _sympy_local(node.op, index, arguments, exprs.get(node_id),
                                                                 functions)
    sizes = {key: 1 for key in local_in_inputs}
    grads, _ = _symbolic_gradients(graph.order, graph.output, graph.edges, local_in_inputs, sizes)
    return exprs, grads


def _expressions(graph: ComputationalGraph, exprs: dict[str, Any], targets: Iterable[str]) -> None:
    """Add to ``exprs`` the formulas of ``targets`` in the inputs, and of every node they are computed from."""
    wanted: set[str] = set()
    stack = [target for target in targets if target not in exprs]
    while stack:
        node_id = stack.pop()
        if node_id in wanted or node_id in exprs:
            continue
        wanted.add(node_id)
        stack.extend(operand.node_id for operand in graph.nodes[node_id].operands if operand.node_id is not None)
    if not wanted:
        return
    functions = sympy_functions()
    for node_id in graph.computed_ids:
        if node_id in wanted:
            operands = graph.nodes[node_id].operands
            arguments = [exprs[operand.node_id] if operand.node_id is not None else _operand_sympy(operand)
                         for operand in operands]
            exprs[node_id] = _sympy_op(graph.nodes[node_id].op, arguments, functions)


def _sympy_local(op: str, slot: int, arguments: list[Any], result: Any, functions: dict[str, Any]) -> Any:
    """∂(op)/∂(argument ``slot``) written directly (sympy.diff per node costs a millisecond each)."""
    import sympy

    if op == "add":
        return sympy.S.One
    if op == "sub":
        return sympy.S.One if slot == 0 else sympy.S.NegativeOne
    if op == "neg":
        return sympy.S.NegativeOne
    if op == "mul":
        return arguments[1 - slot]
    if op == "div":
        a, b = arguments
        return 1 / b if slot == 0 else -a / b**2
    if op == "pow":
        a, b = arguments
        return b * a ** (b - 1) if slot == 0 else result * sympy.log(a)
    if op == "exp":
        return result
    dummy = sympy.Dummy("u")
    return sympy.diff(functions[op](dummy), dummy).xreplace({dummy: arguments[0]})
