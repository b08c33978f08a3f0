"""The layer workspace: the network drawn as layers on one side, the matrices to fill in on the other.

The learner types each quantity as a matrix (``[[1, 2], [3, 4]]``, a column ``[1; 2; 3]``, or
a number for 1x1) in the order the passes compute them. Each answer is graded in a worker; the
row turns green or red, the feedback names the mistake (``transposed``, ``wrong-shape``,
``missing-relu-mask``, ...) and the drawing highlights the layer the quantity belongs to. Once
the gradients are all in, the backward pass replays layer by layer (F6 replays it again, F5
the forward pass; F7/F8 step, F9 pauses, Esc returns).
"""

from __future__ import annotations

from textual import events, on
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import Static

from tutor.ui.grading import Judgement, forgiven_shape_error
from tutor.ui.layer_state import CORRECT, INCORRECT, REVEALED, LayerEntry, LayerProgress, judge_layer_answer
from tutor.ui.widgets.answer_table import AnswerRow, AnswerTableView
from tutor.ui.widgets.graph_view import PlaybackPane
from tutor.ui.widgets.problems import OUTCOME_SOLVED, ProblemView

EMPTY_MATRIX_NOTE = ("Type the matrix first, then press Enter: rows like `[[1, 2], [3, 4]]`, a column like "
                     "`[1; 2; 3]`, a 1×1 as a plain number.")


class LayerRow(AnswerRow):
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
        super().__init__(entry, id=f"layer-row-{index}", input_id=f"layer-entry-{index}",
                         placeholder=entry.placeholder)


class NetworkView(PlaybackPane):
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

    STILL_TITLE = "network"
    PAUSE_WHEN_HIDDEN = True

    class PlaybackChanged(Message):
        def __init__(self, label: str) -> None:
            super().__init__()
            self.label = label

    def __init__(self, progress: LayerProgress, *, interval: float = 0.8, id: str | None = None) -> None:
        super().__init__(interval=interval, id=id)
        self.progress = progress
        self._picture = Static("", id="network-picture")

    def compose(self) -> ComposeResult:
        yield self._picture

    def show(self, drawing) -> None:
        self._stop_timer()
        self._steps = []
        self._still = drawing
        self.border_title = "network"
        self._picture.update(drawing)

    def _draw_still(self) -> None:
        self._picture.update(self._still)

    MEASURE_WIDTH = 60  # the drawing fits itself to its width; measure it at a typical pane's

    def drawing_size(self) -> tuple[int, int]:
        """Columns and lines the still drawing takes at ``MEASURE_WIDTH`` (for the workspace's split)."""
        import io

        from rich.cells import cell_len
        from rich.console import Console

        if self._still is None:
            return self.MEASURE_WIDTH, 10
        console = Console(width=self.MEASURE_WIDTH, file=io.StringIO(), color_system=None)
        lines = console.render_lines(self._still, pad=False)
        width = max((sum(cell_len(segment.text) for segment in line) for line in lines), default=0)
        return width, len(lines)

    def _draw_current(self) -> None:
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


def _stage_height(stage) -> int:
    from tutor.render.layers import Block

    if not isinstance(stage, Block):
        return 2 if stage.gradient else 1
    if stage.kind != "linear":
        return 1
    rows = max(len(matrix) for _, matrix in stage.parameters)
    return 3 + rows + (rows if stage.gradients else 0)  # borders, the rule, parameters, their gradients


class LayerProblemView(AnswerTableView):
    DEFAULT_CSS = """
    LayerProblemView #workspace { height: 1fr; }
    LayerProblemView #network { width: 1fr; min-width: 30; }
    LayerProblemView #side { width: 55%; }
    LayerProblemView .table-heading { color: $text-muted; text-style: bold; padding: 0 1; }
    LayerProblemView #status { height: 1; color: $text-muted; padding: 0 1; }
    LayerProblemView Prompt { margin-bottom: 0; }
    """

    ENTRY_NOUN = "matrices"
    EMPTY_NOTE = EMPTY_MATRIX_NOTE
    SIDE_MIN = 40  # matrices like [[1, 2], [3, 4]] need a wider box than single numbers
    SIDE_MAX = 72

    def __init__(self, rendered, **kwargs) -> None:
        super().__init__(rendered, **kwargs)
        self.progress = LayerProgress(rendered)
        self.rows = [LayerRow(entry, index) for index, entry in enumerate(self.progress.entries)]
        self.network_view = NetworkView(self.progress, interval=self.graph_interval, id="network")
        self.playback_view = self.network_view
        first = self.progress.next_open
        self._focused: str | None = first.name if first else None
        self._pending: set[str] = set()
        self._shape_forgiven: set[str] = set()  # entries whose first wrong-shape answer did not count

    def on_mount(self) -> None:
        self._redraw()

    # -------------------------------------------------------------------------------- helpers

    def _heading(self, kind: str) -> str:
        heading = "Forward pass" if kind == "forward" else "Backward pass: gradients"
        batch = self.progress.batch
        if batch > 1 and kind == self.progress.entries[0].kind:  # said once, above the first rows
            heading += f" · B = {batch} examples"
        return heading

    def _judge(self, text: str, ask: str) -> Judgement:
        return judge_layer_answer(self.rendered, text, ask)

    def _redraw(self) -> None:
        focus = None if self.progress.finished else self._focused
        self.network_view.show(self.progress.drawing(focus, self.progress.caption_for(focus)))
        self.query_one("#status", Static).update(self._status_text())

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

    @on(ProblemView.Graded)
    def _graded(self, event: ProblemView.Graded) -> None:
        event.stop()
        ask = event.ask
        assert ask is not None
        self._pending.discard(ask)
        if self.completed or not self.progress.is_open(ask):
            return
        judgement = event.judgement
        entry_shape = self.progress.entry(ask).shape
        notation_slip = judgement.diagnosis == "wrong-shape" or (
            judgement.diagnosis == "transposed" and min(entry_shape) == 1)  # a row typed for a column
        if notation_slip and ask not in self._shape_forgiven:
            self._shape_forgiven.add(ask)
            judgement = forgiven_shape_error(judgement)
        if judgement.verdict in ("correct", "incorrect"):  # the skills learn from each graded matrix
            self.post_message(self.EntryGraded(self.problem_id, ask, judgement.verdict, judgement.diagnosis))
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

    @on(NetworkView.PlaybackChanged)
    def _playback_changed(self, event: NetworkView.PlaybackChanged) -> None:
        event.stop()
        self.query_one("#status", Static).update(self._status_text(event.label))
