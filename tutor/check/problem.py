"""A graph prepared for grading: exact numbers at the given point, random points, and asks.

Building a graph costs tens of milliseconds (sympy), so problems are cached per
``(program, at)``; every later answer on the same problem only does arithmetic.

The numbers here are recomputed from the graph's structure with :mod:`tutor.check.numbers`
(exact where possible) and cross-checked against the engine's values on every build, so the
checker's "right answer" is the engine's and sympy's, just without rounding.
"""

from __future__ import annotations

import functools
import hashlib
import math
import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from tutor.check.ask_kinds import PROGRAM_ASK_KINDS, Ask, AskKind
from tutor.check.models import RequestError
from tutor.check.numbers import (
    _ONE,
    _ZERO,
    Num,
    _bounded,
    add,
    apply_op,
    evaluate_tree,
    exact_fraction,
    is_finite,
    local_derivative,
    mul,
    sub,
    to_float,
)
from tutor.check.second_values import prepare_second_derivative, second_derivative_at
from tutor.expr import ParseError, parse_expression
from tutor.expr.convert import EvaluationError
from tutor.expr.tree import Binary, Call, Expression, Name, Unary
from tutor.expr.tree import to_text as tree_text
from tutor.graph import ComputationalGraph, Edge, GraphBuildError, build_graph
from tutor.graph.build import MAX_FORMULA_GRAPH_NODES, FormulaTooLargeError, GraphConsistencyError, ensure_formulas

ACTIVATIONS = ("relu", "tanh", "exp", "log", "sigmoid")
RANDOM_POINT_COUNT = 8
# Past the size where formula asks are refused, random points serve only the number asks' "is this factor
# exactly 1 as a function" test, and each point is an exact pass over every node: fewer do.
LARGE_GRAPH_POINT_COUNT = 3
_RANDOM_POINT_ATTEMPTS = 160
# Random points whose numbers get this large are too close to a singularity to compare at.
_LARGEST_USEFUL_MAGNITUDE = 10**8


@dataclass
class PointState:
    """Every number of the graph at one point: forward values, local derivatives, gradients."""

    inputs: dict[str, Num]
    values: dict[str, Num]
    locals: dict[tuple[str, int], Num]  # (target, slot) -> ∂target/∂operand
    grads: dict[str, Num]
    arguments: dict[str, list[Num]] = field(default_factory=dict)  # node -> its operands' values


