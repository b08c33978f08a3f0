"""Draw one frame: the laid-out graph with a given state (numbers shown, highlights, a caption).

A frame is a pure function of (graph, state, options): the same inputs always give the same
characters and styles, so frames can be tested against golden files and played at any speed,
paused or stepped back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from rich.cells import cell_len
from rich.text import Span, Text

from tutor.formatting import format_number
from tutor.graph.model import ComputationalGraph, Edge
from tutor.render.labels import ASKED, NodeStyle, fit, grad_line, node_title, to_ascii, value_line
from tutor.render.layout import DOWN, LEFT, RIGHT, UP, EdgeKey, GraphLayout, NodeBox, edge_key, layout_for

_UNICODE_LINES = {
    LEFT | RIGHT: "─", UP | DOWN: "│", LEFT: "─", RIGHT: "─", UP: "│", DOWN: "│",
    RIGHT | DOWN: "┌", LEFT | DOWN: "┐", RIGHT | UP: "└", LEFT | UP: "┘",
    UP | DOWN | RIGHT: "├", UP | DOWN | LEFT: "┤", LEFT | RIGHT | DOWN: "┬", LEFT | RIGHT | UP: "┴",
    UP | DOWN | LEFT | RIGHT: "┼",
}
_ASCII_LINES = {
    directions: ("-" if directions & (UP | DOWN) == 0 else "|" if directions & (LEFT | RIGHT) == 0 else "+")
    for directions in _UNICODE_LINES
}
_ARROW = {False: "▶", True: ">"}


@dataclass(frozen=True)
class _BoxChars:
    top_left: str
    top_right: str
    bottom_left: str
    bottom_right: str
    horizontal: str
    vertical: str
    exit: str  # the right border where outgoing edges leave


_BOXES = {
    # (ascii_only, active)
    (False, False): _BoxChars("┌", "┐", "└", "┘", "─", "│", "├"),
    (False, True): _BoxChars("╔", "╗", "╚", "╝", "═", "║", "╟"),
    (True, False): _BoxChars("+", "+", "+", "+", "-", "|", "|"),
    (True, True): _BoxChars("#", "#", "#", "#", "=", "#", "#"),
}


@dataclass(frozen=True)
class Palette:
    """Rich styles for each part of a frame. Colours drop out under NO_COLOR; bold/dim/reverse stay."""

    line: str = ""
    active_line: str = "bold yellow"
    pending_box: str = "dim"
    done_box: str = "green"
    active_box: str = "bold yellow"
    flagged_box: str = "bold red"
    title: str = "bold"
    value: str = "cyan"
    grad: str = "magenta"
    asked: str = "bold reverse"
    caption: str = "bold"
    notice: str = "bold yellow"
    legend: str = "dim"


@dataclass(frozen=True)
class FrameOptions:
    ascii_only: bool = False  # only -|+> and plain letters, for terminals without Unicode
    max_width: int | None = None  # columns available; a wider graph gets a one-line notice, never wrapping
    color: bool = True  # False gives a Text without styles
    legend: bool = True  # a line explaining "= value" and "∂ gradient" under the graph
    caption: bool = True  # the state's caption (the step narration) under the graph
    caption_on_top: bool = False  # caption above the graph (stays visible when a tall graph is cut at the bottom)
    too_wide_hint: str = "scroll sideways for the rest"  # what the too-wide notice tells the reader to do
    # When too wide, cut the graph to max_width columns around the active node instead of leaving the
    # scrolling to the caller (the command line does this; the TUI scrolls the full frame itself).
    follow_active: bool = False
    palette: Palette = field(default_factory=Palette)


@dataclass(frozen=True)
class FrameState:
    """What one frame shows. Build it by hand, with :func:`exercise_state`, or take ``AnimationStep.state``.

    ``values``/``grads`` map node ids to the numbers to print (a running gradient sum during the
    backward pass is fine); nodes in neither are drawn blank. ``asked_*`` nodes show ``?`` (cells the
    learner must fill in). ``active_node`` is drawn with a double border, ``active_edges`` in the
    highlight style; ``done_nodes`` are finished for the current pass; ``flagged_nodes`` are
    drawn as mistakes.
    """

    values: Mapping[str, float] = field(default_factory=dict)
    grads: Mapping[str, float] = field(default_factory=dict)
    asked_values: frozenset[str] = frozenset()
    asked_grads: frozenset[str] = frozenset()
    active_node: str | None = None
    active_edges: frozenset[EdgeKey] = frozenset()
    done_nodes: frozenset[str] = frozenset()
    flagged_nodes: frozenset[str] = frozenset()
    caption: str = ""


@dataclass(frozen=True)
class Frame:
    text: Text  # styled, never wrapped (no_wrap=True); lines may be wider than the screen
    plain: str  # the same characters without styles
    graph_width: int
    graph_height: int
    too_wide: bool  # wider than FrameOptions.max_width: the first line says so
    graph_first_line: int = 0  # lines of notice/caption above the graph's first row
    focus: tuple[int, int, int, int] | None = None  # active node's (top, left, height, width) in graph rows/columns
    first_column: int = 0  # graph column shown at the left edge (non-zero only with follow_active)


def exercise_state(
    graph: ComputationalGraph,
    *,
    revealed_values: Iterable[str] = (),
    revealed_grads: Iterable[str] = (),
    asked_values: Iterable[str] = (),
    asked_grads: Iterable[str] = (),
    active_node: str | None = None,
    active_edge: Edge | EdgeKey | None = None,
    flagged_nodes: Iterable[str] = (),
    caption: str = "",
) -> FrameState:
    """A state for an exercise: the graph's true numbers for the revealed nodes, ``?`` for the asked ones."""
    active_edges: frozenset[EdgeKey] = frozenset()
    if active_edge is not None:
        active_edges = frozenset({active_edge if isinstance(active_edge, tuple) else edge_key(active_edge)})
    revealed_values = set(revealed_values)
    revealed_grads = set(revealed_grads)
    return FrameState(
        values={node_id: graph.nodes[node_id].value for node_id in graph.order if node_id in revealed_values},
        grads={node_id: graph.nodes[node_id].grad for node_id in graph.order if node_id in revealed_grads},
        asked_values=frozenset(asked_values),
        asked_grads=frozenset(asked_grads),
        active_node=active_node,
        active_edges=active_edges,
        done_nodes=frozenset(revealed_values & revealed_grads),
        flagged_nodes=frozenset(flagged_nodes),
        caption=caption,
    )


