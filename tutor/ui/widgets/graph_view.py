"""The computational graph, drawn by tutor.render, in a pane that scrolls both ways.

Two modes: a still *state* (what the exercise shows now) and a *playback* of animation steps
(replaying the forward or backward pass), with pause and stepping. Frames always come from
``tutor.render.render_frame``; this widget only decides which state to draw and when. The timer
lives on this widget, so it stops when the widget is removed, and playback pauses when its
screen is suspended (another screen pushed on top).
"""

from __future__ import annotations

from textual.binding import Binding
from textual.containers import ScrollableContainer
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Static

from tutor.graph.model import ComputationalGraph
from tutor.render import FrameOptions, FrameState, layout_for, render_frame

DEFAULT_INTERVAL = 0.8  # seconds per animation step: slow enough to read the narration


class PlaybackPane(ScrollableContainer, can_focus=True):
    """A scrolling pane that shows a still picture or plays a list of steps, with pause and stepping.

    The graph and the layer drawing both replay passes this way. A subclass defines its own
    ``PlaybackChanged`` message (so handlers keep their names), ``STILL_TITLE``, and how to draw
    ``_draw_current`` (the step at ``_position``) and ``_draw_still``.
    """

    STILL_TITLE = ""
    PAUSE_WHEN_HIDDEN = False  # pause by itself, rather than wait for its screen to pause it

    BINDINGS = [
        Binding("left,h", "step(-1)", "Step back", show=False),
        Binding("right,l", "step(1)", "Step on", show=False),
        Binding("space", "toggle_pause", "Pause", show=False),
    ]

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
    GraphView > #frame { width: auto; height: auto; }
    """

    STILL_TITLE = "graph"

    BINDINGS = [
        Binding("plus,equals_sign", "speed(0.5)", "Faster", show=False),
        Binding("minus", "speed(2.0)", "Slower", show=False),
    ]

    MIN_INTERVAL = 0.1
    MAX_INTERVAL = 4.0

    class PlaybackChanged(Message):
        """Playback started, paused, stepped or finished; ``label`` describes it for a status line."""

        def __init__(self, label: str) -> None:
            super().__init__()
            self.label = label

    def __init__(self, graph: ComputationalGraph, *, interval: float = DEFAULT_INTERVAL, ascii_only: bool = False,
                 id: str | None = None) -> None:
        super().__init__(interval=interval, id=id)
        self.graph = graph
        self.layout_model = layout_for(graph)
        self.options = FrameOptions(ascii_only=ascii_only)
        self._frame = Static("", id="frame")

    def compose(self):
        yield self._frame

    # ------------------------------------------------------------------------------ public API

    def show_state(self, state: FrameState) -> None:
        """Draw an exercise state (leaves any playback)."""
        self._stop_timer()
        self._steps = []
        self._still = state
        self._draw(state)

    def frame_plain(self) -> str:
        """The characters currently drawn (for tests and debugging)."""
        state = self._steps[self._position].state if self._steps else self._still
        return "" if state is None else self._render_state(state).plain

    # ------------------------------------------------------------------------------ actions

    def action_speed(self, factor: float) -> None:
        """Multiply the time per step (0.5 is twice as fast); a running playback keeps going at the new pace."""
        self.interval = min(self.MAX_INTERVAL, max(self.MIN_INTERVAL, self.interval * factor))
        if self.playing:
            self._start_timer()
        self.notify(f"Animation: {self.interval:.2g} s per step", timeout=1.5)

    # ------------------------------------------------------------------------------ internals

    def _render_state(self, state: FrameState):
        return render_frame(self.graph, state, self.options, layout=self.layout_model)

    def _draw(self, state: FrameState) -> None:
        self._frame.update(self._render_state(state).text)

    def _draw_current(self) -> None:
        self._draw(self._steps[self._position].state)

    def _draw_still(self) -> None:
        self._draw(self._still)
