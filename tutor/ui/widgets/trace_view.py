"""The trace workspace: the animated graph on one side, the table of entries on the other.

The learner fills forward values in evaluation order, then gradients in reverse order. Each entry
is graded in a worker; the row turns green or red, the feedback panel explains (the worked step of
an entry only after two wrong tries on it, the last hint, or giving up), and the graph shows the
step that entry stands for, once every number that step quotes has been answered. Wrong entries
and unreadable ones are reported to the host (``Attempted``); the table as a whole is one attempt
once it is complete.
"""

from __future__ import annotations

from textual import events, on
from textual.widgets import Static

from tutor.graph.model import format_number
from tutor.ui.grading import Judgement, judge_answer
from tutor.ui.trace_state import CORRECT, INCORRECT, REVEALED, TraceEntry, TraceProgress, trace_entries
from tutor.ui.widgets import workspace
from tutor.ui.widgets.answer_table import AnswerRow, AnswerTableView
from tutor.ui.widgets.graph_view import GraphView
from tutor.ui.widgets.problems import OUTCOME_SOLVED, ProblemView


class TraceRow(AnswerRow):
    DEFAULT_CSS = """
    TraceRow { height: 1; margin: 0 1; }
    TraceRow > .entry-label { width: 9; text-align: right; }
    TraceRow > .entry-mark { width: 3; padding: 0 1; }
    TraceRow > Input { width: 1fr; }
    TraceRow.-correct > .entry-mark { color: $success; }
    TraceRow.-correct > Input { color: $success; }
    TraceRow.-incorrect > .entry-mark { color: $error; }
    TraceRow.-incorrect > Input { color: $error; }
    TraceRow.-revealed > Input { color: $warning; }
    """

    def __init__(self, entry: TraceEntry, index: int) -> None:
        super().__init__(entry, id=f"row-{index}", input_id=f"entry-{index}", placeholder="?")


