"""The computational graph, drawn by tutor.render, in a pane that scrolls both ways.

Two modes: a still *state* (what the exercise shows now) and a *playback* of animation steps
(replaying the forward or backward pass), with pause and stepping. Frames always come from
``tutor.render.render_frame``; this widget only decides which state to draw and when. The timer
lives on this widget, so it stops when the widget is removed, and playback pauses when its
screen is suspended (another screen pushed on top).

When the normal drawing does not fit the pane, the graph is drawn in the compact node style
(``tutor.render.labels.COMPACT``: the same boxes and lines without blank space, and the pane without
side padding), decided again on every resize; what still does not fit scrolls, or folds (graph_fold).
"""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.containers import ScrollableContainer
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Static

from tutor.graph.model import ComputationalGraph
from tutor.render import FrameOptions, FrameState, layout_for, render_frame
from tutor.render.labels import COMPACT, to_ascii
from tutor.ui.widgets.graph_fold import fold_columns, fold_map, fold_rows, hide_cut_boxes, plan_fold
from tutor.ui.widgets.workspace import PANE_CHROME_HEIGHT, PANE_CHROME_WIDTH

DEFAULT_INTERVAL = 0.8  # seconds per animation step: slow enough to read the narration


class PlaybackPane(ScrollableContainer, can_focus=True):
    """A scrolling pane that shows a still picture or plays a list of steps, with pause and stepping.

    The graph and the layer drawing both replay passes this way. A subclass defines its own
    ``PlaybackChanged`` message (so handlers keep their names), ``STILL_TITLE``, and how to draw
    ``_draw_current`` (the step at ``_position``) and ``_draw_still``.
    """

    STILL_TITLE = ""
    PAUSE_WHEN_HIDDEN = False  # pause by itself, rather than wait for its screen to pause it

    # During a replay ←/→ step it; otherwise every arrow (and hjkl, Home/End) scrolls the drawing.
    BINDINGS = [
        Binding("left,h", "step_or_scroll(-1)", "Step back", show=False),
        Binding("right,l", "step_or_scroll(1)", "Step on", show=False),
        Binding("up,k", "scroll_lines(-1)", "Scroll up", show=False),
        Binding("down,j", "scroll_lines(1)", "Scroll down", show=False),
        Binding("home", "scroll_edge('home')", "Left edge", show=False),
        Binding("end", "scroll_edge('end')", "Right edge", show=False),
        Binding("space", "toggle_pause", "Pause", show=False),
    ]

    SCROLL_COLUMNS = 4  # one ←/→ press scrolls this many columns
    LAYOUT_RETRIES = 20  # refreshes to wait for the layout to catch up with a new drawing (keep_in_view)

    def __init__(self, *, interval: float = DEFAULT_INTERVAL, id: str | None = None) -> None:
        super().__init__(id=id)
        self.interval = interval
        self.border_title = self.STILL_TITLE
        self._still = None
        self._steps: list = []
        self._position = 0
        self._timer: Timer | None = None

    @property
    def playing(self) -> bool:
        return self._timer is not None

    @property
    def in_playback(self) -> bool:
        return bool(self._steps)

    @property
    def current_step(self):
        return self._steps[self._position] if self._steps else None

    def play(self, steps: list, title: str) -> None:
        """Play ``steps`` from the first, one per interval."""
        if not steps:
            return
        self._stop_timer()
        self._steps = list(steps)
        self._position = 0
        self.border_title = title
        self._draw_current()
        self._start_timer()
        self._announce()

    def toggle_pause(self) -> None:
        if not self._steps:
            return
        if self.playing:
            self._stop_timer()
        else:
            if self._position >= len(self._steps) - 1:
                self._position = -1  # finished: play again from the start
            self._start_timer()
            self._advance()
        self._announce()

    def step(self, delta: int) -> None:
        if not self._steps:
            return
        self._stop_timer()
        self._position = max(0, min(len(self._steps) - 1, self._position + delta))
        self._draw_current()
        self._announce()

    def leave_playback(self) -> None:
        """Back to the still picture the exercise showed before the replay."""
        self._stop_timer()
        self._steps = []
        self.border_title = self.STILL_TITLE
        if self._still is not None:
            self._draw_still()
        self.post_message(self.PlaybackChanged(""))

    def pause(self) -> None:
        """Stop the timer (the screen calls this when it is hidden)."""
        if self.playing:
            self._stop_timer()
            self._announce()

    def action_step(self, delta: int) -> None:
        self.step(delta)

    def action_step_or_scroll(self, delta: int) -> None:
        if self.in_playback:
            self.step(delta)
        else:
            self.scroll_to(x=self.scroll_x + delta * self.SCROLL_COLUMNS, animate=False)

    def action_scroll_lines(self, delta: int) -> None:
        self.scroll_to(y=self.scroll_y + delta, animate=False)

    def action_scroll_edge(self, edge: str) -> None:
        """Home: the inputs (top left); End: the output side (right, bottom)."""
        if edge == "home":
            self.scroll_to(x=0, y=0, animate=False)
        else:
            self.scroll_to(x=self.max_scroll_x, y=self.max_scroll_y, animate=False)

    # ------------------------------------------------------------------------------ the scroll hint

    def on_focus(self) -> None:
        self._update_hint()
        self._follow_after_resize()  # the graph pane shows the whole drawing, unfolded, while it has focus

    def on_blur(self) -> None:
        self._update_hint()
        self._follow_after_resize()

    def on_resize(self) -> None:
        self._update_hint()
        self._follow_after_resize()

    def _follow_after_resize(self) -> None:
        """A subclass keeps what matters in view when the pane changes size."""

    def _folded(self) -> bool:
        return False

    def _update_hint(self) -> None:
        """Say on the border that the drawing is larger than the pane, and how to scroll it."""
        overflows = self.max_scroll_x > 0 or self.max_scroll_y > 0
        if self._folded():
            self.border_subtitle = "┆ folded: tab here for the whole graph"
        elif not overflows:
            self.border_subtitle = ""
        elif self.has_focus:
            self.border_subtitle = "←↑↓→/hjkl scroll · Home/End"
        else:
            self.border_subtitle = "more: tab here to scroll"

    def action_toggle_pause(self) -> None:
        self.toggle_pause()

    def _start_timer(self) -> None:
        self._stop_timer()
        self._timer = self.set_interval(self.interval, self._advance)

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def _advance(self) -> None:
        if not self._steps:
            self._stop_timer()
            return
        if self.PAUSE_WHEN_HIDDEN and not self.screen.is_current:
            self.pause()  # another screen is on top: wait for the learner
            return
        if self._position < len(self._steps) - 1:
            self._position += 1
            self._draw_current()
        if self._position >= len(self._steps) - 1:
            self._stop_timer()
        self._announce()

    def _announce(self) -> None:
        if not self._steps:
            return
        if self.playing:
            state = "playing"
        elif self._position >= len(self._steps) - 1:
            state = "finished"
        else:
            state = "paused"
        label = f"{self.border_title}: step {self._position + 1}/{len(self._steps)}, {state}"
        self.post_message(self.PlaybackChanged(label))

    def on_unmount(self) -> None:
        self._stop_timer()


