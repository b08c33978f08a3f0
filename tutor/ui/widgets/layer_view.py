"""The layer workspace: the network drawn as layers on one side, the matrices to fill in on the other.

The learner types each quantity as a matrix (``[[1, 2], [3, 4]]``, a column ``[1; 2; 3]``, or
a number for 1x1) in the order the passes compute them. Each answer is graded in a worker; the
row turns green or red, the feedback names the mistake (``transposed``, ``wrong-shape``,
``missing-relu-mask``, ...) and the drawing highlights the layer the quantity belongs to. Once
the gradients are all in, the backward pass replays layer by layer (F6 replays it again, F5
the forward pass; F7/F8 step, F9 pauses, Esc returns).
"""

from __future__ import annotations

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, ScrollableContainer, VerticalScroll
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, Label, Static

from tutor.ui.grading import Judgement
from tutor.ui.layer_state import CORRECT, INCORRECT, REVEALED, LayerEntry, LayerProgress, judge_layer_answer
from tutor.ui.widgets.answer_input import AnswerInput
from tutor.ui.widgets.problems import OUTCOME_SOLVED, ProblemView, Prompt

MARKS = {CORRECT: "✓", INCORRECT: "✗", REVEALED: "·"}
EMPTY_MATRIX_NOTE = ("Type the matrix first, then press Enter: rows like `[[1, 2], [3, 4]]`, a column like "
                     "`[1; 2; 3]`, a 1×1 as a plain number.")


class LayerRow(Horizontal):
    DEFAULT_CSS = """
    LayerRow { height: 1; margin: 0 1; }
    LayerRow > .entry-label { width: 16; text-align: right; }
    LayerRow > .entry-mark { width: 3; padding: 0 1; }
    LayerRow > Input { width: 1fr; }
    LayerRow.-correct > .entry-mark { color: $success; }
    LayerRow.-correct > Input { color: $success; }
    LayerRow.-incorrect > .entry-mark { color: $error; }
    LayerRow.-incorrect > Input { color: $error; }
    LayerRow.-revealed > Input { color: $warning; }
    """

    def __init__(self, entry: LayerEntry, index: int) -> None:
        super().__init__(id=f"layer-row-{index}")
        self.entry = entry
        self.input = AnswerInput(placeholder=entry.placeholder, id=f"layer-entry-{index}", compact=True)
        self.mark = Label("", classes="entry-mark")

    def compose(self) -> ComposeResult:
        yield Label(self.entry.label, classes="entry-label")
        yield self.mark
        yield self.input

    def set_status(self, status: str, shown_text: str | None = None) -> None:
        for name in ("-correct", "-incorrect", "-revealed"):
            self.remove_class(name)
        if status in MARKS:
            self.add_class(f"-{status}")
        self.mark.update(MARKS.get(status, ""))
        if shown_text is not None:
            self.input.value = shown_text
        if status in (CORRECT, REVEALED):
            self.input.disabled = True