class TraceProblemView(AnswerTableView):
    SIDE_TIGHT = 26  # "∂L/∂z12 ✓ -0.0015" still fits; the prompt and feedback wrap a little more
    DEFAULT_CSS = """
    TraceProblemView #workspace { height: 1fr; }
    TraceProblemView #graph { width: 1fr; }
    TraceProblemView #side { width: 46; }
    TraceProblemView .table-heading { color: $text-muted; text-style: bold; padding: 0 1; }
    TraceProblemView #status { height: 1; color: $text-muted; padding: 0 1; }
    TraceProblemView Prompt { margin-bottom: 0; }
    """

    def __init__(self, rendered, *, free_replay: bool = False, **kwargs) -> None:
        super().__init__(rendered, **kwargs)
        from tutor.graph import build_graph

        self.free_replay = free_replay  # the playground lets replays show answers at any time
        self.graph = build_graph(self.problem.program, rendered.at)
        self.progress = TraceProgress(self.graph, trace_entries(self.graph, self.problem.forward, self.problem.backward))
        self.rows = [TraceRow(entry, index) for index, entry in enumerate(self.progress.entries)]
        self.graph_view = GraphView(self.graph, interval=self.graph_interval, id="graph")
        self.playback_view = self.graph_view
        self._focused_ask: str | None = None
        self._pending: set[str] = set()
        self._submitted_texts: dict[str, str] = {}  # ask -> the last answer graded for it, right or wrong

    def arrange_workspace(self) -> None:
        """As every table view, but a graph that fits whole only in its compact node style is arranged for that."""
        pane = self.graph_view
        drawing_width, drawing_height = pane.drawing_size()
        arrangement = workspace.arrange(self.size.width, max(0, self.size.height - 1), drawing_width, drawing_height,
                                        side_min=self.SIDE_MIN, side_max=self.SIDE_MAX, side_tight=self.SIDE_TIGHT,
                                        compact_size=pane.compact_drawing_size())
        workspace.apply(arrangement, self.query_one("#workspace"), pane, self.query_one("#side"))

    def on_mount(self) -> None:
        first = self.progress.next_open
        self._focused_ask = first.ask if first else None
        self.hint_ladder.set_key(self._focused_ask)
        self._redraw()

    # -------------------------------------------------------------------------------- helpers

    def _heading(self, kind: str) -> str:
        return "Forward: values" if kind == "value" else "Backward: gradients"

    def _judge(self, text: str, ask: str) -> Judgement:
        # What the learner submitted for the other entries, right or wrong: a gradient worked from their
        # own wrong z2 is "your method is right; it uses your z2 = 8", not a mistake of its own.
        earlier = {other: typed for other, typed in dict(self._submitted_texts).items() if other != ask}
        return judge_answer(self.rendered, text, ask=ask, earlier=earlier)

    def focused_entry(self):
        """The open entry whose field the learner is in (None when the focus is elsewhere or it is done)."""
        focused = self._focused_ask
        return self.progress.entry(focused) if focused and self.progress.is_open(focused) else None

    def _redraw(self) -> None:
        entry = self.focused_entry()
        self.graph_view.show_state(self.progress.frame_state(self._focused_ask),
                                   asked_node=None if entry is None else entry.node_id)
        self.query_one("#status", Static).update(self._status_text())

    # -------------------------------------------------------------------------------- events

    @on(events.DescendantFocus)
    def _entry_focused(self, event: events.DescendantFocus) -> None:
        widget = event.widget
        for row in self.rows:
            if widget is row.input:
                self.hint_ladder.set_key(row.entry.ask)  # F2 gives this entry's hints
            if widget is row.input and self._focused_ask != row.entry.ask:
                self._focused_ask = row.entry.ask
                if not self.graph_view.in_playback:
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
        entry = self.progress.entry(ask)
        row = self.row_for(ask)
        about = f"{entry.label} ({'value' if entry.kind == 'value' else 'gradient'})"
        if judgement.verdict in ("correct", "incorrect"):
            self.post_message(self.EntryGraded(self.problem_id, ask, judgement.verdict, judgement.diagnosis))
            self._submitted_texts[ask] = judgement.answer_text
        if judgement.verdict == "correct":
            self.progress.mark(ask, True, judgement.answer_text)
            value_text = format_number(self.progress.expected_text(entry))
            shown = judgement.answer_text if judgement.answer_text == value_text else f"{judgement.answer_text} = {value_text}"
            row.set_status(CORRECT, shown)
            if self.graph_view.in_playback:
                self.graph_view.leave_playback()
            next_entry = self.progress.next_open
            self._focused_ask = next_entry.ask if next_entry else None
            self.hint_ladder.set_key(self._focused_ask)
            if self.progress.finished:
                self._complete(judgement)
                return
            self.show_judgement(judgement, key=ask, about=about)
            self._redraw()
            self.row_for(next_entry.ask).input.focus()
            return
        if judgement.verdict == "incorrect":
            self.progress.mark(ask, False, judgement.answer_text)
            row.set_status(INCORRECT)
            self._redraw()
        self.show_judgement(judgement, key=ask, about=about)
        self.post_message(self.Attempted(self.problem_id, judgement, self.hints_used, self.seconds_since_last(),
                                         self.rendered.seed, False, ask=ask))
        moved_on = any(other.input is self.app.focused for other in self.rows if other is not row)
        if not moved_on:  # the learner may have gone to another entry while this one was being graded
            row.input.focus()
            if row.input.value.strip() == judgement.answer_text:  # not when they have typed on meanwhile
                row.input.select_all()  # typing the next try replaces it; arrows still allow editing

    def _complete(self, last: Judgement) -> None:
        summary = self.progress.answer_summary()
        judgement = Judgement("correct", summary, "Every entry of the table is right.",
                              explanation=self.problem.explanation or "")
        self.feedback.show(judgement, about="the whole table")
        self._redraw()
        self.post_message(self.Attempted(self.problem_id, judgement, self.hints_used, self.seconds_since_last(),
                                         self.rendered.seed, True))
        self.finish(OUTCOME_SOLVED)
        self.graph_view.focus()  # ←/→ and space now drive replays; Enter goes on

    def give_up(self) -> None:
        self.progress.give_up()
        for row in self.rows:
            if self.progress.status[row.entry.ask] == REVEALED:
                row.set_status(REVEALED, format_number(self.progress.expected_text(row.entry)))
        lines = "\n".join(f"{index}. {line}" for index, line in enumerate(self.progress.solution_lines(), start=1))
        text = "**Worked solution** (the graph replays it; F7/F8 step, F9 pause):\n\n" + "```\n" + lines + "\n```"
        if self.problem.explanation:
            text += "\n\n" + self.problem.explanation
        self.feedback.show_text(text, kind="info", title="solution")
        self._focused_ask = None
        self.graph_view.play(self.progress.steps, "solution")
        super().give_up()
        self.graph_view.focus()

    # -------------------------------------------------------------------------------- actions

    def action_replay(self, stage: str) -> None:
        if not self.free_replay and not self.progress.replay_allowed(stage) and not self.progress.finished:
            need = "forward values" if stage == "forward" else "gradients"
            self.feedback.show_text(
                f"The {stage} animation shows every answer, so it opens once you have filled in the {need}. "
                "Stuck? F2 gives a hint; ctrl+g gives up and shows the worked solution.", kind="info", title="replay")
            return
        title = "forward pass" if stage == "forward" else "backward pass"
        self.graph_view.play(self.progress.replay_steps(stage), title)

    def action_step(self, delta: int) -> None:
        if not self.graph_view.in_playback:
            stage = "backward" if self.progress.replay_allowed("backward") else "forward"
            if not self.free_replay and not self.progress.replay_allowed(stage) and not self.progress.finished:
                self.action_replay(stage)
                return
            self.graph_view.play(self.progress.replay_steps(stage), f"{stage} pass")
            self.graph_view.toggle_pause()
            return
        self.graph_view.step(delta)

    @on(GraphView.PlaybackChanged)
    def _playback_changed(self, event: GraphView.PlaybackChanged) -> None:
        event.stop()
        self.query_one("#status", Static).update(self._status_text(event.label))
