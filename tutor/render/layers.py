"""A small network drawn as layers, top to bottom, with the shape of every value on the edges.

Textual-free: :class:`NetworkDrawing` is a Rich renderable the layer workspace shows (and a
test can print). The picture for ``x → Linear(2,3) → ReLU → Linear(3,1) → ½(z2 − t)²``::

      x (2, 1) = [1; 2]
    ╭─ Linear 1 · z1 = W1 · x + b1 ─╮
    │ W1 ⎡ 1 -1⎤  b1 ⎡0⎤            │
    │    ⎢ 2  0⎥     ⎢1⎥            │
    │    ⎣-1  1⎦     ⎣0⎦            │
    │ dL/dW1 ?                      │
    ╰───────────────────────────────╯
      ▼ z1 (3, 1) = [-1; 3; 1]
      ▲ dL/dz1 (3, 1) = ?
    ...

A batch (``X`` with one column per example) is drawn the same way, its input named ``X`` with a line
saying how many examples its columns are, and every shape shows the batch as its second dimension
(``X (3, 2)``, ``z1 (2, 2)``); the parameters and their gradients keep their own shapes.

Forward values travel down the ``▼`` lines, gradients up the ``▲`` lines; parameter gradients
sit in their layer's box. What is drawn for each quantity comes from a ``visibility`` mapping
(``SHOWN``, ``OPEN`` for a ``?`` the learner fills in, ``WRONG`` for an open one answered wrongly,
anything else hidden), and ``focus`` highlights one quantity and the layer it belongs to. For
replays, :func:`layer_steps` lists one step per quantity, forward or backward, each with the
rule and the numbers it produced.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from tutor.formatting import format_number

INPUT_NAMES = ("x", "X")  # one example, a batch
SHOWN = "shown"
OPEN = "open"
WRONG = "wrong"

FOCUS_STYLE = "bold black on yellow"
SHOWN_STYLE = "bold green"
GIVEN_STYLE = ""
OPEN_STYLE = "bold cyan"
WRONG_STYLE = "bold red"
EDGE_STYLE = "dim"
BORDER_STYLE = "blue"
FOCUS_BORDER_STYLE = "bold yellow"


# ---------------------------------------------------------------------------- matrices as text


def matrix_lines(matrix: Any) -> list[str]:
    """A matrix drawn with brackets, columns right-aligned: one line per row (a 1x1 is just the number)."""
    rows = [[number_text(value) for value in row] for row in _rows(matrix)]
    if len(rows) == 1 and len(rows[0]) == 1:
        return [rows[0][0]]
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    body = [" ".join(cell.rjust(width) for cell, width in zip(row, widths)) for row in rows]
    if len(body) == 1:
        return [f"[{body[0]}]"]
    lines = []
    for index, line in enumerate(body):
        left, right = ("⎡", "⎤") if index == 0 else ("⎣", "⎦") if index == len(body) - 1 else ("⎢", "⎥")
        lines.append(f"{left}{line}{right}")
    return lines


def _block_matrix(matrix: Any) -> str:
    """Inside a layer's box: bracketed rows for a matrix, the typed form for a single row or number."""
    rows = _rows(matrix)
    return inline_matrix(rows) if len(rows) == 1 else "\n".join(matrix_lines(rows))


def inline_matrix(matrix: Any) -> str:
    """One line: ``8``, ``[0, 12, 4]`` for a row, ``[-1; 3; 1]`` for a column, ``[[1, 2], [3, 4]]`` otherwise."""
    rows = [[number_text(value) for value in row] for row in _rows(matrix)]
    if len(rows) == 1 and len(rows[0]) == 1:
        return rows[0][0]
    if len(rows[0]) == 1:
        return "[" + "; ".join(row[0] for row in rows) + "]"
    if len(rows) == 1:
        return "[" + ", ".join(rows[0]) + "]"
    return "[" + ", ".join("[" + ", ".join(row) + "]" for row in rows) + "]"


def number_text(value: Any) -> str:
    """7, 0.5, 0.7616 as usual; a third or a sixth as 1/3, -5/6 (a decimal would hide that it is exact)."""
    number = float(value)
    if math.isfinite(number) and not number.is_integer():
        fraction = Fraction(number).limit_denominator(12)
        denominator = fraction.denominator
        while denominator % 2 == 0:
            denominator //= 2
        while denominator % 5 == 0:
            denominator //= 5
        if denominator > 1 and abs(float(fraction) - number) <= 1e-12 * max(1.0, abs(number)):
            return f"{fraction.numerator}/{fraction.denominator}"
    return format_number(number)


def _rows(matrix: Any) -> list[list[float]]:
    if hasattr(matrix, "tolist"):
        matrix = matrix.tolist()
    return [list(row) for row in matrix]


def shape_label(shape: tuple[int, ...]) -> str:
    return f"({shape[0]}, {shape[1]})"