class NetworkView(ScrollableContainer, can_focus=True):
    """The drawing, still or replaying a pass step by step (the timer lives here, so it dies with the widget)."""

    DEFAULT_CSS = """
    NetworkView {
        height: 1fr;
        width: 1fr;
        overflow-x: auto;
        overflow-y: auto;
        border: round $primary 40%;
        border-title-color: $text-muted;
        padding: 0 1;
    }
    NetworkView:focus { border: round $accent; }
    NetworkView > #network-picture { width: auto; height: auto; }
    """

    BINDINGS = [
        Binding("left,h", "step(-1)", "Step back", show=False),
        Binding("right,l", "step(1)", "Step on", show=False),
        Binding("space", "toggle_pause", "Pause", show=False),
    ]

    class PlaybackChanged(Message):
        def __init__(self, label: str) -> None:
            super().__init__()
            self.label = label

    def __init__(self, progress: LayerProgress, *, interval: float = 0.8, id: str | None = None) -> None:
        super().__init__(id=id)
        self.progress = progress
        self.interval = interval
        self.border_title = "network"
        self._picture = Static("", id="network-picture")
        self._still = None
        self._steps: list = []
        self._position = 0
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield self._picture

    @property
    def in_playback(self) -> bool:
        return bool(self._steps)

    @property
    def playing(self) -> bool:
        return self._timer is not None

    @property
    def current_step(self):
        return self._steps[self._position] if self._steps else None

    def show(self, drawing) -> None:
        self._stop_timer()
        self._steps = []
        self._still = drawing
        self.border_title = "network"
        self._picture.update(drawing)

    def play(self, steps: list, title: str) -> None:
        if not steps:
            return
        self._stop_timer()
        self._steps = list(steps)
        self._position = 0
        self.border_title = title
        self._draw_step()
        self._timer = self.set_interval(self.interval, self._advance)
        self._announce()

    def step(self, delta: int) -> None:
        if not self._steps:
            return
        self._stop_timer()
        self._position = max(0, min(len(self._steps) - 1, self._position + delta))
        self._draw_step()
        self._announce()

    def toggle_pause(self) -> None:
        if not self._steps:
            return
        if self.playing:
            self._stop_timer()
        else:
            if self._position >= len(self._steps) - 1:
                self._position = -1
            self._timer = self.set_interval(self.interval, self._advance)
            self._advance()
        self._announce()

    def pause(self) -> None:
        if self.playing:
            self._stop_timer()
            self._announce()

    def leave_playback(self) -> None:
        self._stop_timer()
        self._steps = []
        self.border_title = "network"
        if self._still is not None:
            self._picture.update(self._still)
        self.post_message(self.PlaybackChanged(""))

    def action_step(self, delta: int) -> None:
        self.step(delta)

    def action_toggle_pause(self) -> None:
        self.toggle_pause()

    def _draw_step(self) -> None:
        step = self._steps[self._position]
        self._picture.update(self.progress.replay_drawing(step))
        self.call_after_refresh(self._follow, step.name)

    def _follow(self, name: str) -> None:
        """Keep the highlighted layer in view on a short terminal."""
        from tutor.render.layers import owner_of

        index = owner_of(self.progress.stages, name)
        if index is None:
            return
        lines_before = sum(_stage_height(stage) for stage in self.progress.stages[:index])
        self.scroll_to(y=max(0, lines_before - 2), animate=False)

    def _advance(self) -> None:
        if not self._steps:
            self._stop_timer()
            return
        if not self.screen.is_current:
            self.pause()  # another screen is on top: wait for the learner
            return
        if self._position < len(self._steps) - 1:
            self._position += 1
            self._draw_step()
        if self._position >= len(self._steps) - 1:
            self._stop_timer()
        self._announce()

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def _announce(self) -> None:
        if not self._steps:
            return
        state = "playing" if self.playing else "finished" if self._position >= len(self._steps) - 1 else "paused"
        self.post_message(self.PlaybackChanged(f"{self.border_title}: step {self._position + 1}/{len(self._steps)}, "
                                               f"{state}"))

    def on_unmount(self) -> None:
        self._stop_timer()


def _stage_height(stage) -> int:
    from tutor.render.layers import Block

    if not isinstance(stage, Block):
        return 2 if stage.gradient else 1
    if stage.kind != "linear":
        return 1
    rows = max(len(matrix) for _, matrix in stage.parameters)
    return 3 + rows + (rows if stage.gradients else 0)  # borders, the rule, parameters, their gradients


