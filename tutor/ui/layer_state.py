"""The state of one layer exercise, independent of any widget (so it is easy to test).

The learner fills in matrices: the forward quantities of a small network (``z1``, ``a1``, ...,
``loss``), then its gradients in the order backpropagation reaches them. This module knows
the entries, which are answered, what the network drawing shows now (numbers the learner has
earned or been given, ``?`` on the open ones), and the replays of both passes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from tutor.render.layers import (
    OPEN,
    SHOWN,
    WRONG,
    LayerStep,
    NetworkDrawing,
    inline_matrix,
    layer_steps,
    network_stages,
    quantity_shape_label,
    step_visibility,
)
from tutor.ui.grading import Judgement, judgement_from_result
from tutor.ui.trace_state import CORRECT, INCORRECT, PENDING, REVEALED, TableProgress


@dataclass(frozen=True)
class LayerEntry:
    ask: str  # "layer:dL/dW1", the checker's name for the entry
    name: str  # "dL/dW1"
    kind: str  # "forward" or "backward"
    shape: tuple[int, int]
    batch: int = 1  # B: the examples of a batch, one column each of every value between layers

    @property
    def label(self) -> str:
        return f"{self.name} {quantity_shape_label(self.name, self.shape, self.batch)}"

    @property
    def placeholder(self) -> str:
        rows, columns = self.shape
        if (rows, columns) == (1, 1):
            return "a number"
        if columns == 1:
            return "[" + "; ".join("?" for _ in range(rows)) + "]"
        if rows == 1:
            return "[" + ", ".join("?" for _ in range(columns)) + "]"
        return "[" + ", ".join("[" + ", ".join("?" for _ in range(columns)) + "]" for _ in range(rows)) + "]"


@dataclass
class LayerProgress(TableProgress):
    rendered: Any
    trace: Any = None
    stages: list[Any] = field(default_factory=list)
    entries: list[LayerEntry] = field(default_factory=list)
    status: dict[str, str] = field(default_factory=dict)
    answers: dict[str, str] = field(default_factory=dict)
    wrong_tries: int = 0
    gave_up: bool = False
    last_ask: str | None = None

    def __post_init__(self) -> None:
        from tutor.graph.layers import network_from_spec
        from tutor.packs.grading import layer_entries, layer_network_data, layer_trace_of

        network = layer_network_data(self.rendered)
        self.network = network
        self.trace = layer_trace_of(self.rendered)
        self.stages = network_stages(network_from_spec(network["layers"]), self.trace, network.get("loss", "mse"),
                                     network["target"])
        forward = set(self.trace.forward_names)
        for ask in layer_entries(self.rendered, self.trace):
            name = ask.removeprefix("layer:")
            quantity = self.trace.quantities[name]
            self.entries.append(LayerEntry(ask, name, "forward" if name in forward else "backward", quantity.shape,
                                           self.batch))
        for entry in self.entries:
            self.status.setdefault(entry.ask, PENDING)

    # ------------------------------------------------------------------------------ queries

    @property
    def order(self) -> list[str]:
        """Every quantity of the network in the order they are computed: forward, then backward."""
        return [*self.trace.forward_names, *self.trace.backward_names]

    @property
    def inputs(self) -> Any:
        """The network's input: the list x of one example, or the batch X (a list of rows)."""
        return self.network["X"] if "X" in self.network else self.network["x"]

    @property
    def batch(self) -> int:
        """B, the number of examples the problem runs at once (1 without a batch)."""
        return int(getattr(self.trace, "batch", 1))

    @property
    def forward_done(self) -> bool:
        return all(not self.is_open(entry.ask) for entry in self.entries if entry.kind == "forward")

    @property
    def backward_done(self) -> bool:
        return all(not self.is_open(entry.ask) for entry in self.entries if entry.kind == "backward")

    def expected_text(self, entry: LayerEntry) -> str:
        from tutor.check.matrix import expected_text
        from tutor.packs.grading import checker_tolerance

        return expected_text(self.trace.quantities[entry.name], checker_tolerance(self.rendered.problem.tolerance))

    # ------------------------------------------------------------------------------ drawing

    def visibility(self) -> dict[str, str]:
        """What the drawing shows for each quantity.

        Asked entries: their number once answered (or revealed), else ``?``. Quantities the learner is
        not asked for are given once everything before them is done, so a later number never gives an
        earlier answer away (``loss`` would reveal ``z2``).
        """
        asked = {entry.name: entry for entry in self.entries}
        first_open = next((self.order.index(entry.name) for entry in self.entries if self.is_open(entry.ask)),
                          len(self.order))
        shown: dict[str, str] = {}
        for position, name in enumerate(self.order):
            if name in asked:
                status = self.status[asked[name].ask]
                shown[name] = SHOWN if status in (CORRECT, REVEALED) else WRONG if status == INCORRECT else OPEN
            elif position < first_open:
                shown[name] = SHOWN
        return shown

    def drawing(self, focus: str | None = None, caption: str = "") -> NetworkDrawing:
        return NetworkDrawing(self.stages, self.trace, self.inputs, self.visibility(), focus, caption)

    def caption_for(self, focus: str | None) -> str:
        """The rule of the entry just answered, or else what comes next."""
        if self.finished:
            return "Solution: every quantity" if self.gave_up else "Done: every quantity is right"
        if self.last_ask is not None:
            quantity = self.trace.quantities[self.entry(self.last_ask).name]
            return f"✓ {quantity.rule} = {inline_matrix(quantity.value)}"
        if focus is not None:
            quantity = self.trace.quantities[focus]
            return f"Next: {quantity.rule}, shape {quantity_shape_label(focus, quantity.shape, self.batch)}"
        return ""

    def replay_steps(self, stage: str) -> list[LayerStep]:
        """One pass, up to the last quantity this problem asks in it: a later problem's answers stay hidden."""
        steps = layer_steps(self.trace, stage)
        asked = {entry.name for entry in self.entries}
        last = max((index for index, step in enumerate(steps) if step.name in asked), default=None)
        if last is None:
            return steps if stage == "forward" else []  # unasked forward values are given anyway
        return steps[: last + 1]

    def replay_drawing(self, step: LayerStep) -> NetworkDrawing:
        return NetworkDrawing(self.stages, self.trace, self.inputs, step_visibility(step), step.name,
                              step.caption)

    def replay_allowed(self, stage: str) -> bool:
        return self.forward_done if stage == "forward" else (self.forward_done and self.backward_done)

    def solution_lines(self) -> list[str]:
        return [step.caption for stage in ("forward", "backward") for step in layer_steps(self.trace, stage)
                if any(entry.name == step.name for entry in self.entries)]


def judge_layer_answer(rendered: Any, answer_text: str, ask: str) -> Judgement:
    """Grade a matrix typed for one entry of a layer problem (``ask`` = "layer:dL/dW1")."""
    from tutor.packs.grading import grade_layer_answer

    answer_text = answer_text.strip()
    if not answer_text:
        return Judgement("invalid", answer_text, "Type a matrix first, like [[1, 2], [3, 4]] or a column [1; 2].",
                         column=1)
    judgement = judgement_from_result(grade_layer_answer(rendered, answer_text, ask), answer_text)
    if judgement.diagnosis and not judgement.diagnosis_text:
        feedback = next((mistake.feedback for mistake in rendered.problem.mistakes
                         if mistake.ask == ask and mistake.id == judgement.diagnosis), None)
        if feedback and feedback.strip() not in judgement.message:
            judgement = replace(judgement, diagnosis_text=feedback)
    return judgement