def finished_state(graph: ComputationalGraph, caption: str = "") -> FrameState:
    """Every value and every gradient shown: the graph after both passes."""
    return exercise_state(graph, revealed_values=graph.order, revealed_grads=graph.order, caption=caption)


def base_grid(layout: GraphLayout, ascii_only: bool) -> list[list[str]]:
    """Lines, arrowheads and empty boxes: the part of every frame that never changes. Cached on the layout."""
    grid = layout._base_grids.get(ascii_only)
    if grid is None:
        lines = _ASCII_LINES if ascii_only else _UNICODE_LINES
        grid = [[" "] * layout.width for _ in range(layout.height)]
        for (row, column), directions in layout.links.items():
            grid[row][column] = lines[directions]
        for row, column in layout.arrows:
            grid[row][column] = _ARROW[ascii_only]
        layout._base_grids[ascii_only] = grid
    return grid


def _draw_box(grid: list[list[str]], box: NodeBox, title: str, chars: _BoxChars, has_exit: bool,
              ascii_only: bool, style: NodeStyle) -> None:
    top, bottom, left, right = box.top, box.bottom, box.left, box.right
    inner = box.width - 2
    margin = " " * style.margin
    heading = f"{margin}{fit(title, inner - 2 * style.margin, ascii_only)}{margin}"
    top_line = chars.top_left + heading + chars.horizontal * (inner - cell_len(heading)) + chars.top_right
    grid[top][left : right + 1] = list(top_line)
    grid[bottom][left : right + 1] = [chars.bottom_left] + [chars.horizontal] * inner + [chars.bottom_right]
    for row in range(top + 1, bottom):
        grid[row][left] = chars.vertical
        grid[row][left + 1 : right] = [" "] * inner
        grid[row][right] = chars.vertical
    if has_exit:
        grid[box.exit_row][right] = chars.exit


class CarriesFrameState(Protocol):
    """Anything that carries a frame state, such as an animation step."""

    @property
    def state(self) -> FrameState: ...