class Problem:
    """A computational graph plus everything the checker derives from it (cheap after the first use)."""

    def __init__(self, graph: ComputationalGraph) -> None:
        self.graph = graph
        self.output = graph.output
        self.edges_into: dict[str, list[Edge]] = {node_id: [] for node_id in graph.order}
        self.edges_out: dict[str, list[Edge]] = {node_id: [] for node_id in graph.order}
        for edge in graph.edges:
            self.edges_into[edge.target].append(edge)
            self.edges_out[edge.source].append(edge)
        for edges in self.edges_into.values():
            edges.sort(key=lambda edge: edge.slot)
        self.position = {node_id: index for index, node_id in enumerate(graph.order)}
        self.constants = self._exact_constants()
        self._evaluation_plan: list[tuple[str, str, list[str | tuple[Num]], list[int]]] | None = None
        point = {name: exact_fraction(graph.input_values[name]) for name in graph.input_ids}
        try:
            self.state = self.evaluate(point)
        except EvaluationError as error:  # the engine accepted this point, so this is our bug
            raise GraphConsistencyError(f"the checker can't evaluate {graph.program_text!r}: {error}") from None
        self._cross_check()
        self._lock = threading.Lock()
        self._random_states: list[PointState] | None = None
        self._descendants: dict[str, list[str]] = {}
        self._ancestors: dict[str, set[str]] = {}
        self._derivative_texts: dict[str, str] = {}
        self.memo: dict[Any, Any] = {}  # per-ask caches owned by other checker modules

    # ------------------------------------------------------------ numbers at a point

    def _exact_constants(self) -> dict[tuple[str, int], Num]:
        constants: dict[tuple[str, int], Num] = {}
        by_text: dict[tuple[str, Num], Num] = {}  # a long program repeats its few constants thousands of times
        for node_id in self.graph.computed_ids:
            for slot, operand in enumerate(self.graph.nodes[node_id].operands):
                if operand.node_id is not None:
                    continue
                value: Num = float(operand.constant)  # type: ignore[arg-type]
                seen = (operand.constant_text or "", value)
                if seen in by_text:
                    value = by_text[seen]
                elif operand.constant_text:
                    try:
                        value, _ = evaluate_tree(parse_expression(operand.constant_text, allowed_names=set()), {})
                    except (ParseError, EvaluationError):
                        pass
                by_text[seen] = value
                constants[(node_id, slot)] = value
        return constants

    def evaluate(self, inputs: Mapping[str, Num]) -> PointState:
        """Forward values, local derivatives and gradients at ``inputs`` (EvaluationError off the domain)."""
        values: dict[str, Num] = dict(inputs)
        local_values: dict[tuple[str, int], Num] = {}
        arguments_of: dict[str, list[Num]] = {}
        for node_id, op, sources, slots in self._plan():
            arguments: list[Num] = [values[source] if isinstance(source, str) else source[0] for source in sources]
            result = apply_op(op, arguments)
            values[node_id] = result
            arguments_of[node_id] = arguments
            for slot in slots:
                local_values[(node_id, slot)] = local_derivative(op, arguments, result, slot)
        state = PointState(dict(inputs), values, local_values, {}, arguments_of)
        state.grads = self.backward(state)
        return state

    def _plan(self) -> list[tuple[str, str, list[str | tuple[Num]], list[int]]]:
        """Per computed node, in order: its id, op, operands (a node id, or its exact constant in a 1-tuple) and
        the slots of its edges; worked out once, as evaluate runs once per sampled point."""
        plan = self._evaluation_plan
        if plan is None:
            plan = []
            for node_id in self.graph.computed_ids:
                node = self.graph.nodes[node_id]
                sources: list[str | tuple[Num]] = [
                    operand.node_id if operand.node_id is not None else (self.constants[(node_id, slot)],)
                    for slot, operand in enumerate(node.operands)]
                plan.append((node_id, node.op, sources, [edge.slot for edge in self.edges_into[node_id]]))
            self._evaluation_plan = plan
        return plan

    def backward(
        self,
        state: PointState,
        seed: str | None = None,
        replace: Mapping[tuple[str, int], Num] | None = None,
        drop: frozenset[tuple[str, int]] = frozenset(),
    ) -> dict[str, Num]:
        """Reverse accumulation from ``seed`` (the output by default), optionally with a broken rule:
        ``replace`` swaps some local derivatives, ``drop`` leaves some edges out. This is how the
        checker computes what a learner who made one specific mistake would have answered."""
        start = seed or self.output
        grads: dict[str, Num] = {node_id: _ZERO for node_id in self.graph.order}
        grads[start] = _ONE
        for target in reversed(self.graph.order[: self.position[start] + 1]):
            upstream = grads[target]
            for edge in self.edges_into[target]:
                key = (target, edge.slot)
                if key in drop:
                    continue
                local = replace[key] if replace is not None and key in replace else state.locals[key]
                current = grads[edge.source]
                if isinstance(upstream, Fraction) and isinstance(local, Fraction) and isinstance(current, Fraction):
                    # add(current, mul(upstream, local)) without the arithmetic where a factor is 0 or 1 or the
                    # sum starts at 0: the same exact number (every gradient here is already within bounds).
                    if not upstream.numerator or not local.numerator:
                        continue
                    product = upstream if local is _ONE else _bounded(upstream * local)
                    if isinstance(product, Fraction):
                        grads[edge.source] = product if not current.numerator else _bounded(current + product)
                    else:  # past the exact bounds: a float from here on, as add() makes it
                        grads[edge.source] = add(current, product)
                else:
                    grads[edge.source] = add(current, mul(upstream, local))
        return grads

    def tangents(self, state: PointState, source: str) -> dict[str, Num]:
        """d(node)/d(source) for every node, by one forward sweep of the local derivatives at ``state``.

        What ``backward(state, seed=node)[source]`` gives for one node, for all of them in the time of one
        backward pass (cached for the given point and the random points, which rules ask about again)."""
        cacheable = state is self.state or any(state is other for other in (self._random_states or ()))
        key = ("tangents", id(state), source)
        if cacheable and key in self.memo:
            return self.memo[key]
        found: dict[str, Num] = {source: Fraction(1)}
        for target in self.graph.order[self.position[source] + 1:]:
            total: Num | None = None
            for edge in self.edges_into[target]:
                if edge.source in found:
                    term = mul(found[edge.source], state.locals[(target, edge.slot)])
                    total = term if total is None else add(total, term)
            if total is not None:
                found[target] = total
        if cacheable:
            self.memo[key] = found
        return found

    def gradient_with(
        self,
        state: PointState,
        node_id: str,
        replace: Mapping[tuple[str, int], Num] | None = None,
        drop: frozenset[tuple[str, int]] = frozenset(),
    ) -> Num:
        """``backward(state, replace=..., drop=...)[node_id]`` without a backward pass, when the changed
        edges leave one node (one edge, or siblings: no path runs through two of them).

        Every path from node_id through the edge source→target carries d(source)/d(node) · local ·
        dL/d(target), and neither factor depends on that edge; so the change is that product's change."""
        keys = [*(replace or {}), *drop]
        sources = {self.graph.nodes[target].operands[slot].node_id for target, slot in keys}
        if len(sources) != 1 or (replace and drop):
            return self.backward(state, replace=replace, drop=drop)[node_id]
        source = sources.pop()
        reach = self.tangents(state, node_id).get(source or "", 0)
        total = state.grads[node_id]
        for target, slot in keys:
            old = state.locals[(target, slot)]
            new = replace[(target, slot)] if replace else Fraction(0)
            total = add(total, mul(mul(reach, sub(new, old)), state.grads[target]))
        return total

    def dominators(self, node_id: str) -> set[str]:
        """The nodes every path from ``node_id`` to the output passes through (the output among them).

        Counted, not searched: d is on every path when paths(node→d)·paths(d→output) = paths(node→output).
        Counts are taken modulo a large prime (they grow as 2ⁿ through a chain of diamonds), so this is
        linear in the graph's size."""
        key = ("dominators", node_id)
        if key not in self.memo:
            start = self.position[node_id]
            later = self.graph.order[start + 1:]
            into: dict[str, int] = {node_id: 1}
            for target in later:
                count = sum(into.get(edge.source, 0) for edge in self.edges_into[target]) % _PATH_PRIME
                if count:
                    into[target] = count
            out: dict[str, int] = {self.output: 1}
            for source in reversed(self.graph.order[start:self.position[self.output]]):
                out[source] = sum(out.get(edge.target, 0) for edge in self.edges_out[source]) % _PATH_PRIME
            total = out.get(node_id, 0)
            self.memo[key] = {target for target in into if target != node_id
                              and into[target] * out.get(target, 0) % _PATH_PRIME == total}
        return self.memo[key]

    def _cross_check(self) -> None:
        for node_id in self.graph.order:
            node = self.graph.nodes[node_id]
            for what, ours, engine in (("value", self.state.values[node_id], node.value),
                                       ("gradient", self.state.grads[node_id], node.grad)):
                if not _agree(to_float(ours), engine):
                    raise GraphConsistencyError(
                        f"the checker and the engine disagree on the {what} of {node_id} in "
                        f"{self.graph.program_text!r}: {to_float(ours)!r} vs {engine!r}"
                    )

    # ------------------------------------------------------------ structure

    def descendants(self, node_id: str) -> list[str]:
        """Nodes that depend on ``node_id`` (not itself), nearest first in evaluation order."""
        if node_id not in self._descendants:
            found: set[str] = set()
            stack = [node_id]
            while stack:
                for edge in self.edges_out[stack.pop()]:
                    if edge.target not in found:
                        found.add(edge.target)
                        stack.append(edge.target)
            self._descendants[node_id] = sorted(found, key=self.position.__getitem__)
        return self._descendants[node_id]

    def ancestors(self, node_id: str) -> set[str]:
        """Nodes ``node_id`` is computed from (not itself)."""
        if node_id not in self._ancestors:
            found: set[str] = set()
            stack = [node_id]
            while stack:
                for edge in self.edges_into[stack.pop()]:
                    if edge.source not in found:
                        found.add(edge.source)
                        stack.append(edge.source)
            self._ancestors[node_id] = found
        return self._ancestors[node_id]

    # ------------------------------------------------------------ the learner's own words

    def visible(self, node_id: str) -> bool:
        """Whether the program's text names this node (an input or an assigned name, not a generated z1)."""
        node = self.graph.nodes[node_id]
        return node.is_input or node.named_by_author

    def written(self, node_id: str) -> str | None:
        """The node's expression as the program writes it (x^3*3, not z7): generated names stand for what
        they compute, names the program assigns stay names. None when that text would be long."""
        trees: dict[str, tuple[Expression, int] | None] = self.memo.setdefault("written-trees", {})
        stack = [node_id]
        while stack:  # post-order without recursion: a chain of generated nodes can be thousands long
            current = stack[-1]
            if current in trees:
                stack.pop()
                continue
            node = self.graph.nodes[current]
            hidden = [source for source in dict.fromkeys(node.inputs) if not self.visible(source)]
            waiting = [source for source in hidden if source not in trees]
            if waiting:
                stack.extend(waiting)
                continue
            stack.pop()
            if node.is_input or any(trees[source] is None for source in hidden):
                trees[current] = (Name(current, 0), 1) if node.is_input else None
                continue
            try:
                base = parse_expression(node.formula)
            except ParseError:
                trees[current] = None
                continue
            found = _substituted(base, {source: trees[source] for source in hidden})  # type: ignore[misc]
            trees[current] = found if found[1] <= _WRITTEN_SIZE else None
        written = trees[node_id]
        return None if written is None else tree_text(written[0])

    def shown(self, node_id: str) -> str | None:
        """How a formula message names a node: its own name when the program has it, else its written text."""
        if self.visible(node_id):
            return node_id
        return self.written(node_id)

    def operand_text(self, node_id: str, slot: int) -> str:
        return self.graph.nodes[node_id].operands[slot].text()

    def operand_value(self, state: PointState, node_id: str, slot: int) -> Num:
        return state.arguments[node_id][slot]

    # ------------------------------------------------------------ asks

    def parse_ask(self, text: str) -> Ask:
        if not isinstance(text, str):
            raise RequestError("the ask must be text such as 'grad:a'")
        kind, separator, rest = text.strip().partition(":")
        kind, rest = kind.strip(), rest.strip()
        nodes = self.graph.nodes
        if not separator or kind not in {known.value for known in PROGRAM_ASK_KINDS}:
            hint = " (layer quantities such as layer:dL/dW1 are asked of a network, not a program)" \
                if kind == "layer" else ""
            raise RequestError(f"unknown ask {text!r}: use value:NODE, grad:NODE, local:NODE/INPUT, derivative:VAR "
                               f"or derivative2:VAR{hint}")
        if kind == "local":
            node, slash, operand = rest.partition("/")
            node, operand = node.strip(), operand.strip()
            if not slash:
                raise RequestError(f"the ask {text!r} needs the form local:NODE/INPUT, e.g. local:z2/z1")
            self._check_node(node, text)
            if nodes[node].is_input:
                raise RequestError(f"{node} is an input; it has no local derivatives (in {text!r})")
            feeding = nodes[node].inputs
            if operand not in feeding:
                raise RequestError(f"{operand!r} doesn't feed {node} (its inputs are {', '.join(dict.fromkeys(feeding))}) in {text!r}")
            return Ask(AskKind.LOCAL, node, operand)
        self._check_node(rest, text)
        if kind in ("derivative", "derivative2"):
            if not nodes[rest].is_input:
                raise RequestError(f"{kind}: asks are taken with respect to an input "
                                   f"({', '.join(self.graph.input_ids)}), not {rest!r}")
            self.ensure_formulas(kind, rest)
            self._check_derivative_is_writable(rest)
        if kind == "derivative2":
            prepare_second_derivative(self, rest)
        ask = Ask(AskKind(kind), rest)
        expected = self.right_value(ask, self.state)
        if not is_finite(expected):
            raise RequestError(f"{text} has no finite value at these inputs ({to_float(expected)!r})")
        return ask

    def _check_node(self, node: str, text: str) -> None:
        if node not in self.graph.nodes:
            raise RequestError(f"no node {node!r} in this graph (asked {text!r}); the nodes are {', '.join(self.graph.order)}")

    def ensure_formulas(self, kind: str, variable: str) -> None:
        """Build the graph's formulas if it was built without them (a large graph); RequestError when too large."""
        with self._lock:
            try:
                ensure_formulas(self.graph)
            except FormulaTooLargeError:
                raise RequestError(
                    f"{kind}:{variable} asks for d{self.output}/d{variable} as a formula, but this program is too "
                    f"large for that formula to be written by hand; ask grad:{variable} for its value at the "
                    f"point instead") from None

    def _check_derivative_is_writable(self, variable: str) -> None:
        import sympy

        if self.graph.sympy_grads[variable].has(sympy.Heaviside):
            raise RequestError(f"the derivative with respect to {variable} passes through relu, whose slope is a step "
                               f"function the answer language can't write; ask grad:{variable} instead")

    def right_value(self, ask: Ask, state: PointState) -> Num:
        if ask.kind == "value":
            return state.values[ask.node]
        if ask.kind == "local":
            return self.local_sum(state, ask.node, ask.operand or "")
        if ask.kind == "derivative2":
            value = second_derivative_at(self, ask.node, state)
            return math.nan if value is None else value
        return state.grads[ask.node]

    def local_sum(self, state: PointState, target: str, source: str,
                  replace: Mapping[tuple[str, int], Num] | None = None) -> Num:
        """∂target/∂source: one term per edge, so x*x gives x + x."""
        total: Num = Fraction(0)
        for edge in self.edges_into[target]:
            if edge.source == source:
                key = (target, edge.slot)
                total = add(total, replace[key] if replace and key in replace else state.locals[key])
        return total

    def allowed_names(self, ask: Ask) -> set[str]:
        """Names an answer may use. A forward value may only be written in terms of what it is computed from."""
        if ask.kind == "value":
            return self.ancestors(ask.node)
        return set(self.graph.order)

    def label(self, ask: Ask) -> str:
        if ask.kind == "value":
            return ask.node
        if ask.kind == "local":
            return f"∂{ask.node}/∂{ask.operand}"
        if ask.kind == "derivative2":
            return f"d²{self.output}/d{ask.node}²"
        return f"d{self.output}/d{ask.node}"

    # ------------------------------------------------------------ random points (derivatives, coincidences)

    def random_states(self) -> list[PointState]:
        """A few well-behaved points near and away from the given one, the same on every run."""
        with self._lock:
            if self._random_states is None:
                self._random_states = self._sample_states()
            return self._random_states

    def _sample_states(self) -> list[PointState]:
        names = self.graph.input_ids
        given = self.state.inputs
        seed = hashlib.sha256(repr((self.graph.program_text, sorted(given.items()))).encode()).digest()
        generator = random.Random(seed)
        states: list[PointState] = []
        seen: set[tuple[Fraction, ...]] = {tuple(given[name] for name in names)}  # type: ignore[misc]
        wanted = RANDOM_POINT_COUNT if len(self.graph.order) <= MAX_FORMULA_GRAPH_NODES else LARGE_GRAPH_POINT_COUNT
        for attempt in range(_RANDOM_POINT_ATTEMPTS):
            if len(states) >= wanted:
                break
            point: dict[str, Num] = {}
            for name in names:
                centre = to_float(given[name])
                if attempt % 2 == 0:  # near the given point: stays inside domains like log's
                    spread = 0.75 * max(1.0, abs(centre))
                    x = centre + generator.uniform(-spread, spread)
                else:  # anywhere in a small box, both signs
                    x = generator.uniform(-3.0, 3.0)
                # Sixteenths keep the arithmetic exact; keeping away from 0 avoids the usual singular point.
                sixteenths = round(x * 16)
                if abs(sixteenths) < 2:
                    sixteenths = (2 + generator.randrange(6)) * (1 if x >= 0 else -1)
                point[name] = Fraction(sixteenths, 16)
            key = tuple(point[name] for name in names)
            if key in seen:
                continue
            seen.add(key)  # type: ignore[arg-type]
            try:
                state = self.evaluate(point)
            except EvaluationError:
                continue
            if self._well_behaved(state):
                states.append(state)
        return states

    def _well_behaved(self, state: PointState) -> bool:
        for collection in (state.values, state.grads, state.locals):
            for number in collection.values():
                if not _useful_size(number):
                    return False
        for node_id in self.graph.computed_ids:
            if self.graph.nodes[node_id].op == "relu" and -1e-3 < state.arguments[node_id][0] < 1e-3:
                return False  # at relu's kink the slope is a convention, not a derivative
        return True

    # ------------------------------------------------------------ formulas

    def derivative_text(self, variable: str) -> str:
        """dL/dvariable as a formula in the answer language (sympy, once per problem and variable)."""
        with self._lock:
            if variable not in self._derivative_texts:
                import sympy

                from tutor.check.printing import answer_text

                self._derivative_texts[variable] = answer_text(sympy.factor_terms(self.graph.sympy_grads[variable]))
            return self._derivative_texts[variable]


