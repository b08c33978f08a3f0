"""The state of one hand-trace exercise, independent of any widget (so it is easy to test).

The learner fills a table: forward values in evaluation order, then gradients in reverse order.
This module knows which entries exist, which are answered, and what the graph should show now:
the revealed numbers, ``?`` on the entries still open, and the animation step that explains the
entry just answered (``z2 = z1 + c = 6 + 1 = 7``, or the edge that carried a gradient). Entries may
be answered in any order, so that step's words are shown only when every number they quote is
already answered or given: z2's step must not tell a learner who skipped z1 that z1 = 6.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tutor.graph.model import ComputationalGraph
from tutor.render import AnimationStep, FrameState, animation_steps, exercise_state, finished_state

PENDING = "pending"
CORRECT = "correct"
INCORRECT = "incorrect"
REVEALED = "revealed"  # shown by giving up


@dataclass(frozen=True)
class TraceEntry:
    ask: str  # "value:z2" or "grad:a", the checker's name for the entry
    kind: str  # "value" or "grad"
    node_id: str
    label: str  # how the table names it: "z2" or "∂L/∂a"


def trace_entries(graph: ComputationalGraph, forward: list[str] | None = None,
                  backward: list[str] | None = None) -> list[TraceEntry]:
    """Forward values in evaluation order, then gradients in reverse evaluation order."""
    forward_ids = set(forward) if forward is not None else set(graph.computed_ids)
    backward_ids = set(backward) if backward is not None else set(graph.order)
    entries = [TraceEntry(f"value:{node_id}", "value", node_id, node_id)
               for node_id in graph.order if node_id in forward_ids]
    entries += [TraceEntry(f"grad:{node_id}", "grad", node_id, f"∂{graph.output}/∂{node_id}")
                for node_id in reversed(graph.order) if node_id in backward_ids]
    return entries


class TableProgress:
    """Which entries of an answer table are open, answered or revealed; the trace and layer states share it.

    A dataclass using it has the fields ``entries`` (each with an ``ask``), ``status``, ``answers``,
    ``wrong_tries``, ``gave_up`` and ``last_ask``.
    """

    def entry(self, ask: str):
        return next(entry for entry in self.entries if entry.ask == ask)

    def is_open(self, ask: str) -> bool:
        return self.status[ask] in (PENDING, INCORRECT)

    @property
    def open_entries(self) -> list:
        return [entry for entry in self.entries if self.is_open(entry.ask)]

    @property
    def next_open(self):
        open_entries = self.open_entries
        return open_entries[0] if open_entries else None

    @property
    def finished(self) -> bool:
        return not self.open_entries

    def answer_summary(self) -> str:
        """The whole table as one line, recorded with the final attempt."""
        return "; ".join(f"{ask}={text}" for ask, text in self.answers.items())

    def mark(self, ask: str, correct: bool, answer_text: str) -> None:
        if correct:
            self.status[ask] = CORRECT
            self.answers[ask] = answer_text
            self.last_ask = ask
        else:
            self.status[ask] = INCORRECT
            self.wrong_tries += 1

    def give_up(self) -> None:
        self.gave_up = True
        for entry in self.entries:
            if self.is_open(entry.ask):
                self.status[entry.ask] = REVEALED
        self.last_ask = None


@dataclass
class TraceProgress(TableProgress):
    graph: ComputationalGraph
    entries: list[TraceEntry]
    status: dict[str, str] = field(default_factory=dict)  # ask -> PENDING/CORRECT/INCORRECT/REVEALED
    answers: dict[str, str] = field(default_factory=dict)  # ask -> the learner's accepted answer
    wrong_tries: int = 0
    gave_up: bool = False
    last_ask: str | None = None  # the entry answered most recently (the graph explains it)
    steps: list[AnimationStep] = field(default_factory=list)

    def __post_init__(self) -> None:
        for entry in self.entries:
            self.status.setdefault(entry.ask, PENDING)
        if not self.steps:
            self.steps = animation_steps(self.graph)

    # ------------------------------------------------------------------------------ queries

    @property
    def solved(self) -> bool:
        return self.finished and not self.gave_up

    @property
    def forward_done(self) -> bool:
        return all(not self.is_open(entry.ask) for entry in self.entries if entry.kind == "value")

    @property
    def backward_done(self) -> bool:
        return all(not self.is_open(entry.ask) for entry in self.entries if entry.kind == "grad")

    def expected_text(self, entry: TraceEntry) -> float:
        node = self.graph.nodes[entry.node_id]
        return node.value if entry.kind == "value" else node.grad

    # ------------------------------------------------------------------------------ drawing

    def step_for(self, ask: str) -> AnimationStep | None:
        """The animation step that explains an entry: its forward step, or its last gradient contribution."""
        entry = self.entry(ask)
        if entry.kind == "value":
            return next((step for step in self.steps if step.stage == "forward" and step.node_id == entry.node_id), None)
        found = None
        for step in self.steps:
            if step.stage == "seed" and step.node_id == entry.node_id:
                found = step
            if step.stage == "backward" and step.edge is not None and step.edge.source == entry.node_id:
                found = step
        return found

    def quoted_asks(self, step: AnimationStep) -> set[str]:
        """The entries whose numbers a step's narration writes out.

        A forward step quotes its operands' values. A backward step quotes, for every edge leaving its
        node, the gradient arriving from above and the values its local derivative is made of (the
        consumer and its operands); a node's last step also quotes the sum of all its paths.
        """
        nodes = self.graph.nodes
        if step.stage == "forward" and step.node_id is not None:
            return {f"value:{name}" for name in nodes[step.node_id].inputs}
        if step.stage != "backward" or step.edge is None:
            return set()
        quoted: set[str] = set()
        for edge in self.graph.edges_out_of(step.edge.source):
            quoted.add(f"grad:{edge.target}")
            quoted |= {f"value:{name}" for name in (edge.target, *nodes[edge.target].inputs)}
        return quoted

    def narration_allowed(self, step: AnimationStep) -> bool:
        """True when the step's words reveal no entry that is still open."""
        return not any(ask in self.status and self.is_open(ask) for ask in self.quoted_asks(step))

    def frame_state(self, focused_ask: str | None = None) -> FrameState:
        """What the graph shows now: inputs, every number answered, ``?`` where entries are open."""
        if self.finished:
            caption = "Solution: every value and gradient" if self.gave_up else "Done: every entry is right"
            return finished_state(self.graph, caption=caption)
        revealed_values = set(self.graph.input_ids) | {
            entry.node_id for entry in self.entries if entry.kind == "value" and not self.is_open(entry.ask)}
        # Values the learner is not asked for are given.
        asked_value_nodes = {entry.node_id for entry in self.entries if entry.kind == "value"}
        revealed_values |= {node_id for node_id in self.graph.order if node_id not in asked_value_nodes}
        revealed_grads = {entry.node_id for entry in self.entries if entry.kind == "grad" and not self.is_open(entry.ask)}
        asked_values = {entry.node_id for entry in self.entries if entry.kind == "value" and self.is_open(entry.ask)}
        asked_grads = {entry.node_id for entry in self.entries if entry.kind == "grad" and self.is_open(entry.ask)}
        flagged = {entry.node_id for entry in self.entries if self.status[entry.ask] == INCORRECT}
        active_node = None
        active_edge = None
        caption = ""
        if self.last_ask is not None:
            step = self.step_for(self.last_ask)
            if step is not None:
                active_node = step.node_id
                active_edge = step.edge
                if self.narration_allowed(step):
                    caption = step.narration
        if focused_ask is not None and self.is_open(focused_ask) and not caption:
            # Only when there is no step to explain: the caption is one line and must stay readable.
            entry = self.entry(focused_ask)
            what = "value" if entry.kind == "value" else "gradient"
            caption = f"Next: the {what} {entry.label}"
        return exercise_state(
            self.graph, revealed_values=revealed_values, revealed_grads=revealed_grads,
            asked_values=asked_values, asked_grads=asked_grads, active_node=active_node, active_edge=active_edge,
            flagged_nodes=flagged, caption=caption,
        )

    def replay_steps(self, stage: str) -> list[AnimationStep]:
        """The steps of one pass ("forward" or "backward"), available once the learner has done that pass."""
        if stage == "forward":
            return [step for step in self.steps if step.stage in ("start", "forward")]
        return [step for step in self.steps if step.stage in ("seed", "backward", "complete")]

    def replay_allowed(self, stage: str) -> bool:
        return self.forward_done if stage == "forward" else (self.forward_done and self.backward_done)

    def solution_lines(self) -> list[str]:
        """The worked solution: every step's narration, forward then backward."""
        return [step.narration for step in self.steps if step.stage in ("forward", "seed", "backward")]