def quantity_shape_label(name: str, shape: tuple[int, ...], batch: int = 1) -> str:
    """``(3, 1)``; with a batch, a value with one column per example names it, ``(3, B=2)``.

    Parameters, their gradients and the loss have no batch dimension and keep the plain label."""
    if batch > 1 and shape[1] == batch and name != "loss" and not name.startswith(("dL/dW", "dL/db", "W", "b")):
        return f"({shape[0]}, B={batch})"
    return shape_label(shape)


# ---------------------------------------------------------------------------- the network's structure


@dataclass(frozen=True)
class Edge:
    """A value passed between layers (``x``, ``z1``, ``a1``, ``loss``) and the gradient flowing back along it."""

    value: str
    gradient: str | None


@dataclass(frozen=True)
class Block:
    """A layer: ``kind`` is linear, activation or loss; ``number`` counts linear layers from 1."""

    kind: str
    number: int
    title: str
    parameters: tuple[tuple[str, Any], ...] = ()  # (name, matrix), always given
    gradients: tuple[str, ...] = ()  # the quantities computed inside the layer (dL/dW1, dL/db1)
    produces: str = ""  # the value on the edge below it


Stage = Edge | Block


def network_stages(layers: list[Any], trace: Any, loss: str, target: Any) -> list[Stage]:
    """The drawing's rows, top to bottom, from ``tutor.graph.layers`` layers and their trace."""
    from tutor.graph.layers import Linear

    quantities = trace.quantities
    batch = getattr(trace, "batch", 1)
    current = "X" if batch > 1 else "x"
    stages: list[Stage] = [Edge(current, None)]
    number = 0
    for layer in layers:
        if isinstance(layer, Linear):
            number += 1
            name = f"z{number}"
            stages.append(Block("linear", number, f"Linear {number} · {name} = W{number} · {current} + b{number}",
                                ((f"W{number}", layer.weights), (f"b{number}", layer.bias)),
                                tuple(g for g in (f"dL/dW{number}", f"dL/db{number}") if g in quantities), name))
        else:
            name = f"a{number}"
            stages.append(Block("activation", number, f"{layer.function} · {name} = {layer.function}({current})",
                                produces=name))
        gradient = f"dL/d{name}"
        stages.append(Edge(name, gradient if gradient in quantities else None))
        current = name
    if batch > 1:
        over = f"{getattr(trace, 'reduction', 'mean')} over {batch} examples of "
        if loss == "mse":
            title = f"loss = {over}½ Σ ({current} − t)², T = {inline_matrix(target)}"
        else:
            title = f"loss = {over}−log softmax({current})[t], t = [{', '.join(str(value) for value in target)}]"
    elif loss == "mse":
        target_text = inline_matrix([[value] for value in _flat(target)])
        title = f"loss = ½ Σ ({current} − t)², t = {target_text}"
    else:
        title = f"loss = −log softmax({current})[{target}]"
    stages.append(Block("loss", number, title, produces="loss"))
    stages.append(Edge("loss", None))
    return stages


def _flat(values: Any) -> list[float]:
    if isinstance(values, (int, float)):
        return [float(values)]
    return [float(value[0]) if isinstance(value, (list, tuple)) else float(value) for value in values]


def owner_of(stages: list[Stage], name: str) -> int | None:
    """The index of the stage a quantity is drawn in (its edge, or its layer for parameter gradients)."""
    for index, stage in enumerate(stages):
        if isinstance(stage, Edge) and name in (stage.value, stage.gradient):
            return index
        if isinstance(stage, Block) and name in stage.gradients:
            return index
    return None


def block_of(stages: list[Stage], name: str) -> int | None:
    """The layer a quantity belongs to: the layer that computes it (forward) or that sends it back (backward)."""
    index = owner_of(stages, name)
    if index is None:
        return None
    stage = stages[index]
    if isinstance(stage, Block):
        return index
    if name == stage.value:
        return index - 1 if index > 0 else None  # the layer above produced it
    return index + 1 if index + 1 < len(stages) else None  # the layer below sent the gradient back


# ---------------------------------------------------------------------------- the drawing


