"""The data model of a computational graph: plain dataclasses, no sympy, no Textual.

A graph is built by :func:`tutor.graph.build.build_graph` from a program and input values.
Everything downstream (checking, rendering, the UI) reads these objects and never re-derives
numbers on its own, so the engine stays the single source of truth for values and gradients.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# format_number is display formatting and lives in the leaf tutor.formatting (expr needs it too);
# the step records live with the code that replays the passes. Both are re-exported from here.
from tutor.formatting import format_number as format_number
from tutor.graph.steps import BackwardStep as BackwardStep
from tutor.graph.steps import ForwardStep as ForwardStep
from tutor.graph.steps import backward_steps, forward_steps

# Operation names used on nodes. "input" nodes are the leaves the learner is given.
INPUT = "input"
OPS_BINARY = ("add", "sub", "mul", "div", "pow")
OPS_UNARY = ("neg", "relu", "tanh", "exp", "log", "sigmoid")

# How each op is written when a node is shown as a small box in a drawing.
OP_SYMBOLS: dict[str, str] = {
    "input": "",
    "add": "+",
    "sub": "-",
    "mul": "*",
    "div": "/",
    "pow": "^",
    "neg": "neg",
    "relu": "relu",
    "tanh": "tanh",
    "exp": "exp",
    "log": "log",
    "sigmoid": "σ",
}


class _FormulaText:
    """A formula's text that sympy may print only when it is first read (a dataclass field's descriptor).

    Printing (and factor_terms) costs more than building a small graph, and most graphs are built to be
    graded, so their formulas are never shown: `validate` of the course printed 1,200 formulas to read
    none. A field holds either its text or, set by :func:`defer_text`, a function that returns it, called
    once, on the first read; everything that reads the field sees a plain ``str`` as before.
    """

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instance: Any, owner: type | None = None) -> str:
        if instance is None:
            raise AttributeError(self.name)  # no class-level default: the dataclass field stays required
        value = instance.__dict__[self.name]
        if not isinstance(value, str):
            value = value()
            instance.__dict__[self.name] = value
        return value

    def __set__(self, instance: Any, value: str) -> None:
        instance.__dict__[self.name] = value  # frozen dataclasses too: their __init__ sets fields this way


def defer_text(target: Any, name: str, compute: Callable[[], str]) -> None:
    """Make the formula field ``name`` of ``target`` (a GraphNode or Edge) come from ``compute()`` when first read."""
    if not isinstance(type(target).__dict__.get(name), _FormulaText):
        raise AttributeError(f"{type(target).__name__}.{name} is not a formula field")
    target.__dict__[name] = compute


@dataclass(frozen=True)
class Operand:
    """One argument slot of a node: either another node (``node_id``) or a number (``constant``)."""

    node_id: str | None = None
    constant: float | None = None
    constant_text: str | None = None  # the constant as the author wrote it, e.g. "1/2"

    @property
    def is_node(self) -> bool:
        return self.node_id is not None

    def text(self) -> str:
        if self.node_id is not None:
            return self.node_id
        return self.constant_text if self.constant_text is not None else format_number(self.constant)


@dataclass(frozen=True)
class Edge:
    """Data flows from ``source`` into argument slot ``slot`` of ``target``.

    ``x * x`` has two edges from x into the same node (slots 0 and 1), so its gradient is 2x.
    """

    source: str
    target: str
    slot: int
    local_grad: float  # ∂target/∂(this argument), at the graph's input values
    # the same derivative as a formula in the node's own operands, e.g. "2*z2" (printed when first read)
    local_grad_formula: _FormulaText = _FormulaText()


@dataclass
class GraphNode:
    id: str
    op: str
    operands: tuple[Operand, ...]  # every argument in order, constants included
    value: float
    grad: float  # ∂output/∂this node
    formula: str  # how this node is computed from its operands, e.g. "z1 + c" ("" for inputs)
    # The next two are printed by sympy when first read (see _FormulaText):
    expanded_formula: _FormulaText = _FormulaText()  # the node as a formula of the graph's inputs, e.g. "a*b + c"
    grad_formula: _FormulaText = _FormulaText()  # ∂output/∂this node as a formula of the inputs (sympy's printing)
    is_input: bool = False
    named_by_author: bool = False  # True when the program named it (e.g. "z1 = a*b"), False for generated names

    @property
    def inputs(self) -> tuple[str, ...]:
        """The node ids feeding this node, one per edge (repeats allowed: x*x -> ("x", "x"))."""
        return tuple(operand.node_id for operand in self.operands if operand.node_id is not None)


@dataclass
class ComputationalGraph:
    program_text: str
    output: str  # id of the output node (L)
    order: list[str]  # every node id in evaluation order; inputs first, in order of first use
    nodes: dict[str, GraphNode]
    edges: list[Edge]
    input_values: dict[str, float] = field(default_factory=dict)
    sympy_exprs: dict[str, Any] = field(default_factory=dict, repr=False)  # node id -> sympy expr of inputs
    sympy_grads: dict[str, Any] = field(default_factory=dict, repr=False)  # node id -> sympy d(output)/d(node)

    @property
    def input_ids(self) -> list[str]:
        return [node_id for node_id in self.order if self.nodes[node_id].is_input]

    @property
    def computed_ids(self) -> list[str]:
        return [node_id for node_id in self.order if not self.nodes[node_id].is_input]

    def edges_into(self, node_id: str) -> list[Edge]:
        return [edge for edge in self.edges if edge.target == node_id]

    def edges_out_of(self, node_id: str) -> list[Edge]:
        return [edge for edge in self.edges if edge.source == node_id]

    def forward_steps(self) -> list[ForwardStep]:
        return forward_steps(self)

    def backward_steps(self) -> list[BackwardStep]:
        return backward_steps(self)
