"""The engine with one backward rule broken, to name the learner's bug.

:func:`run_rows` evaluates a compiled check program (see :mod:`tutor.exercises.programs`) the way
a micrograd-style ``Value`` does: forward values, then a recursive-style topological order and
each node's backward rule. With ``mutation=None`` it agrees with :mod:`tutor.engine.value`
(the tests check that); with a :class:`Mutation` one rule is broken the way learners break it.
The learner's gradients are then matched against every mutant: the one that reproduces them
on every program tried is the diagnosis.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from tutor.engine.scalar_math import stable_sigmoid


@dataclass(frozen=True)
class Mutation:
    id: str
    op: str | None  # the operation whose rule is broken; None for the backward pass itself
    rule: str  # the rule, as the message states it


_BINARY = ("add", "sub", "mul", "div")
_ALL_OPS = ("add", "sub", "mul", "div", "pow", "neg", "relu", "tanh", "exp", "log", "sigmoid")

MUTATIONS: tuple[Mutation, ...] = (
    *(Mutation(f"assign-{op}", op, f"{op}'s backward must add into each input's grad (+=), not assign it (=): "
               "x*x needs both paths, and a value used twice gets a share from each use") for op in _ALL_OPS),
    Mutation("mul-own-value", "mul", "d(a*b)/da is b: each input gets the OTHER input's value times out.grad"),
    *(Mutation(f"missing-upstream-{op}", op, f"{op}'s backward must multiply its local derivative by out.grad "
               "(the chain rule)") for op in _ALL_OPS),
    Mutation("tanh-from-input", "tanh", "d tanh(x)/dx = 1 - t^2 with t = tanh(x), the OUTPUT, not 1 - x^2"),
    Mutation("pow-without-n", "pow", "d(x^n)/dx = n * x^(n-1): the factor n is missing"),
    Mutation("pow-without-n-minus-1", "pow", "d(x^n)/dx = n * x^(n-1): the exponent must drop by one"),
    Mutation("sub-sign", "sub", "d(a-b)/db = -1: the second input's gradient is -out.grad"),
    Mutation("div-sign", "div", "d(a/b)/db = -a/b^2: the denominator's gradient is negative"),
    Mutation("neg-sign", "neg", "d(-x)/dx = -1"),
    Mutation("topo-visits-twice", None, "the topological sort must list each node once (keep a visited set); "
             "a node listed twice runs its backward twice"),
    Mutation("no-seed", None, "backward() must start with self.grad = 1 (dL/dL = 1)"),
    Mutation("not-reversed", None, "backward() must run the nodes in REVERSED topological order, output first"),
)

MUTATIONS_BY_ID = {mutation.id: mutation for mutation in MUTATIONS}


class _Node:
    __slots__ = ("data", "grad", "children", "op", "locals_")

    def __init__(self, data: float, children: tuple = (), op: str = "", locals_: tuple = ()) -> None:
        self.data = data
        self.grad = 0.0
        self.children = children
        self.op = op
        self.locals_ = locals_


def _local_grads(op: str, inputs: list[float], out: float, exponent: float | None, mutation: str | None) -> tuple:
    if op == "add":
        return (1.0, 1.0)
    if op == "sub":
        return (1.0, 1.0) if mutation == "sub-sign" else (1.0, -1.0)
    if op == "mul":
        a, b = inputs
        return (a, b) if mutation == "mul-own-value" else (b, a)
    if op == "div":
        a, b = inputs
        return (1.0 / b, (a / b / b) if mutation == "div-sign" else -(a / b) / b)
    if op == "pow":
        (x,) = inputs
        assert exponent is not None  # every pow op in a check program carries its exponent
        n = exponent
        if mutation == "pow-without-n":
            return (x ** (n - 1),)
        if mutation == "pow-without-n-minus-1":
            return (n * x ** n,)
        return (n * x ** (n - 1),)
    (x,) = inputs
    if op == "neg":
        return (1.0,) if mutation == "neg-sign" else (-1.0,)
    if op == "relu":
        return (1.0 if x > 0 else 0.0,)
    if op == "tanh":
        return (1.0 - x * x,) if mutation == "tanh-from-input" else (1.0 - out * out,)
    if op == "exp":
        return (out,)
    if op == "log":
        return (1.0 / x,)
    if op == "sigmoid":
        return (out * (1.0 - out),)
    raise ValueError(f"unknown op {op}")


def _forward(op: str, inputs: list[float], exponent: float | None) -> float:
    if op == "add":
        return inputs[0] + inputs[1]
    if op == "sub":
        return inputs[0] - inputs[1]
    if op == "mul":
        return inputs[0] * inputs[1]
    if op == "div":
        return inputs[0] / inputs[1]
    if op == "pow":
        assert exponent is not None  # every pow op in a check program carries its exponent
        return inputs[0] ** exponent
    x = inputs[0]
    return {"neg": lambda: -x, "relu": lambda: max(x, 0.0), "tanh": lambda: math.tanh(x),
            "exp": lambda: math.exp(x), "log": lambda: math.log(x),
            # The engine's overflow-free sigmoid: 1/(1 + exp(-x)) overflows below x = -709, where the engine does not.
            "sigmoid": lambda: stable_sigmoid(x)}[op]()


def expand_composites(rows: list[list]) -> tuple[list[list], list[int]]:
    """Rewrite - , unary - and / the way micrograd builds them (a + (-b), x * -1, a * b^-1).

    Many learners write them like that, so a broken ``mul`` rule shows in their ``-`` and ``/``
    too; the diagnosis tries each mutant on both forms. Returns the rows and, for each original
    row, its index in the new rows.
    """
    out: list[list] = []
    where: list[int] = []
    for row in rows:
        op = row[0]
        args = [where[i] for i in row[1:3]] if op in _BINARY else [where[row[1]]] if op not in ("input", "const") else []

        def push(new_row: list) -> int:
            out.append(new_row)
            return len(out) - 1

        if op == "neg":
            index = push(["mul", args[0], push(["const", -1.0])])
        elif op == "sub":
            negated = push(["mul", args[1], push(["const", -1.0])])
            index = push(["add", args[0], negated])
        elif op == "div":
            index = push(["mul", args[0], push(["pow", args[1], -1.0])])
        elif op == "pow":
            index = push(["pow", args[0], row[2]])
        elif op in ("input", "const"):
            index = push(list(row))
        else:
            index = push([op, *args])
        where.append(index)
    return out, where


def run_rows(rows: list[list], mutation: str | None = None, composite: bool = False) -> dict:
    """``{"values": [...], "grads": {input: grad}}`` for the program, with one rule broken (or none)."""
    if composite:
        expanded, where = expand_composites(rows)
        result = run_rows(expanded, mutation)
        return {"values": [None if row[0] == "const" else result["values"][where[i]] for i, row in enumerate(rows)],
                "grads": result["grads"]}
    broken = MUTATIONS_BY_ID[mutation] if mutation else None
    nodes: list[_Node] = []
    values: list[float | None] = []
    for row in rows:
        op = row[0]
        if op == "input":
            node = _Node(float(row[2]))
        elif op == "const":
            node = _Node(float(row[1]), op="const")
        else:
            exponent = float(row[2]) if op == "pow" else None
            children = tuple(nodes[i] for i in (row[1:3] if op in _BINARY else row[1:2]))
            inputs = [child.data for child in children]
            out = _forward(op, inputs, exponent)
            rule = broken.id if broken and broken.op == op else None
            node = _Node(out, children, op, _local_grads(op, inputs, out, exponent, rule))
        nodes.append(node)
        values.append(None if op == "const" else node.data)
    root = nodes[-1]
    order = _topological_order(root, twice=mutation == "topo-visits-twice")
    if mutation != "no-seed":
        root.grad = 1.0
    walk = order if mutation == "not-reversed" else list(reversed(order))
    for node in walk:
        assigns = broken is not None and broken.id.startswith("assign-") and broken.op == node.op
        no_upstream = broken is not None and broken.id.startswith("missing-upstream-") and broken.op == node.op
        for child, local in zip(node.children, node.locals_):
            contribution = local if no_upstream else local * node.grad
            if assigns:
                child.grad = contribution
            else:
                child.grad += contribution
    grads = {row[1]: nodes[index].grad for index, row in enumerate(rows) if row[0] == "input"}
    return {"values": values, "grads": grads}


def _topological_order(root: _Node, twice: bool) -> list[_Node]:
    """micrograd's build_topo, children in order; ``twice`` drops the visited set."""
    order: list[_Node] = []
    visited: set[int] = set()
    # An explicit stack in place of recursion: (node, children already walked?).
    stack: list[tuple[_Node, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if not twice:
            if id(node) in visited:
                continue
            visited.add(id(node))
        stack.append((node, True))
        for child in reversed(node.children):
            stack.append((child, False))
    return order