@dataclass
class NetworkDrawing:
    """A Rich renderable of the network in its current state."""

    stages: list[Stage]
    trace: Any
    x: Any
    visibility: Mapping[str, str] = field(default_factory=dict)
    focus: str | None = None
    caption: str = ""

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield Group(*self.parts(options.max_width))

    def parts(self, width: int = 80) -> list[Any]:
        focus_block = block_of(self.stages, self.focus) if self.focus else None
        parts: list[Any] = []
        for index, stage in enumerate(self.stages):
            if isinstance(stage, Edge):
                parts.extend(self._edge(stage))
            else:
                parts.append(self._block(stage, focused=index == focus_block, width=width))
        if self.caption:
            parts.append(Text(self.caption, style="italic"))
        return parts

    # -------------------------------------------------------------- pieces

    def _value_of(self, name: str) -> Any:
        if name in INPUT_NAMES:
            import numpy as np

            array = np.asarray(self.x, dtype=float)
            return array if array.ndim == 2 else np.asarray(_flat(self.x)).reshape(-1, 1)
        return self.trace.quantities[name].value

    def _shape_of(self, name: str) -> tuple[int, int]:
        return tuple(self._value_of(name).shape)

    def _edge_shape(self, name: str) -> str:
        """``(3, 1)``; with a batch the second dimension is named, ``(3, B=2)``: one column per example."""
        return quantity_shape_label(name, self._shape_of(name), getattr(self.trace, "batch", 1))

    def _status(self, name: str) -> str:
        return SHOWN if name in INPUT_NAMES else self.visibility.get(name, "")

    def _cell(self, name: str, inline: bool) -> Text | None:
        """The quantity's value, ``?`` or None (hidden), styled by its status and the focus."""
        status = self._status(name)
        focused = name == self.focus
        if status == SHOWN:
            value = self._value_of(name)
            text = inline_matrix(value) if inline else _block_matrix(value)
            style = SHOWN_STYLE if name in self.visibility and name not in INPUT_NAMES else GIVEN_STYLE
            return Text(text, style=FOCUS_STYLE if focused else style)
        if status in (OPEN, WRONG):
            style = FOCUS_STYLE if focused else WRONG_STYLE if status == WRONG else OPEN_STYLE
            return Text("?", style=style)
        return None

    def _edge(self, stage: Edge) -> list[Text]:
        lines = []
        arrow = " " if stage.value in INPUT_NAMES else "▼"
        cell = self._cell(stage.value, inline=True)
        line = Text(f"  {arrow} ", style=EDGE_STYLE)
        line.append(stage.value, style="bold" if stage.value != self.focus else FOCUS_STYLE)
        line.append(f" {self._edge_shape(stage.value)}", style=EDGE_STYLE)
        if cell is not None:
            line.append(" = ")
            line.append_text(cell)
        lines.append(line)
        if stage.value == "X":
            lines.append(Text(f"    B = {self._shape_of('X')[1]} examples, one per column", style=EDGE_STYLE))
        if stage.gradient and self._status(stage.gradient) in (SHOWN, OPEN, WRONG):
            gradient_line = Text("  ▲ ", style="magenta")
            gradient_line.append(stage.gradient, style="bold magenta" if stage.gradient != self.focus else FOCUS_STYLE)
            gradient_line.append(f" {self._edge_shape(stage.gradient)} = ", style=EDGE_STYLE)
            gradient_line.append_text(self._cell(stage.gradient, inline=True) or Text("?"))
            lines.append(gradient_line)
        return lines

    def _block(self, stage: Block, focused: bool, width: int) -> Any:
        border = FOCUS_BORDER_STYLE if focused else BORDER_STYLE
        if stage.kind != "linear":  # nothing inside but its rule: one line is enough
            line = Text("├─ ", style=border)
            line.append(stage.title, style=FOCUS_STYLE if focused else "bold")
            return line
        grid = Table.grid(padding=(0, 1))
        cells: list[Any] = []
        for name, matrix in stage.parameters:
            cells.extend([Text(name, style="bold"), Text(_block_matrix(matrix))])
        gradient_cells: list[Any] = []
        for name in stage.gradients:
            cell = self._cell(name, inline=False)
            if cell is not None:
                label_style = FOCUS_STYLE if name == self.focus else "bold magenta"
                gradient_cells.extend([Text(name, style=label_style), cell])
        columns = max(len(cells), len(gradient_cells))
        for _ in range(columns):
            grid.add_column()
        grid.add_row(*cells)
        if gradient_cells:
            grid.add_row(*gradient_cells)
        title, _, rule = stage.title.partition(" · ")  # "Linear 1" on the border, its rule inside (narrow panes)
        content = Group(Text(rule, style="italic"), grid) if rule else grid
        return Panel(content, title=title, title_align="left", border_style=border, expand=False, padding=(0, 1))


# ---------------------------------------------------------------------------- replays


@dataclass(frozen=True)
class LayerStep:
    """One step of a replay: the quantity just computed, what is visible, and the rule with its numbers."""

    stage: str  # forward | backward
    name: str
    visible: frozenset[str]
    caption: str


def layer_steps(trace: Any, stage: str) -> list[LayerStep]:
    """The forward pass (one step per forward quantity) or the backward pass (one per gradient), in order."""
    names = trace.forward_names if stage == "forward" else trace.backward_names
    visible: set[str] = set() if stage == "forward" else set(trace.forward_names)
    steps = []
    for name in names:
        visible.add(name)
        quantity = trace.quantities[name]
        shape = quantity_shape_label(name, quantity.shape, getattr(trace, "batch", 1))
        caption = f"{quantity.rule} = {inline_matrix(quantity.value)}   {shape}"
        steps.append(LayerStep(stage, name, frozenset(visible), caption))
    return steps


def step_visibility(step: LayerStep) -> dict[str, str]:
    return {name: SHOWN for name in step.visible}
