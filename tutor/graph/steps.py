"""Replay a built graph's passes one step at a time, with the arithmetic written out."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tutor.formatting import format_number

if TYPE_CHECKING:  # the graph model imports this module to replay its passes; types only in this direction
    from tutor.graph.model import ComputationalGraph, Edge


@dataclass(frozen=True)
class ForwardStep:
    """One node computed during the forward pass."""

    index: int
    node_id: str
    formula: str  # "z1 + c"
    substituted: str  # "6 + 1"
    value: float
    narration: str  # "z2 = z1 + c = 6 + 1 = 7"


@dataclass(frozen=True)
class BackwardStep:
    """One edge visited during the backward pass (reverse topological order).

    The gradient at ``edge.source`` grows by ``upstream * local``. When a node feeds several
    consumers, ``grad_before`` is non-zero on the second and later visits: that is the multi-path sum.
    """

    index: int
    edge: Edge
    upstream: float  # ∂output/∂edge.target, complete by the time this edge is visited
    local: float  # ∂edge.target/∂edge.source through this slot
    contribution: float  # upstream * local
    grad_before: float
    grad_after: float
    narration: str  # "dL/dz1 += dL/dz2 · ∂z2/∂z1 = 14 · 1 = 14"

    index_in_sum: int = 0  # 0 for the first contribution to edge.source, 1 for the second, ...

    @property
    def is_accumulation(self) -> bool:
        """True for the second and later contributions arriving at the same node."""
        return self.index_in_sum > 0


def _substitute(graph: ComputationalGraph, node_id: str) -> str:
    node = graph.nodes[node_id]
    text = node.formula
    # Replace whole operand names by their values; longest names first so "z10" is not hit by "z1".
    names = sorted({operand.node_id for operand in node.operands if operand.node_id}, key=len, reverse=True)
    if not names:
        return text
    pattern = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(re.escape(name) for name in names) + r")(?![A-Za-z0-9_])")

    def value_text(match: re.Match[str]) -> str:
        value = graph.nodes[match.group(1)].value
        shown = format_number(value)
        # A name that is a whole call argument is bracketed already: exp(-0.124), not exp((-0.124)).
        enclosed = text[match.start() - 1:match.start()] == "(" and text[match.end():match.end() + 1] == ")"
        return f"({shown})" if value < 0 and not enclosed else shown

    return pattern.sub(value_text, text)


def _factor(value: float) -> str:
    """A number written as an operand: -8 · (-2) reads as a product, -8 · -2 does not."""
    shown = format_number(value)
    return f"({shown})" if shown.startswith("-") else shown


def _shown_exactly(value: float) -> bool:
    try:
        shown = float(format_number(value))
    except ValueError:  # inf, nan
        return False
    return abs(shown - value) <= 1e-12 * max(1.0, abs(value))


def _equals(*values: float) -> str:
    """"=" when every number of a forward line is written without rounding, else "≈": exp(-0.124) ≈ 0.8834."""
    return "=" if all(_shown_exactly(value) for value in values) else "≈"


def _worked_sign(shown_result: float, result: float) -> str:
    """"=" when the numbers as written give the result as written (1 · 0.8834 = 0.8834), else "≈"."""
    try:
        return "=" if format_number(shown_result) == format_number(result) else "≈"
    except (OverflowError, ValueError):
        return "≈"


def _as_shown(value: float) -> float:
    try:
        return float(format_number(value))
    except ValueError:
        return value


def forward_steps(graph: ComputationalGraph) -> list[ForwardStep]:
    steps: list[ForwardStep] = []
    for node_id in graph.computed_ids:
        node = graph.nodes[node_id]
        substituted = _substitute(graph, node_id)
        operand_values = [graph.nodes[operand.node_id].value for operand in node.operands if operand.node_id]
        narration = (f"{node_id} = {node.formula} = {substituted} "
                     f"{_equals(node.value, *operand_values)} {format_number(node.value)}")
        steps.append(
            ForwardStep(
                index=len(steps),
                node_id=node_id,
                formula=node.formula,
                substituted=substituted,
                value=node.value,
                narration=narration,
            )
        )
    return steps


def backward_steps(graph: ComputationalGraph) -> list[BackwardStep]:
    """One step per edge, visiting consumers before producers (reverse evaluation order).

    Within one consumer the edges go in argument order, so ``x * x`` shows slot 0 then slot 1.
    """
    output = graph.output
    running: dict[str, float] = {node_id: 0.0 for node_id in graph.order}
    running[output] = 1.0
    contributions_seen: dict[str, int] = {node_id: 0 for node_id in graph.order}
    steps: list[BackwardStep] = []
    for target in reversed(graph.order):
        for edge in sorted(graph.edges_into(target), key=lambda e: e.slot):
            upstream = running[target]
            contribution = upstream * edge.local_grad
            before = running[edge.source]
            after = before + contribution
            running[edge.source] = after
            index_in_sum = contributions_seen[edge.source]
            contributions_seen[edge.source] += 1
            operator = "+=" if index_in_sum > 0 else "="
            narration = (
                f"d{output}/d{edge.source} {operator} d{output}/d{target} · ∂{target}/∂{edge.source}"
                f" = {format_number(upstream)} · {_factor(edge.local_grad)}"
                f" {_worked_sign(_as_shown(upstream) * _as_shown(edge.local_grad), contribution)}"
                f" {format_number(contribution)}"
            )
            if index_in_sum > 0:
                narration += (f"  (total {format_number(before)} + {_factor(contribution)}"
                              f" {_worked_sign(_as_shown(before) + _as_shown(contribution), after)}"
                              f" {format_number(after)})")
            steps.append(
                BackwardStep(
                    index=len(steps),
                    edge=edge,
                    upstream=upstream,
                    local=edge.local_grad,
                    contribution=contribution,
                    grad_before=before,
                    grad_after=after,
                    narration=narration,
                    index_in_sum=index_in_sum,
                )
            )
    return steps