class LayerProblemView(ProblemView):
    DEFAULT_CSS = """
    LayerProblemView #workspace { height: 1fr; }
    LayerProblemView #network { width: 1fr; min-width: 30; }
    LayerProblemView #side { width: 55%; min-width: 40; max-width: 72; }
    LayerProblemView .table-heading { color: $text-muted; text-style: bold; padding: 0 1; }
    LayerProblemView #status { height: 1; color: $text-muted; padding: 0 1; }
    LayerProblemView Prompt { margin-bottom: 0; }
    """

    BINDINGS = [
        Binding("f5,ctrl+f", "replay('forward')", "Forward ▶"),
        Binding("f6,ctrl+b", "replay('backward')", "Backward ◀"),
        Binding("f7", "step(-1)", "Step back", show=False),
        Binding("f8", "step(1)", "Step on", show=False),
        Binding("f9", "pause", "Pause", show=False),
        Binding("up", "move(-1)", "Previous entry", show=False),
        Binding("down", "move(1)", "Next entry", show=False),
    ]

    def __init__(self, rendered, **kwargs) -> None:
        super().__init__(rendered, **kwargs)
        self.progress = LayerProgress(rendered)
        self.rows = [LayerRow(entry, index) for index, entry in enumerate(self.progress.entries)]
        self.network_view = NetworkView(self.progress, interval=self.graph_interval, id="network")
        first = self.progress.next_open
        self._focused: str | None = first.name if first else None
        self._pending: set[str] = set()

    def compose(self) -> ComposeResult:
        with Horizontal(id="workspace"):
            yield self.network_view
            with VerticalScroll(id="side"):
                yield Prompt(self.problem.prompt, id="prompt")
                shown_headings = set()
                for row in self.rows:
                    if row.entry.kind not in shown_headings:
                        shown_headings.add(row.entry.kind)
                        title = "Forward pass" if row.entry.kind == "forward" else "Backward pass: gradients"
                        yield Static(title, classes="table-heading")
                    yield row
                yield self.hint_ladder
                yield self.feedback
        yield Static(self._status_text(), id="status")

    def on_mount(self) -> None:
        self._redraw()

    # -------------------------------------------------------------------------------- helpers

    def row_for(self, ask: str) -> LayerRow:
        return next(row for row in self.rows if row.entry.ask == ask)

    def _status_text(self, playback: str = "") -> str:
        if playback:
            return playback + "  ·  F7/F8 step · F9 pause · Esc exercise"
        done = sum(not self.progress.is_open(entry.ask) for entry in self.progress.entries)
        return (f"{done}/{len(self.progress.entries)} matrices  ·  enter checks  ·  ↑/↓ move  ·  F2 hint  ·  "
                f"ctrl+g give up")

    def _redraw(self) -> None:
        focus = None if self.progress.finished else self._focused
        self.network_view.show(self.progress.drawing(focus, self.progress.caption_for(focus)))
        self.query_one("#status", Static).update(self._status_text())

    def focus_answer(self) -> None:
        entry = self.progress.next_open
        if entry is not None:
            self.row_for(entry.ask).input.focus()

    # -------------------------------------------------------------------------------- events

    @on(events.DescendantFocus)
    def _entry_focused(self, event: events.DescendantFocus) -> None:
        for row in self.rows:
            if event.widget is row.input and self._focused != row.entry.name:
                self._focused = row.entry.name
                self.progress.last_ask = None  # the caption now says what comes next
                if not self.network_view.in_playback:
                    self._redraw()
                break

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        row = next((row for row in self.rows if row.input is event.input), None)
        if row is None or self.completed or not self.progress.is_open(row.entry.ask) or row.entry.ask in self._pending:
            return
        if not event.value.strip():
            self.feedback.show_text(EMPTY_MATRIX_NOTE, kind="info", title="feedback")
            return
        self._pending.add(row.entry.ask)
        self._grade(row.entry.ask, event.value)

    @work(thread=True, group="grade")
    def _grade(self, ask: str, text: str) -> None:
        try:
            judgement = judge_layer_answer(self.rendered, text, ask)
        except Exception as error:  # noqa: BLE001 - a checker bug must not take the lesson down
            judgement = Judgement("unchecked", text, f"The checker could not judge this answer ({error}).")
        self.post_message(self.Graded(ask, judgement))

    @on(ProblemView.Graded)
    def _graded(self, event: ProblemView.Graded) -> None:
        event.stop()
        ask = event.ask
        assert ask is not None
        self._pending.discard(ask)
        if self.completed or not self.progress.is_open(ask):
            return
        judgement = event.judgement
        entry = self.progress.entry(ask)
        row = self.row_for(ask)
        about = f"{entry.name}, shape {entry.label.split(' ', 1)[1]}"
        if judgement.verdict == "correct":
            self.progress.mark(ask, True, judgement.answer_text)
            row.set_status(CORRECT)
            if self.network_view.in_playback:
                self.network_view.leave_playback()
            next_entry = self.progress.next_open
            self._focused = next_entry.name if next_entry else None
            if self.progress.finished:
                self._complete()
                return
            self.show_judgement(judgement, key=ask, about=about)
            self._redraw()
            self.progress.last_ask = None
            self.row_for(next_entry.ask).input.focus()
            return
        if judgement.verdict == "incorrect":
            self.progress.mark(ask, False, judgement.answer_text)
            row.set_status(INCORRECT)
            self._focused = entry.name
            self._redraw()
        self.show_judgement(judgement, key=ask, about=about)  # the worked matrix only after the tries
        self.post_message(self.Attempted(self.problem_id, judgement, self.hints_used, self.seconds_since_last(),
                                         self.rendered.seed, False, ask=ask))
        row.input.focus()
        row.input.select_all()

    def _complete(self) -> None:
        judgement = Judgement("correct", self.progress.answer_summary(), "Every matrix is right.",
                              explanation=self.problem.explanation or "")
        self.feedback.show(judgement, about="the whole network")
        self._redraw()
        self.post_message(self.Attempted(self.problem_id, judgement, self.hints_used, self.seconds_since_last(),
                                         self.rendered.seed, True))
        self.finish(OUTCOME_SOLVED)
        self._play_final()
        self.network_view.focus()

    def _play_final(self) -> None:
        """The backward pass, layer by layer (the forward pass when no gradient was asked)."""
        asked_backward = any(entry.kind == "backward" for entry in self.progress.entries)
        stage = "backward" if asked_backward else "forward"
        self.network_view.play(self.progress.replay_steps(stage), f"{stage} pass")

    def give_up(self) -> None:
        self.progress.give_up()
        for row in self.rows:
            if self.progress.status[row.entry.ask] == REVEALED:
                row.set_status(REVEALED, self.progress.expected_text(row.entry))
        lines = "\n".join(f"{index}. {line}" for index, line in enumerate(self.progress.solution_lines(), start=1))
        text = "**Worked solution** (the network replays it; F7/F8 step, F9 pause):\n\n```\n" + lines + "\n```"
        if self.problem.explanation:
            text += "\n\n" + self.problem.explanation
        self.feedback.show_text(text, kind="info", title="solution")
        self._focused = None
        self._redraw()
        self._play_final()
        super().give_up()
        self.network_view.focus()

    # -------------------------------------------------------------------------------- actions

    def action_replay(self, stage: str) -> None:
        if not self.progress.replay_allowed(stage) and not self.progress.finished:
            need = "forward quantities" if stage == "forward" else "gradients"
            self.feedback.show_text(
                f"The {stage} replay shows every answer, so it opens once you have filled in the {need}. "
                "Stuck? F2 gives a hint; ctrl+g gives up and shows the worked solution.", kind="info", title="replay")
            return
        steps = self.progress.replay_steps(stage)
        if not steps:
            self.feedback.show_text(f"This problem asks for no {stage} quantities, so there is no {stage} pass to "
                                    "replay here.", kind="info", title="replay")
            return
        self.network_view.play(steps, f"{stage} pass")

    def action_step(self, delta: int) -> None:
        if not self.network_view.in_playback:
            stage = "backward" if self.progress.replay_allowed("backward") else "forward"
            if not self.progress.replay_allowed(stage) and not self.progress.finished:
                self.action_replay(stage)
                return
            steps = self.progress.replay_steps(stage) or self.progress.replay_steps("forward")
            self.network_view.play(steps, f"{stage} pass")
            self.network_view.toggle_pause()
            return
        self.network_view.step(delta)

    def action_pause(self) -> None:
        self.network_view.toggle_pause()

    def action_move(self, delta: int) -> None:
        open_rows = [row for row in self.rows if not row.input.disabled]
        if not open_rows:
            return
        focused = self.app.focused
        index = next((i for i, row in enumerate(open_rows) if row.input is focused), None)
        if index is None:
            open_rows[0].input.focus()
            return
        open_rows[(index + delta) % len(open_rows)].input.focus()

    def leave_playback(self) -> bool:
        """Esc during a replay returns to the exercise; True when it did something."""
        if self.network_view.in_playback and not self.completed:
            self.network_view.leave_playback()
            self._redraw()
            return True
        return False

    @on(NetworkView.PlaybackChanged)
    def _playback_changed(self, event: NetworkView.PlaybackChanged) -> None:
        event.stop()
        self.query_one("#status", Static).update(self._status_text(event.label))
