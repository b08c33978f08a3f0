"""The lesson reader: Markdown steps one after another, problems inline, a summary at the end.

Each step is mounted the first time it is shown and then kept (hidden when not current), so going
back and forth never loses what the learner typed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Markdown, Static

from tutor.ui.recording import attempt_from
from tutor.ui.screens.home import TitleBar
from tutor.ui.session import LessonEntry, TutorSession
from tutor.ui.textual_guards import dismiss_if_on_top
from tutor.ui.widgets.factory import problem_view_for
from tutor.ui.widgets.problems import OUTCOME_GAVE_UP, OUTCOME_SOLVED, ChoiceProblemView, ProblemView


@dataclass
class ProblemRecord:
    """What happened to one problem during this sitting (for the summary)."""

    title: str
    kind: str
    tries: int = 0  # counted answers: for a trace, one per table entry
    wrong: int = 0  # answers graded incorrect
    hints: int = 0
    outcome: str | None = None  # OUTCOME_SOLVED, OUTCOME_GAVE_UP or None (not finished)
    diagnoses: list[str] = field(default_factory=list)
    solved_before: bool = False


class TextStepView(VerticalScroll, can_focus=True):
    DEFAULT_CSS = """
    TextStepView { height: 1fr; padding: 0 1; }
    TextStepView > Markdown { margin: 0; }
    """

    def __init__(self, markdown: str) -> None:
        super().__init__()
        self.markdown = markdown

    def compose(self) -> ComposeResult:
        yield Markdown(self.markdown.strip())


class LessonSummary(VerticalScroll, can_focus=True):
    DEFAULT_CSS = """
    LessonSummary { height: 1fr; padding: 1 2; }
    """

CONTINUE_DONE = "✓ Done. Press Enter (or PgDn) for the next step."


class LessonScreen(Screen):
    DEFAULT_CSS = """
    LessonScreen #lesson-bar { height: 1; padding: 0 1; background: $panel; color: $text-muted; }
    LessonScreen #steps { height: 1fr; }
    LessonScreen #continue { height: 1; padding: 0 1; background: $success 30%; display: none; }
    LessonScreen #continue.-visible { display: block; }
    LessonScreen #continue.-gave-up { background: $warning 25%; }
    """

    BINDINGS = [
        Binding("escape", "back", "Home"),
        Binding("pagedown", "next_step", "Next step", priority=True),
        Binding("pageup", "previous_step", "Prev step", priority=True, show=False),
        Binding("right,l,space", "next_text_step", "Next", show=False),
        Binding("left,h", "previous_step", "Back", show=False),
        Binding("enter", "continue_after_problem", "Continue", show=False),
        Binding("j", "scroll(1)", "Down", show=False),
        Binding("k", "scroll(-1)", "Up", show=False),
        # The trace workspace's keys, also when the focus has left it (e.g. after the last entry).
        Binding("f5,ctrl+f", "problem('replay', 'forward')", "Forward ▶", show=False),
        Binding("f6,ctrl+b", "problem('replay', 'backward')", "Backward ◀", show=False),
        Binding("f7", "problem('step', -1)", "Step back", show=False),
        Binding("f8", "problem('step', 1)", "Step on", show=False),
        Binding("f9", "problem('pause')", "Pause", show=False),
    ]

    def __init__(self, session: TutorSession, entry: LessonEntry, *, start_problem: str | None = None) -> None:
        super().__init__()
        self.session = session
        self.entry = entry
        self.steps = list(entry.lesson.steps)
        self.index = 0
        self.views: dict[int, Widget] = {}
        self._early_keys: list[str] = []  # typed before a new step's answer box had the cursor (see on_key)
        self.records: dict[str, ProblemRecord] = {}
        for step in self.steps:
            if step.kind != "text":
                self.records[step.id] = ProblemRecord(step.title or step.id, step.kind,
                                                      solved_before=session.problem_solved(entry.key.pack_id, step.id))
        if start_problem is not None:
            self.index = next((i for i, step in enumerate(self.steps) if getattr(step, "id", None) == start_problem), 0)

    @property
    def summary_index(self) -> int:
        return len(self.steps)

    def compose(self) -> ComposeResult:
        yield TitleBar(f"{self.entry.title}  ·  {self.entry.pack.title}", id="title")
        yield Static("", id="lesson-bar")
        yield Container(id="steps")
        yield Static(CONTINUE_DONE, id="continue")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.show_step(self.index)

    # -------------------------------------------------------------------------------- steps

    def current_view(self) -> Widget | None:
        return self.views.get(self.index)

    def current_problem(self) -> ProblemView | None:
        view = self.current_view()
        return view if isinstance(view, ProblemView) else None

    def show_step(self, index: int) -> None:
        index = max(0, min(self.summary_index, index))
        self.index = index
        container = self.query_one("#steps", Container)
        for step_index, view in self.views.items():
            view.display = step_index == index
        mounting = None
        if index == self.summary_index:
            if index in self.views:
                self.views[index].remove()
            view = self._summary_view()
            self.views[index] = view
            mounting = container.mount(view)
        elif index not in self.views:
            view = self._build_view(index)
            self.views[index] = view
            mounting = container.mount(view)
        view = self.views[index]
        view.display = True
        self._update_bar()
        if mounting is None:
            self.call_after_refresh(self._focus_step)
        else:
            # Keys in a burst (PgDn PgDn PgDn) open a step before the one before it has finished
            # mounting, and focusing a widget that is not mounted yet does nothing: the learner's
            # typing then went nowhere. Focus once this view's mount has completed.
            async def focus_when_mounted() -> None:
                await mounting
                self.call_after_refresh(self._focus_step)

            self.call_later(focus_when_mounted)

    def _build_view(self, index: int) -> Widget:
        step = self.steps[index]
        if step.kind == "text":
            return TextStepView(step.text)
        from tutor.packs.variants import VariantError, render_problem

        seed = self.session.new_seed()
        try:
            rendered = render_problem(step, seed)
            return problem_view_for(rendered, graph_interval=self.app.animation_interval, id=f"problem-{index}")
        except (VariantError, ValueError) as error:
            # A broken problem (e.g. a variant the graph cannot compute) is reported, not a crash.
            return Static(f"This problem cannot be shown: {error}", id=f"problem-{index}", markup=False)
        except Exception as error:  # noqa: BLE001 - one faulty problem must not end the learner's session
            return Static(f"This problem cannot be shown ({type(error).__name__}: {error}). "
                          "Press PgDn to go on.", id=f"problem-{index}", markup=False)

    def on_key(self, event: events.Key) -> None:
        """Keep what is typed before a new step's answer box has the cursor.

        Right after PgDn (or Enter on 'continue') the step is on screen a moment before its view has
        mounted and taken the focus; a learner typing at once (tmux, a browser on a busy machine)
        lost those characters, and the Enter after them. While the cursor is elsewhere (nowhere, or
        in the previous step's hidden view), a printable key goes into the open problem's answer box
        and Enter submits it.
        """
        view = self.current_problem()
        if view is None or view.completed or isinstance(view, ChoiceProblemView):
            return  # choices take letters and Enter themselves
        focused = self.app.focused
        if focused is not None and (focused is view or view in focused.ancestors):
            return  # the new step has the cursor already: the key is its own
        if event.is_printable and event.character:
            self._early_keys.append(event.character)
        elif event.key == "enter" and (self._early_keys or (view.answer_box() is not None
                                                             and view.answer_box().value.strip())):
            self._early_keys.append("\n")
        else:
            return
        event.stop()
        event.prevent_default()
        self._deliver_early_keys()

    def _deliver_early_keys(self) -> None:
        """Type the held keys into the open answer box (in their order; \n submits). Until the box is
        mounted they wait: :meth:`_focus_step`, which runs once the step's view has mounted, calls this again."""
        view = self.current_problem()
        box = view.answer_box() if view is not None else None
        if box is None or not box.is_mounted or not self._early_keys:
            return
        keys, self._early_keys = self._early_keys, []
        for key in keys:
            if key == "\n":
                if box.value.strip():
                    box.post_message(box.Submitted(box, box.value))
            else:
                box.insert_text_at_cursor(key)
        box.focus()

    def _focus_step(self) -> None:
        view = self.current_view()
        if isinstance(view, ProblemView):
            if view.completed:
                graph = getattr(view, "graph_view", None)
                if graph is not None:
                    graph.focus()  # Enter still reaches the screen (continue); arrows step the replay
                else:
                    self.set_focus(None)  # Enter then reaches the screen: continue
            else:
                view.focus_answer()
                self._deliver_early_keys()  # what was typed while this view was mounting
        elif view is not None and view.can_focus:
            view.focus()

    def _update_bar(self) -> None:
        bar = self.query_one("#lesson-bar", Static)
        total = len(self.steps)
        if self.index == self.summary_index:
            bar.update(Text(f"Summary  ·  {total} steps"))
        else:
            step = self.steps[self.index]
            kind = "text" if step.kind == "text" else f"{step.kind} problem"
            dots = "".join(self._dot(i) for i in range(total))
            how = "   → or space: next step" if step.kind == "text" else ""
            bar.update(Text.assemble(f"Step {self.index + 1}/{total}  ·  {kind}   ", (dots, "dim"), (how, "dim")))
        problem = self.current_problem()
        line = self.query_one("#continue", Static)
        line.set_class(bool(problem is not None and problem.completed), "-visible")
        # After a give-up the step is over but not done: "✓ Done" there read as if it had been solved.
        gave_up = problem is not None and problem.completed == OUTCOME_GAVE_UP
        line.set_class(gave_up, "-gave-up")
        line.update("Solution shown. Press Enter (or PgDn) for the next step." if gave_up else CONTINUE_DONE)

    def _dot(self, index: int) -> str:
        if index == self.index:
            return "●"
        step = self.steps[index]
        if step.kind == "text":
            return "·"
        record = self.records[step.id]
        if record.outcome == OUTCOME_SOLVED:
            return "✓"
        if record.outcome == OUTCOME_GAVE_UP:
            return "✗"
        return "○"

    # -------------------------------------------------------------------------------- actions

    def action_next_step(self) -> None:
        if self.index < self.summary_index:
            self.show_step(self.index + 1)

    def action_previous_step(self) -> None:
        if self.index > 0:
            self.show_step(self.index - 1)

    def action_next_text_step(self) -> None:
        if isinstance(self.current_view(), (TextStepView,)):
            self.action_next_step()
        elif (problem := self.current_problem()) is not None and problem.completed:
            self.action_next_step()

    def action_continue_after_problem(self) -> None:
        problem = self.current_problem()
        if isinstance(self.current_view(), TextStepView) or (problem is not None and problem.completed):
            self.action_next_step()
        elif self.index == self.summary_index:
            following = self.session.next_lesson(self.entry.key)
            if following is not None:
                self.app.open_lesson(following.key)
            else:
                dismiss_if_on_top(self)

    def action_problem(self, action: str, *arguments: object) -> None:
        problem = self.current_problem()
        method = getattr(problem, f"action_{action}", None)
        if method is not None:
            method(*arguments)

    def action_back(self) -> None:
        problem = self.current_problem()
        leave_playback = getattr(problem, "leave_playback", None)
        if leave_playback is not None and leave_playback():
            return
        dismiss_if_on_top(self)

    def action_scroll(self, delta: int) -> None:
        view = self.current_view()
        if isinstance(view, VerticalScroll):
            view.scroll_relative(y=delta, animate=False)

    def on_screen_suspend(self) -> None:
        for view in self.views.values():
            for graph in view.query("GraphView"):
                graph.pause()

    # -------------------------------------------------------------------------------- problem events

    @on(ProblemView.Attempted)
    def _attempted(self, event: ProblemView.Attempted) -> None:
        record = self.records.get(event.problem_id)
        if record is not None and event.judgement.counts:
            record.tries += 1
            record.wrong += event.judgement.verdict == "incorrect"
            if event.judgement.diagnosis:
                record.diagnoses.append(event.judgement.diagnosis)
        step = next((s for s in self.steps if getattr(s, "id", None) == event.problem_id), None)
        has_params = bool(getattr(step, "params", None))
        attempt = attempt_from(self.session, self.entry, event, variant_seed=event.seed if has_params else None)
        self._save(attempt)
        view = self.current_problem()
        if view is not None and view.problem.kind == "ask":
            # An ask problem's answers are skill evidence through its attempts; trace entries come as EntryGraded.
            self._record_skills(event.problem_id, None, event.judgement.verdict, event.judgement.diagnosis)

    @on(ProblemView.EntryGraded)
    def _entry_graded(self, event: ProblemView.EntryGraded) -> None:
        event.stop()
        self._record_skills(event.problem_id, event.ask, event.verdict, event.diagnosis)

    def _record_skills(self, problem_id: str, ask: str | None, verdict: str, diagnosis: str | None) -> None:
        view = self.current_problem()
        if view is None or view.problem_id != problem_id:
            return
        rendered = view.rendered

        def save() -> None:
            from tutor.practice.mastery import LESSON_LEVEL

            self.session.record_skill_evidence(rendered, ask, verdict, diagnosis, LESSON_LEVEL)

        self.run_worker(save, thread=True, group="save")

    def _save(self, attempt) -> None:
        def save() -> None:
            error = self.session.record(attempt)
            if error:
                self.app.call_from_thread(self.notify, error, severity="error")

        self.run_worker(save, thread=True, group="save")

    @on(ProblemView.HintTaken)
    def _hint(self, event: ProblemView.HintTaken) -> None:
        record = self.records.get(event.problem_id)
        if record is not None:
            record.hints = event.hints_used

    @on(ProblemView.Completed)
    def _completed(self, event: ProblemView.Completed) -> None:
        record = self.records.get(event.problem_id)
        if record is not None:
            record.outcome = event.outcome
            record.hints = event.hints_used
        self._update_bar()

    # -------------------------------------------------------------------------------- summary

    def _summary_view(self) -> LessonSummary:
        from rich.table import Table

        solved = sum(record.outcome == OUTCOME_SOLVED for record in self.records.values())
        # The title comes first so that a long result ("skipped, solved before") never pushes it right;
        # "wrong" counts answers graded wrong, not table entries (a clean 7-entry trace is 0, not 7).
        table = Table(box=None, show_header=True, header_style="bold", padding=(0, 1))
        table.add_column("problem")
        table.add_column("result")
        table.add_column("wrong", justify="right")
        table.add_column("hints", justify="right")
        table.add_column("mistakes")
        for record in self.records.values():
            if record.outcome == OUTCOME_SOLVED:
                mark = Text("✓ solved", style="green")
            elif record.outcome == OUTCOME_GAVE_UP:
                mark = Text("✗ solution shown", style="yellow")
            elif record.kind == "lab":
                mark = Text("· lab", style="dim")
            else:
                mark = Text("○ skipped" + (", solved before" if record.solved_before else ""), style="dim")
            table.add_row(record.title, mark, str(record.wrong), str(record.hints), ", ".join(record.diagnoses))
        heading = Text(f"Lesson summary: {self.entry.title}\n", style="bold")
        heading.append(f"{solved} of {len(self.records)} problems solved in this sitting.\n")
        following = self.session.next_lesson(self.entry.key)
        footer = Text("\nEnter: ", style="dim")
        footer.append(f"next lesson, {following.title}" if following else "back to the lesson list", style="dim")
        footer.append("   ·   PgUp: back through the lesson   ·   Esc: home", style="dim")
        # No id: the summary is rebuilt each time it is shown, and the old one is still being removed
        # when the new one mounts (PgUp PgDn in a burst); a shared id made that a DuplicateIds crash.
        summary = LessonSummary(Static(heading), Static(table), Static(footer))
        return summary
