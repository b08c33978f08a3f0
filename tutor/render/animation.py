"""The forward and backward pass as a list of animation steps, each carrying the frame state to draw.

Steps, in order:

* ``start`` — only the inputs' values are known;
* ``forward`` — one per computed node in evaluation order ("z2 = z1 + c = 6 + 1 = 7");
* ``seed`` — the output's gradient with respect to itself is 1;
* ``backward`` — one per edge in reverse order ("dL/dz1 += ..."); a node fed to several consumers
  receives several contributions, and its box shows the running sum, so the accumulation is visible;
* ``complete`` — every value and gradient.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tutor.formatting import format_number
from tutor.graph.model import ComputationalGraph, Edge
from tutor.render.frames import FrameState
from tutor.render.layout import edge_key

STAGES = ("start", "forward", "seed", "backward", "complete")


@dataclass(frozen=True)
class AnimationStep:
    index: int  # position in the whole animation
    stage: str  # one of STAGES
    position: int  # 1-based position within its stage
    stage_length: int
    node_id: str | None  # the node computed (forward) or receiving gradient (seed, backward)
    edge: Edge | None  # the edge carrying gradient (backward only)
    narration: str  # the arithmetic, e.g. "z2 = z1 + c = 6 + 1 = 7"
    state: FrameState


def _caption(stage: str, position: int, length: int, narration: str) -> str:
    label = {"start": "Start", "forward": "Forward", "seed": "Backward", "backward": "Backward", "complete": "Done"}
    if stage in ("forward", "backward"):
        return f"{label[stage]} {position}/{length}: {narration}"
    return f"{label[stage]}: {narration}"


def animation_steps(graph: ComputationalGraph) -> list[AnimationStep]:
    """Every step of the forward then the backward pass, with the frame state after it."""
    forward = graph.forward_steps()
    backward = graph.backward_steps()
    output = graph.output
    steps: list[AnimationStep] = []

    def add(
        stage: str,
        position: int,
        length: int,
        node_id: str | None,
        edge: Edge | None,
        narration: str,
        state_fields: dict[str, Any],
    ) -> None:
        state = FrameState(caption=_caption(stage, position, length, narration), **state_fields)
        steps.append(AnimationStep(len(steps), stage, position, length, node_id, edge, narration, state))

    values = {node_id: graph.nodes[node_id].value for node_id in graph.input_ids}
    inputs_text = ", ".join(f"{node_id} = {format_number(graph.nodes[node_id].value)}" for node_id in graph.input_ids)
    add("start", 1, 1, None, None, f"the inputs are {inputs_text}" if inputs_text else "no inputs",
        dict(values=dict(values), done_nodes=frozenset(values)))

    for step in forward:
        values[step.node_id] = step.value
        incoming = frozenset(edge_key(edge) for edge in graph.edges_into(step.node_id))
        add("forward", step.index + 1, len(forward), step.node_id, None, step.narration,
            dict(values=dict(values), active_node=step.node_id, active_edges=incoming,
                 done_nodes=frozenset(values) - {step.node_id}))

    grads: dict[str, float] = {output: 1.0}
    # A node's gradient is complete once every edge leaving it has been visited.
    remaining = {node_id: len(graph.edges_out_of(node_id)) for node_id in graph.order}
    complete = {node_id for node_id, count in remaining.items() if count == 0 and node_id == output}
    add("seed", 1, 1, output, None, f"d{output}/d{output} = 1 (the output's gradient with respect to itself)",
        dict(values=dict(values), grads=dict(grads), active_node=output, done_nodes=frozenset(complete)))

    for back_step in backward:
        source = back_step.edge.source
        grads[source] = back_step.grad_after
        remaining[source] -= 1
        if remaining[source] == 0:
            complete.add(source)
        add("backward", back_step.index + 1, len(backward), source, back_step.edge, back_step.narration,
            dict(values=dict(values), grads=dict(grads), active_node=source,
                 active_edges=frozenset({edge_key(back_step.edge)}), done_nodes=frozenset(complete) - {source}))

    all_grads = {node_id: graph.nodes[node_id].grad for node_id in graph.order}
    add("complete", 1, 1, None, None, f"every value and every gradient d{output}/d(node) is known",
        dict(values=dict(values), grads=all_grads, done_nodes=frozenset(graph.order)))
    return steps