class GraphView(PlaybackPane):
    """Focusable so that plain keys (←/→, space) step and pause the animation when it has focus."""

    DEFAULT_CSS = """
    GraphView {
        height: 1fr;
        width: 1fr;
        overflow-x: auto;
        overflow-y: auto;
        border: round $primary 40%;
        border-title-color: $text-muted;
        padding: 0 1;
    }
    GraphView:focus { border: round $accent; }
    GraphView.-compact { padding: 0; }
    GraphView { border-subtitle-color: $text-muted; }
    GraphView > #frame { width: auto; height: auto; }
    GraphView > #graph-caption {
        dock: bottom; height: 1; width: 100%; text-wrap: nowrap; text-overflow: ellipsis; text-style: bold;
    }
    """

    STILL_TITLE = "graph"

    BINDINGS = [
        Binding("plus,equals_sign", "speed(0.5)", "Faster", show=False),
        Binding("minus", "speed(2.0)", "Slower", show=False),
    ]

    COMPACT_PADDING_SAVED = 2  # the compact pane has no padding beside the drawing (the normal one, one column a side)
    MIN_INTERVAL = 0.1
    MAX_INTERVAL = 4.0

    class PlaybackChanged(Message):
        """Playback started, paused, stepped or finished; ``label`` describes it for a status line."""

        def __init__(self, label: str) -> None:
            super().__init__()
            self.label = label

    def __init__(self, graph: ComputationalGraph, *, interval: float = DEFAULT_INTERVAL, ascii_only: bool = False,
                 id: str | None = None) -> None:
        # The legend goes in the pane's title, which never scrolls: as a line under the drawing it was
        # cut at the left ("ient ∂L/∂(node)") whenever the pane scrolled sideways to the asked node.
        gradient = f"d{graph.output}/d(node)" if ascii_only else f"∂{graph.output}/∂(node)"
        self.STILL_TITLE = f"graph · = value  {'d' if ascii_only else '∂'} gradient {gradient}"
        super().__init__(interval=interval, id=id)
        self.graph = graph
        # The drawing in the normal node style; in the compact one (no blank space inside or between boxes)
        # when the pane is too small for the normal drawing and the compact one is smaller (see _choose_style).
        self._normal_layout = layout_for(graph)
        self._compact_layout = None
        self.layout_model = self._normal_layout
        # The caption (the step just explained) is a line docked under the drawing, so it neither scrolls
        # away sideways with the graph nor runs past the pane's edge: a long one ends in an ellipsis.
        self.options = FrameOptions(ascii_only=ascii_only, legend=False, caption=False)
        self._frame = Static("", id="frame")
        self._caption = Static("", id="graph-caption", markup=False)
        self._first_line = 0  # lines above the graph's first row in the current frame
        self._shown = None  # (state, frame) drawn now
        self._folds = (None, None)  # the column and row folds of what is on screen (graph_fold.Fold or None)
        self._asked_node: str | None = None  # the node of the entry being typed (see show_state)
        self._base_text: Text | None = None  # the frame as painted (folded or not), before cut boxes are hidden
        self._presented: tuple | None = None  # (base text, first column, width) of what the Static shows now

    def compose(self):
        yield self._frame
        yield self._caption

    # ------------------------------------------------------------------------------ public API

    def show_state(self, state: FrameState, asked_node: str | None = None) -> None:
        """Draw an exercise state (leaves any playback).

        ``asked_node`` is the node of the entry the learner is typing now; it is kept in view before
        the state's active node (the last step explained), which may lie elsewhere in the graph.
        """
        self._stop_timer()
        self._steps = []
        self._still = state
        self._asked_node = asked_node
        self._draw(state)

    def node_in_view(self) -> str | None:
        """The node the pane keeps whole on screen (besides the output): the asked one, else the active one."""
        if not self._steps and self._asked_node in self.layout_model.boxes:
            return self._asked_node
        state = self.current_state()
        return None if state is None else state.active_node

    def frame_plain(self) -> str:
        """The characters currently drawn, the caption line under the drawing included (for tests and debugging)."""
        frame = self.current_frame()
        if frame is None:
            return ""
        state = self.current_state()
        caption = state.caption if state is not None else ""
        return frame.plain + (f"\n{caption}" if caption else "")

    def current_frame(self):
        """The :class:`tutor.render.Frame` on screen now (None before the first draw)."""
        state = self._steps[self._position].state if self._steps else self._still
        return None if state is None else self._render_state(state)

    def current_state(self) -> FrameState | None:
        return self._steps[self._position].state if self._steps else self._still

    # ------------------------------------------------------------------------------ actions

    def action_speed(self, factor: float) -> None:
        """Multiply the time per step (0.5 is twice as fast); a running playback keeps going at the new pace."""
        self.interval = min(self.MAX_INTERVAL, max(self.MIN_INTERVAL, self.interval * factor))
        if self.playing:
            self._start_timer()
        self.notify(f"Animation: {self.interval:.2g} s per step", timeout=1.5)

    # ------------------------------------------------------------------------------ internals

    @property
    def compact(self) -> bool:
        """Whether the graph is drawn in the compact node style now."""
        return self.layout_model.style is COMPACT

    def drawing_size(self) -> tuple[int, int]:
        """Columns and lines of the drawing in the normal style (graph and a caption line), for the workspace's split.

        The normal size, whichever style is on screen: the workspace gives the pane the room the normal
        drawing needs where it can, and the pane turns compact only where that room is not there.
        """
        return self._normal_layout.width, self._normal_layout.height + 1

    def compact_drawing_size(self) -> tuple[int, int]:
        """Columns and lines of the drawing in the compact node style, caption line included, as the workspace counts.

        The compact pane also drops its side padding, so it needs ``COMPACT_PADDING_SAVED`` columns
        less than the workspace's pane chrome assumes: the width given is that much smaller.
        """
        compact = self._compact_style_layout()
        return compact.width - self.COMPACT_PADDING_SAVED, compact.height + 1

    def _compact_style_layout(self):
        if self._compact_layout is None:
            self._compact_layout = layout_for(self.graph, COMPACT)
        return self._compact_layout

    def _choose_style(self) -> bool:
        """Draw compact when the normal drawing does not fit the pane and the compact one is smaller.

        Decided from the pane's size without scrollbars, one row kept for the caption (as drawing_size
        counts it), so the choice does not flip as captions come and go. Returns whether it changed.
        """
        # The room inside the border and the normal padding, whichever style is on now (the compact pane's
        # own padding is smaller, and measuring with it would flip the choice back and forth).
        width = self.outer_size.width - PANE_CHROME_WIDTH
        height = self.outer_size.height - PANE_CHROME_HEIGHT
        if width <= 0 or height <= 0:
            return False
        normal = self._normal_layout
        layout = normal
        if normal.width > width or normal.height + 1 > height:
            compact = self._compact_style_layout()
            if (compact.width, compact.height) != (normal.width, normal.height):
                layout = compact
        if layout is self.layout_model:
            return False
        self.layout_model = layout
        self.set_class(layout is not normal, "-compact")
        return True

    def _render_state(self, state: FrameState):
        return render_frame(self.graph, state, self.options, layout=self.layout_model)

    def _draw(self, state: FrameState) -> None:
        self._shown = (state, self._render_state(state))
        self._paint()

    def _paint(self) -> None:
        """Put the current frame on screen, folded when the pane is short of room and not focused."""
        if self._shown is None:
            return
        if self._choose_style():
            self._shown = (self._shown[0], self._render_state(self._shown[0]))
        state, frame = self._shown
        caption = state.caption or ""
        self._caption.update(to_ascii(caption) if self.options.ascii_only else caption)
        self._caption.display = bool(caption)
        text, self._folds = frame.text, (None, None)
        if not self.has_focus and self.size.width > 0:
            text, self._folds = self._folded_text(frame, self.node_in_view())
        self._base_text = text
        self._present()
        self._first_line = frame.graph_first_line
        # After the next layout the pane knows its size: then bring the asked node (and the output) into view.
        self.call_after_refresh(self.keep_in_view, self.node_in_view(), frame.graph_first_line)

    def _folded_text(self, frame, node_id: str | None):
        """The frame with the space between the asked node and the output folded away, where it does not fit."""
        boxes = self.layout_model.boxes
        asked = boxes.get(node_id) if node_id is not None else None
        output = boxes.get(self.graph.output)
        if asked is None or output is None or asked is output:
            return frame.text, (None, None)
        region = self.content_region
        lines = list(frame.text.split("\n", allow_blank=True))
        first = frame.graph_first_line
        graph_lines = lines[first:first + self.layout_model.height]
        before, after = lines[:first], lines[first + self.layout_model.height:]
        # The horizontal scrollbar, should it show, and the caption docked under the drawing.
        rows_window = region.height - len(before) - len(after) - 1 - self._caption_rows()
        row_fold = plan_fold((asked.top, asked.bottom), (output.top, output.bottom), self.layout_model.height,
                             rows_window)
        columns_window = region.width - (2 if row_fold is None and self.layout_model.height > rows_window else 0)
        column_fold = plan_fold((asked.left, asked.right), (output.left, output.right), self.layout_model.width,
                                columns_window)
        marker_column, marker_row = (":", "-") if self.options.ascii_only else ("┆", "┄")
        if column_fold is not None:
            graph_lines = fold_columns(graph_lines, column_fold, self.layout_model.width, marker_column)
        if row_fold is not None:
            width = column_fold.length if column_fold is not None else self.layout_model.width
            graph_lines = fold_rows(graph_lines, row_fold, width, marker_row)
        if column_fold is None and row_fold is None:
            return frame.text, (None, None)
        text = Text("\n").join(before + graph_lines + after)
        text.no_wrap = True
        text.overflow = "crop"
        return text, (column_fold, row_fold)

    def _present(self) -> None:
        """Show the painted frame with every box the pane cuts (at its edges, or at a fold) blanked inside.

        The pane scrolls by any number of columns (keys, mouse, the scrollbar, keep_in_view), so its edge
        can fall inside a box: "= -1" cut after the minus read "1", "= 2.5" cut before the 5 read "2.".
        A box only partly in view therefore shows its border and nothing inside; scrolling it whole
        brings its text back. Called again whenever the pane scrolls sideways or is painted.
        """
        if self._base_text is None or self._shown is None:
            return
        x, width = round(self.scroll_x), self.scrollable_content_region.width
        key = (id(self._base_text), x, width)
        if key == self._presented:
            return
        self._presented = key
        frame = self._shown[1]
        layout = self.layout_model
        first = frame.graph_first_line
        column_fold, row_fold = self._folds
        shown_rows = row_fold.length if row_fold is not None else layout.height
        shown_columns = column_fold.length if column_fold is not None else layout.width
        lines = list(self._base_text.split("\n", allow_blank=True))
        full = list(frame.text.split("\n", allow_blank=True))[first:first + layout.height]
        graph_lines = lines[first:first + shown_rows]
        hidden = hide_cut_boxes(graph_lines, full, layout.boxes.values(), fold_map(column_fold, shown_columns),
                                fold_map(row_fold, shown_rows), (x, x + max(0, width)))
        text = Text("\n").join(lines[:first] + hidden + lines[first + shown_rows:])
        text.no_wrap = True
        text.overflow = "crop"
        self._frame.update(text)

    def watch_scroll_x(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_x(old_value, new_value)
        if round(old_value) != round(new_value):
            self._present()

    def _follow_after_resize(self) -> None:
        self._paint()

    def _caption_rows(self) -> int:
        return 1 if self._caption.display else 0

    def _folded(self) -> bool:
        return self._folds != (None, None)

    def keep_in_view(self, node_id: str | None = None, first_line: int = 0, retries: int = 0) -> None:
        """Scroll so that ``node_id`` and the output node are whole in the pane, or at least ``node_id``.

        The pane does not move when they are already in view, so a learner's own scrolling is kept.
        On a busy machine this can run before the layout has grown the pane's scrollable size to the
        new drawing; the scroll would then be clamped short, so it is tried again after the next
        refresh (a bounded number of times).
        """
        self._update_hint()
        boxes = self.layout_model.boxes
        wanted = [boxes[name] for name in (node_id, self.graph.output) if name in boxes]
        if not wanted:
            return
        column_fold, row_fold = self._folds

        def column(cell: int) -> int:
            return column_fold.position(cell) if column_fold is not None else cell

        def row(cell: int) -> int:
            return first_line + (row_fold.position(cell) if row_fold is not None else cell)

        region = self.scrollable_content_region
        # The caption is docked over the last row of the region: a row under it is not in view.
        rows = region.height - self._caption_rows()
        x = _window_start(self.scroll_x, region.width, [(column(box.left), column(box.right)) for box in wanted])
        y = _window_start(self.scroll_y, rows, [(row(box.top), row(box.bottom)) for box in wanted])
        if (x, y) != (self.scroll_x, self.scroll_y):
            self.scroll_to(x=x, y=y, animate=False, immediate=True)
        self._update_hint()
        out_of_reach = x > self.max_scroll_x or y > self.max_scroll_y
        if out_of_reach and retries < self.LAYOUT_RETRIES:
            self.call_after_refresh(self.keep_in_view, node_id, first_line, retries + 1)

    def _draw_current(self) -> None:
        self._draw(self._steps[self._position].state)

    def _draw_still(self) -> None:
        self._draw(self._still)


def _window_start(current: float, window: int, spans: list[tuple[int, int]]) -> float:
    """The first cell of a ``window``-long view that shows every span, else the first span (the asked node).

    Stays at ``current`` when that already works, so following the asked node never fights the learner.
    """
    if window <= 0:
        return current
    for chosen in (spans, spans[:1]):
        low = min(start for start, _ in chosen)
        high = max(end for _, end in chosen)
        if high - low + 1 <= window or len(chosen) == 1:
            if low >= current and high <= current + window - 1:
                return current
            if high - low + 1 > window:
                return low  # wider than the pane: its left (top) edge, where the title is
            return max(0, min(low, max(current, high - window + 1)))
    return current