def render_frame(
    graph: ComputationalGraph,
    state: FrameState | CarriesFrameState,
    options: FrameOptions | None = None,
    layout: GraphLayout | None = None,
) -> Frame:
    """Draw ``graph`` in ``state`` (a :class:`FrameState` or anything with a ``.state``, like an AnimationStep)."""
    options = options or FrameOptions()
    state = state if isinstance(state, FrameState) else state.state
    layout = layout or layout_for(graph)
    palette = options.palette
    ascii_only = options.ascii_only
    grid = [row[:] for row in base_grid(layout, ascii_only)]
    # Styles as (row, first column, end column, style); turned into Text spans at the end.
    styled: list[tuple[int, int, int, str]] = []

    if palette.line:
        for row in range(layout.height):
            styled.append((row, 0, layout.width, palette.line))
    for key in state.active_edges:
        cells = layout.routes.get(key)
        if cells:
            styled.extend((row, column, column + 1, palette.active_line) for row, column in cells)

    has_exit = {edge.source for edge in graph.edges}
    node_style = layout.style
    text_left = 1 + node_style.margin  # the first text column inside a box
    value_prefix = value_line("", node_style)
    grad_prefix = grad_line("", ascii_only, node_style)
    for node_id, box in layout.boxes.items():
        node = graph.nodes[node_id]
        active = node_id == state.active_node
        _draw_box(grid, box, node_title(node, ascii_only), _BOXES[(ascii_only, active)], node_id in has_exit,
                  ascii_only, node_style)
        if node_id in state.flagged_nodes:
            box_style = palette.flagged_box
        elif active:
            box_style = palette.active_box
        elif node_id in state.done_nodes or node_id in state.values or node_id in state.grads:
            box_style = palette.done_box
        else:
            box_style = palette.pending_box
        for row in range(box.top, box.bottom + 1):
            styled.append((row, box.left, box.right + 1, box_style))
        inner = box.width - node_style.padding
        title_end = box.left + text_left + min(cell_len(node_title(node, ascii_only)), inner)
        styled.append((box.top, box.left + text_left, title_end, palette.title))

        column = box.left + text_left
        for row, numbers, asked, line_prefix, number_style in (
            (box.top + 1, state.values, state.asked_values, value_prefix, palette.value),
            (box.top + 2, state.grads, state.asked_grads, grad_prefix, palette.grad),
        ):
            if node_id in asked:
                text = fit(line_prefix + ASKED, inner, ascii_only)
                style = palette.asked
                start = column + len(text) - len(ASKED)
            elif node_id in numbers:
                text = fit(line_prefix + format_number(numbers[node_id]), inner, ascii_only)
                style = number_style
                start = column
            else:
                continue
            grid[row][column : column + len(text)] = list(text)
            styled.append((row, start, column + len(text), style))

    focus_box = layout.boxes.get(state.active_node) if state.active_node is not None else None
    focus = (focus_box.top, focus_box.left, focus_box.height, focus_box.width) if focus_box else None
    too_wide = options.max_width is not None and layout.width > options.max_width
    first_column = 0
    if too_wide and options.follow_active:
        assert options.max_width is not None  # too_wide implies a width limit
        first_column = _window_start(layout, state, options.max_width)
        last_column = first_column + options.max_width
        grid = [row[first_column:last_column] for row in grid]
        styled = [
            (row, max(start, first_column) - first_column, min(end, last_column) - first_column, style)
            for row, start, end, style in styled
            if end > first_column and start < last_column
        ]
    lines = ["".join(row).rstrip() for row in grid]
    prefix: list[tuple[str, str]] = []
    if too_wide:
        arrows = "<->" if ascii_only else "⇆"
        if options.follow_active:
            assert options.max_width is not None  # too_wide implies a width limit
            shown = f"columns {first_column + 1}-{first_column + options.max_width} shown"
        else:
            shown = f"{options.max_width} shown"
        prefix.append(
            (f"{arrows} graph {layout.width} columns wide, {shown}: {options.too_wide_hint}", palette.notice)
        )
    suffix: list[tuple[str, str]] = []
    if options.legend:
        gradient = f"d{graph.output}/d(node)" if ascii_only else f"∂{graph.output}/∂(node)"
        suffix.append((f"= value   {grad_line('', ascii_only).strip()} gradient {gradient}", palette.legend))
    if options.caption and state.caption:
        caption = to_ascii(state.caption) if ascii_only else state.caption
        if options.caption_on_top:
            prefix.append((caption, palette.caption))
        else:
            suffix.append((caption, palette.caption))

    all_lines = [text for text, _ in prefix] + lines + [text for text, _ in suffix]
    plain = "\n".join(all_lines)
    spans: list[Span] = []
    if options.color:
        offsets = []
        position = 0
        for line in all_lines:
            offsets.append(position)
            position += len(line) + 1
        for index, (text, style) in enumerate(prefix):
            if style:
                spans.append(Span(offsets[index], offsets[index] + len(text), style))
        first_graph_line = len(prefix)
        for row, start, end, style in styled:
            if not style:
                continue
            line_length = len(lines[row])
            end = min(end, line_length)
            if start < end:
                base = offsets[first_graph_line + row]
                spans.append(Span(base + start, base + end, style))
        for index, (text, style) in enumerate(suffix):
            line_index = first_graph_line + len(lines) + index
            if style:
                spans.append(Span(offsets[line_index], offsets[line_index] + len(text), style))
    frame_text = Text(plain, spans=spans, no_wrap=True, overflow="crop", end="\n")
    return Frame(text=frame_text, plain=plain, graph_width=layout.width, graph_height=layout.height, too_wide=too_wide,
                 graph_first_line=len(prefix), focus=focus, first_column=first_column)


def _window_start(layout: GraphLayout, state: FrameState, window: int) -> int:
    """Leftmost column of a ``window``-wide view that shows the active node and where its edges come from."""
    box = layout.boxes.get(state.active_node) if state.active_node is not None else None
    columns = [box.left, box.right] if box else []
    for key in state.active_edges:
        cells = layout.routes.get(key)
        if cells:
            columns += [cells[0][1] - 1, cells[-1][1] + 1]
    if not columns:
        return 0
    low, high = min(columns), max(columns)
    if high - low + 1 <= window:
        start = low - (window - (high - low + 1)) // 2  # everything active, centred
    elif box:
        start = (box.left + box.right) // 2 - window // 2  # too much to show: the active node wins
    else:
        start = low
    return max(0, min(start, layout.width - window))