def _useful_size(number: Num) -> bool:
    """Finite and within ±_LARGEST_USEFUL_MAGNITUDE (a Fraction compared in integers: comparing it with a
    float converts the float to a Fraction first, thousands of times per point on a large graph)."""
    if isinstance(number, Fraction):
        return abs(number.numerator) <= _LARGEST_USEFUL_MAGNITUDE * number.denominator
    return math.isfinite(number) and -_LARGEST_USEFUL_MAGNITUDE <= number <= _LARGEST_USEFUL_MAGNITUDE


_PATH_PRIME = 2**61 - 1
_WRITTEN_SIZE = 24  # tree nodes: past this a node's written text is too long to quote in a message


def _substituted(tree: Expression, trees: Mapping[str, tuple[Expression, int]]) -> tuple[Expression, int]:
    """``tree`` (one node's formula, a few nodes deep) with names replaced by (tree, size) pairs, and its size."""
    if isinstance(tree, Name):
        return trees.get(tree.name, (tree, 1))
    if isinstance(tree, Binary):
        left, left_size = _substituted(tree.left, trees)
        right, right_size = _substituted(tree.right, trees)
        return Binary(tree.op, left, right, tree.column), 1 + left_size + right_size
    if isinstance(tree, Unary):
        operand, size = _substituted(tree.operand, trees)
        return Unary(tree.op, operand, tree.column), 1 + size
    if isinstance(tree, Call):
        argument, size = _substituted(tree.argument, trees)
        return Call(tree.function, argument, tree.column), 1 + size
    return tree, 1


