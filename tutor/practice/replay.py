"""The worked replay a leech earns (issue 16 §3): the learner's own graph, animated up to the entry they got wrong.

When the same diagnosis comes back :data:`tutor.practice.mastery.LEECH_COUNT` times, feedback alone
has not taught the rule. Besides naming the slip and offering the lesson, practice then replays the
pass on the very graph the learner just got wrong, and stops on the entry: its worked arithmetic
("dL/da = dL/dz1 · ∂z1/∂a = 14 · 3 = 42") next to what they typed.

Decisions made here, without Textual (the screen only shows the result):

* **which entry** — the latest wrong entry *on this graph* with the leech's diagnosis
  (:func:`choose_entry`); a leech whose slips were all on earlier graphs gets no replay, since this
  graph shows nothing of it;
* **which steps** — the backward pass from the seed to the entry's last contribution (a forward
  value: the forward pass up to its node), so the animation ends on the entry; every frame marks the
  entry's node as the mistake, and the last one says that it is the learner's entry;
* **what is worked** — every contribution to the entry's gradient (one per path), their sum when
  there are several paths, or the value's own step.

The replay shows every number of the graph up to the entry, so the screen plays it only once the
learner has left the graph (finished it, gave up, skipped it or opened the lesson).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from tutor.formatting import format_number
from tutor.graph import ComputationalGraph, build_graph
from tutor.render import AnimationStep, animation_steps


@dataclass(frozen=True)
class WrongEntry:
    """One wrong answer to one entry of a practice graph, as graded."""

    ask: str  # "grad:a" or "value:z2"
    diagnosis: str | None
    answer: str  # what the learner typed


@dataclass(frozen=True)
class Replay:
    skill: str
    diagnosis: str
    ask: str
    node_id: str
    label: str  # how the entry is named: "∂L/∂a" or "z2"
    answer: str  # the learner's wrong answer
    expected: float  # the entry's right number
    steps: tuple[AnimationStep, ...]  # to play, in order; the last one is the entry's
    worked: tuple[str, ...]  # the entry's arithmetic, one line each
    graph: ComputationalGraph

    @property
    def stage(self) -> str:
        return "forward" if self.ask.startswith("value:") else "backward"

    @property
    def entry_step(self) -> AnimationStep:
        return self.steps[-1]


def choose_entry(wrong: Sequence[WrongEntry], diagnosis: str) -> WrongEntry | None:
    """The latest wrong entry with ``diagnosis`` (graph entries only), or None."""
    for entry in reversed(wrong):
        kind, _, node = entry.ask.partition(":")
        if entry.diagnosis == diagnosis and kind in ("value", "grad") and node:
            return entry
    return None


def entry_label(graph: ComputationalGraph, ask: str) -> str:
    kind, _, node = ask.partition(":")
    return node if kind == "value" else f"∂{graph.output}/∂{node}"


def _entry_steps(steps: Sequence[AnimationStep], kind: str, node_id: str) -> list[AnimationStep]:
    """The steps that compute the entry: its forward step, or the seed / every gradient contribution to it."""
    if kind == "value":
        return [step for step in steps if step.stage == "forward" and step.node_id == node_id]
    return [step for step in steps
            if (step.stage == "seed" and step.node_id == node_id)
            or (step.stage == "backward" and step.edge is not None and step.edge.source == node_id)]


def worked_lines(graph: ComputationalGraph, ask: str, steps: Sequence[AnimationStep] | None = None) -> list[str]:
    """The entry's arithmetic: each step that computes it and, for several paths, their sum."""
    kind, _, node_id = ask.partition(":")
    steps = animation_steps(graph) if steps is None else steps
    if kind == "value":
        return [step.narration for step in _entry_steps(steps, kind, node_id)]
    output = graph.output
    if node_id == output:
        return [f"d{output}/d{output} = 1 (the output's gradient with respect to itself)"]
    lines: list[str] = []
    paths = [step for step in graph.backward_steps() if step.edge.source == node_id]
    for step in paths:
        edge = step.edge
        shown = edge.local_grad_formula
        formula = f"{shown} = " if shown and shown != format_number(step.local) else ""
        lines.append(step.narration)
        lines.append(f"  upstream d{output}/d{edge.target} = {format_number(step.upstream)}, "
                     f"local ∂{edge.target}/∂{node_id} = {formula}{format_number(step.local)}")
    if len(paths) > 1:
        lines.append(f"d{output}/d{node_id} = {' + '.join(format_number(step.contribution) for step in paths)} = "
                     f"{format_number(graph.nodes[node_id].grad)}  (one term per path)")
    return lines


def replay_for(graph: ComputationalGraph, entry: WrongEntry, *, skill: str, diagnosis: str) -> Replay | None:
    """The replay of ``graph`` ending on ``entry``'s step, or None when the entry is not one of the graph's."""
    kind, _, node_id = entry.ask.partition(":")
    if kind not in ("value", "grad") or node_id not in graph.nodes:
        return None
    every = animation_steps(graph)
    own = _entry_steps(every, kind, node_id)
    if not own:
        return None  # an input's value: nothing computes it
    last = own[-1]
    first = 0 if kind == "value" else next(index for index, step in enumerate(every) if step.stage == "seed")
    label = entry_label(graph, entry.ask)
    played: list[AnimationStep] = []
    for step in every[first:last.index + 1]:
        state = replace(step.state, flagged_nodes=frozenset(step.state.flagged_nodes) | {node_id})
        if step is last:
            state = replace(state, caption=f"Your entry: {step.narration}")
        played.append(replace(step, state=state))
    node = graph.nodes[node_id]
    return Replay(skill=skill, diagnosis=diagnosis, ask=entry.ask, node_id=node_id, label=label,
                  answer=entry.answer, expected=node.value if kind == "value" else node.grad,
                  steps=tuple(played), worked=tuple(worked_lines(graph, entry.ask, every)), graph=graph)


def leech_replay(program: str, at: Mapping[str, float], wrong: Sequence[WrongEntry], *, diagnosis: str,
                 skill: str) -> Replay | None:
    """The replay a leech earns on the graph ``program`` at ``at``: of its latest entry with ``diagnosis``.

    None when no wrong entry on this graph has that diagnosis, or the graph cannot be built (a layer
    problem has no program).
    """
    chosen = choose_entry(wrong, diagnosis)
    if chosen is None or not program:
        return None
    try:
        graph = build_graph(program, dict(at))
    except (ValueError, ArithmeticError, RuntimeError):  # parse, build and consistency errors: no replay
        return None
    return replay_for(graph, chosen, skill=skill, diagnosis=diagnosis)