def _agree(ours: float, engine: float) -> bool:
    if math.isnan(ours) or math.isnan(engine):
        return math.isnan(ours) and math.isnan(engine)
    if math.isinf(ours) or math.isinf(engine):
        return ours == engine
    return math.isclose(ours, engine, rel_tol=1e-9, abs_tol=1e-12)


def _cache_key(program: str, at: Mapping[str, Any]) -> tuple[str, tuple[tuple[str, Any], ...]]:
    if not isinstance(program, str):
        raise RequestError("the program must be text")
    if not isinstance(at, Mapping):
        raise RequestError("'at' must map input names to numbers")
    items = []
    for name, value in at.items():
        if not isinstance(name, str):
            raise RequestError(f"input names in 'at' must be text, not {name!r}")
        if isinstance(value, bool) or not isinstance(value, (int, float, Fraction)):
            raise RequestError(f"the value of {name} must be a number, not {value!r}")
        items.append((name, value))
    return program, tuple(sorted(items))


def prepare_problem(program: str, at: Mapping[str, Any]) -> Problem:
    """The graph of ``program`` at ``at``, ready to grade (cached; RequestError for a bad program)."""
    return _prepare_cached(*_cache_key(program, at))


@functools.lru_cache(maxsize=256)
def _prepare_cached(program: str, at_items: tuple[tuple[str, Any], ...]) -> Problem:
    try:
        graph = build_graph(program, dict(at_items))
    except ParseError as error:
        raise RequestError(f"the program doesn't parse: {error}") from None
    except GraphBuildError as error:
        raise RequestError(f"the program can't be evaluated at these inputs: {error}") from None
    return Problem(graph)
