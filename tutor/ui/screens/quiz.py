"""Self-paced quizzes and review sessions.

The setup dialog picks what to practise (a lesson, a pack, a topic, or mixed review) and how many
questions. The quiz asks them one at a time with the same problem widgets as the lessons:
immediate feedback, retry after a wrong answer, PgDn to skip, no clock unless the learner looks at
the summary. A review is a quiz over the problems due (``QuizSelection.mixed_review``), each in a
fresh variant, and the skills FSRS has due (``tutor.progress.review.due_skills``) come in turn with
them as freshly generated graphs (review by skill, issue 16 §3). Every graded entry is skill evidence,
as in the lessons, and a leech among them is met as in Practice (:class:`tutor.ui.screens.replay.LeechWatch`):
the slip named with its rule and the lesson that teaches it (ctrl+o), and, once the learner leaves the
graph it happened on (a review's generated graph or a course trace), the worked replay of that graph. The summary shows the score, the time, and the mistakes made most often with the
lesson that teaches each.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Label, OptionList, Static
from textual.widgets.option_list import Option

from tutor.progress.review import SKILLS_PER_REVIEW, review_skill_of
from tutor.ui.screens.home import TitleBar
from tutor.ui.screens.replay import LeechWatch
from tutor.ui.session import LessonEntry, LessonKey, TutorSession
from tutor.ui.textual_guards import dismiss_if_on_top
from tutor.ui.widgets.factory import problem_view_for
from tutor.ui.widgets.problems import ProblemView

LENGTHS = (3, 5, 10)


def problem_skills(session: TutorSession, ref: Any) -> set[str]:
    """The skills a right answer to a stored problem exercises (its entries on its first variant's graph);
    empty for problems without a program (choices, layers, code) or one that does not build."""
    found = session.find_problem(ref.pack_id, ref.problem_id)
    if found is None or found[1].kind not in ("trace", "ask"):
        return set()
    problem = found[1]
    try:
        from tutor.graph import build_graph
        from tutor.packs.grading import trace_entries
        from tutor.packs.variants import render_problem
        from tutor.practice.skills import entry_skills

        rendered = render_problem(problem, 0)
        graph = build_graph(rendered.problem.program, dict(rendered.at), symbolic=False)
        asks = [rendered.problem.ask] if problem.kind == "ask" else trace_entries(rendered, graph)
        return {skill_id for ask in asks for skill_id in entry_skills(graph, ask)}
    except Exception:  # noqa: BLE001 - choosing review questions must never stop the review
        return set()


def due_review_skills(session: TutorSession) -> list[str]:
    """The practice skills FSRS has due now, most overdue first (none without saved progress)."""
    if session.review is None:
        return []
    from tutor.progress.review import due_skills
    from tutor.ui.screens.practice import practice_skills

    allowed = set(practice_skills())
    return [skill_id for skill_id in due_skills(session.skill_events(), session.clock()) if skill_id in allowed]


@dataclass(frozen=True)
class QuizChoice:
    selection: Any  # tutor.progress.quiz.QuizSelection
    length: int
    title: str


def format_duration(seconds: float) -> str:
    seconds = int(round(seconds))
    minutes, seconds = divmod(seconds, 60)
    return f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"


class QuizSetupScreen(ModalScreen[QuizChoice | None]):
    """What to be quizzed on, how many questions, and whether lessons not studied yet may be asked.

    The settings are plain-text marks, (•)/( ) and [x]/[ ], set by keys shown beside them: a
    RadioSet looked all-selected without colour and its buttons were not reachable by keyboard.
    """

    DEFAULT_CSS = """
    QuizSetupScreen { align: center middle; }
    QuizSetupScreen > Vertical {
        width: 80%; max-width: 80; height: auto; max-height: 90%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    QuizSetupScreen #scope { height: auto; max-height: 14; }
    QuizSetupScreen .setup-label { color: $text-muted; }
    QuizSetupScreen #length, QuizSetupScreen #unstudied { height: 1; }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("j", "cursor(1)", "Down", show=False),
        Binding("k", "cursor(-1)", "Up", show=False),
        Binding("left", "length(-1)", "Fewer", show=False),
        Binding("right", "length(1)", "More", show=False),
        Binding("3", "set_length(3)", "3 questions", show=False),
        Binding("5", "set_length(5)", "5 questions", show=False),
        Binding("0", "set_length(10)", "10 questions", show=False),
        Binding("u", "toggle_unstudied", "Not studied too"),
    ]

    def __init__(self, session: TutorSession, entry: LessonEntry | None = None) -> None:
        super().__init__()
        self.session = session
        self.entry = entry
        self.choices: dict[str, tuple[Any, str]] = {}
        self.length = 5
        self.include_unstudied = False

    def compose(self) -> ComposeResult:
        from tutor.progress.quiz import QuizSelection

        options = []

        def add(option_id: str, label: str, selection: Any, title: str) -> None:
            self.choices[option_id] = (selection, title)
            options.append(Option(label, id=option_id))

        if self.entry is not None:
            add("lesson", f"This lesson: {self.entry.title}",
                QuizSelection.lesson(self.entry.key.pack_id, self.entry.key.lesson_id), self.entry.title)
        for pack in self.session.catalog.usable:
            add(f"pack:{pack.id}", f"Whole pack: {pack.title}", QuizSelection.pack(pack.id), pack.title)
        tags = sorted({tag for ref in self.session.problem_refs() for tag in ref.tags})
        for tag in tags:
            add(f"tag:{tag}", f"Topic: {tag}", QuizSelection.with_tags({tag}), f"topic {tag}")
        add("mixed", "Mixed review (due problems first)", QuizSelection.mixed_review(), "Mixed review")
        with Vertical():
            yield Label("Quiz yourself: what on? (↑/↓, Enter starts)", classes="setup-label")
            yield OptionList(*options, id="scope")
            yield Static(self._length_text(), id="length")
            yield Static(self._unstudied_text(), id="unstudied")

    def on_mount(self) -> None:
        self.query_one("#scope", OptionList).focus()

    def _length_text(self) -> Text:
        text = Text("Questions: ", style="bold")
        for length in LENGTHS:
            text.append(f"({'•' if length == self.length else ' '}) {length}  ")
        text.append("  ←/→ or 3, 5, 0", style="dim")
        return text

    def _unstudied_text(self) -> Text:
        text = Text(f"[{'x' if self.include_unstudied else ' '}] ")
        text.append("also ask from lessons I have not started", style="bold" if self.include_unstudied else "")
        text.append("   u", style="dim")
        return text

    def _redraw(self) -> None:
        self.query_one("#length", Static).update(self._length_text())
        self.query_one("#unstudied", Static).update(self._unstudied_text())

    def action_length(self, delta: int) -> None:
        index = LENGTHS.index(self.length) if self.length in LENGTHS else 1
        self.length = LENGTHS[max(0, min(len(LENGTHS) - 1, index + delta))]
        self._redraw()

    def action_set_length(self, length: int) -> None:
        self.length = length
        self._redraw()

    def action_toggle_unstudied(self) -> None:
        self.include_unstudied = not self.include_unstudied
        self._redraw()

    @on(OptionList.OptionSelected, "#scope")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        selection, title = self.choices[event.option.id]
        if selection.kind in ("pack", "tags") and not self.include_unstudied:
            selection = replace(selection, studied_only=True)
        dismiss_if_on_top(self, QuizChoice(selection, self.length, title))

    def action_cancel(self) -> None:
        dismiss_if_on_top(self)

    def action_cursor(self, delta: int) -> None:
        scope = self.query_one("#scope", OptionList)
        scope.action_cursor_down() if delta > 0 else scope.action_cursor_up()


class QuizScreen(Screen):
    DEFAULT_CSS = """
    QuizScreen #quiz-bar { height: 1; padding: 0 1; background: $panel; color: $text-muted; }
    QuizScreen #question { height: 1fr; }
    QuizScreen #next-note { height: 1; padding: 0 1; background: $success 30%; display: none; }
    QuizScreen #next-note.-visible { display: block; }
    QuizScreen #quiz-note { height: auto; padding: 0 1; background: $warning 30%; display: none; }
    QuizScreen #quiz-note.-visible { display: block; }
    QuizScreen #summary { padding: 1 2; height: 1fr; }
    QuizScreen #summary-lessons { height: auto; max-height: 10; margin-top: 1; }
    """

    BINDINGS = [
        Binding("escape", "finish", "End quiz"),
        Binding("pagedown", "skip_or_next", "Skip / next", priority=True),
        Binding("enter", "next_question", "Next", show=False),
        Binding("ctrl+o", "open_leech_lesson", "Lesson for it", show=False),
    ]

    def __init__(self, session: TutorSession, selection: Any, length: int, title: str) -> None:
        super().__init__()
        self.session = session
        self.selection = selection
        self.length = length
        self.quiz_title = title
        self.quiz = None
        self.view: ProblemView | None = None
        self.question_done = False
        self.summary = None
        self.generated: Any = None  # the generated problem of a skill question (tutor.practice.generate.Generated)
        self.leech = LeechWatch(session)  # the wrong entries of the graph on screen, a leech and its replay

    def compose(self) -> ComposeResult:
        yield TitleBar(f"Quiz: {self.quiz_title}", id="title")
        yield Static("", id="quiz-bar")
        yield Container(id="question")
        yield Static("", id="quiz-note")
        yield Static("Press Enter for the next question.", id="next-note")
        yield Footer(compact=True)

    async def on_mount(self) -> None:
        from tutor.progress.quiz import QuizSession, select_problems

        session = self.session
        if self.selection.kind == "mixed-review" and session.review is None:
            problems = []  # without saved progress there is nothing to review
        elif self.selection.kind == "mixed-review":
            from tutor.progress.review import mixed_with_skills, skill_review_refs

            problems = select_problems(session.problem_refs(), self.selection, length=self.length, rng=session.rng,
                                       store=session.store, review=session.review, now=session.clock())
            # A due skill that a due problem of this sitting exercises is reviewed by that problem; the
            # others come as generated graphs, taken in turn with the problems.
            due = due_review_skills(session)
            covered: set[str] = set()
            if due:
                for ref in problems:
                    covered |= problem_skills(session, ref)
            due = [skill_id for skill_id in due if skill_id not in covered]
            skills = skill_review_refs(due, limit=min(self.length, SKILLS_PER_REVIEW))
            problems = mixed_with_skills(problems[:max(0, self.length - len(skills))], skills)
        else:
            problems = select_problems(session.problem_refs(), self.selection, length=self.length, rng=session.rng,
                                       store=session.store, review=session.review, now=session.clock())
        record = self._record if session.review is not None else None
        self.quiz = QuizSession(problems, started_at=session.clock(), record=record)
        if not problems:
            if getattr(self.selection, "studied_only", False):
                empty = ("Nothing to ask here yet: this quiz draws on lessons you have started. Start one of "
                         "them first, or tick 'also ask from lessons I have not started' (u) when you set up "
                         "the quiz. Press Esc to go back.")
            else:
                empty = ("Nothing to ask here yet: review draws on problems you have answered before. "
                         "Press Esc to go back.")
            await self.query_one("#question", Container).mount(Static(empty, id="empty"))
            return
        await self._show_current()

    # -------------------------------------------------------------------------------- questions

    async def _show_current(self) -> None:
        container = self.query_one("#question", Container)
        await container.remove_children()
        self.question_done = False
        self.query_one("#next-note").remove_class("-visible")
        self.query_one("#quiz-note").remove_class("-visible")
        self.leech.new_graph(None, "", {})
        if self.quiz.is_finished:
            await self._show_summary()
            return
        ref = self.quiz.current
        self.generated = None
        if review_skill_of(ref) is not None:
            await self._show_skill(container, review_skill_of(ref))
            return
        found = self.session.find_problem(ref.pack_id, ref.problem_id)
        self._update_bar()
        if found is None:
            self.quiz.skip(at=self.session.clock())
            await self._show_current()
            return
        entry, problem = found
        from tutor.packs.variants import render_problem

        rendered = render_problem(problem, self.session.new_seed())  # a fresh variant every time
        self.view = problem_view_for(rendered, graph_interval=self.app.animation_interval,
                                     id=f"quiz-question-{self.quiz.position}")
        self._watch(self.view)
        await container.mount(self.view)
        self.view.focus_answer()

    def _watch(self, view: ProblemView) -> None:
        """The question on screen is the graph a leech's replay would show (a trace's program at its values)."""
        problem = view.rendered.problem
        program = problem.program if getattr(problem, "kind", None) == "trace" else ""
        self.leech.new_graph(view, program or "", view.rendered.at)

    async def _show_skill(self, container: Container, skill_id: str) -> None:
        """A due skill's question: a graph generated now, at the level its mastery allows."""
        from tutor.ui.screens.practice import generate_for_practice, practice_level

        level = practice_level(self.session.skill_events(), skill_id)
        generated = generate_for_practice(skill_id, level, self.session.new_seed())
        if generated is None:
            self.quiz.skip(at=self.session.clock())
            await self._show_current()
            return
        self.generated = generated
        self._update_bar()
        self.view = problem_view_for(generated.rendered(), graph_interval=self.app.animation_interval,
                                     id=f"quiz-question-{self.quiz.position}")
        self._watch(self.view)
        await container.mount(self.view)
        self.view.focus_answer()

    def _record(self, attempt: Any) -> None:
        # QuizSession.answer calls this on the UI thread; a store that cannot be written (read-only
        # folder) must not stop the quiz, and says so once (TutorSession.record).
        if review_skill_of(attempt) is not None:
            return  # a generated graph has no problem card: its entries are skill evidence (below)
        error = self.session.record(attempt)
        if error:
            self.notify(error, severity="error")

    def _update_bar(self) -> None:
        quiz = self.quiz
        if quiz.is_finished:
            text = f"Finished  ·  {quiz.total} questions"
        else:
            ref = quiz.current
            tries = f"  ·  tries {quiz.current_tries}" if quiz.current_tries else ""
            skill_id = review_skill_of(ref)
            if skill_id is not None:
                from tutor.practice.skills import skill

                level = f", level {self.generated.level}" if self.generated is not None else ""
                text = (f"Question {quiz.position + 1}/{quiz.total}  ·  skill due: {skill(skill_id).title}{level}, "
                        f"a new graph{tries}")
                self.query_one("#quiz-bar", Static).update(text)
                return
            entry = self.session.lesson(LessonKey(ref.pack_id, ref.lesson_id))
            where = entry.title if entry is not None else ref.lesson_id
            text = f"Question {quiz.position + 1}/{quiz.total}  ·  from {where}{tries}"
        self.query_one("#quiz-bar", Static).update(text)

    @on(ProblemView.HintTaken)
    def _hint(self, event: ProblemView.HintTaken) -> None:
        event.stop()
        if self.quiz is not None and not self.quiz.is_finished and not self.question_done:
            self.quiz.take_hint()

    @on(ProblemView.Attempted)
    def _attempted(self, event: ProblemView.Attempted) -> None:
        event.stop()
        if self.quiz is None or self.quiz.is_finished or self.question_done:
            return
        judgement = event.judgement
        self.leech.attempted(event.ask, judgement)  # what was typed, for a leech's replay
        verdict = {"gave-up": "gave-up"}.get(judgement.verdict, judgement.verdict)
        answer_text = f"{event.ask}: {judgement.answer_text}" if event.ask else judgement.answer_text
        if judgement.verdict == "correct" and not event.finished:
            return  # a right entry of a trace table; the table as a whole is the answer
        if getattr(self.view, "problem", None) is not None and self.view.problem.kind == "ask":
            # An ask problem's answers are skill evidence through its attempts; trace entries come as EntryGraded.
            self._record_skills(None, judgement.verdict, judgement.diagnosis)
        try:
            feedback = self.quiz.answer(verdict, at=self.session.clock(), answer_text=answer_text,
                                        diagnosis=judgement.diagnosis, variant_seed=event.seed)
        except Exception as error:  # noqa: BLE001 - a quiz bug must not take the session down
            self.notify(f"This answer could not be taken: {error}", severity="error")
            return
        if feedback.question_done:
            self.question_done = True
            self.query_one("#next-note").add_class("-visible")
            if getattr(self.view, "graph_view", None) is None:
                self.set_focus(None)  # Enter then reaches the screen: next question
            if self.leech.pending is not None:  # the graph is left: a leech's replay of it, then the lesson offer
                self.leech.show_replay(self.app, self._lesson_offer_after_replay)
        else:
            self._update_bar()  # shows the number of tries

    @on(ProblemView.EntryGraded)
    def _entry_graded(self, event: ProblemView.EntryGraded) -> None:
        event.stop()
        if self.view is not None and event.problem_id == self.view.problem_id:
            self.leech.graded(event.ask, event.verdict, event.diagnosis)  # before the save, so before its leech check
            self._record_skills(event.ask, event.verdict, event.diagnosis)

    def _record_skills(self, ask: str | None, verdict: str, diagnosis: str | None) -> None:
        """Skill evidence for one graded entry (a skill question at its generated level, a stored problem
        at the lessons' level), saved off the UI thread."""
        if self.view is None or self.quiz is None or self.quiz.is_finished:
            return
        from tutor.practice.mastery import LESSON_LEVEL

        view = self.view
        rendered = view.rendered
        level = self.generated.level if self.generated is not None else LESSON_LEVEL

        def save() -> None:
            self.session.record_skill_evidence(rendered, ask, verdict, diagnosis, level)
            self.app.call_from_thread(self._after_save, view)

        self.run_worker(save, thread=True, group="save")

    def _after_save(self, view: ProblemView) -> None:
        """After an entry's evidence is saved: a leech it completes is named, with its rule and lesson."""
        if not self.is_attached:
            return
        offer = self.leech.check(self.session.skill_events(), view, getattr(view, "graph", None))
        if offer is not None:
            note = self.query_one("#quiz-note", Static)
            note.update(offer)
            note.add_class("-visible")

    def _lesson_offer_after_replay(self) -> None:
        """Back from the replay of a finished graph: the lesson offer, and how to go on."""
        note = self.query_one("#quiz-note", Static)
        note.update(self.leech.offer_after_replay("Enter goes on to the next question; Esc ends the quiz."))
        note.add_class("-visible")

    def action_open_leech_lesson(self) -> None:
        """The leech's lesson, on top of the quiz: Esc from it comes back to the question."""
        screen = self.leech.lesson_screen()
        if screen is not None and self.summary is None:
            self.app.push_screen(screen)

    @on(ProblemView.Completed)
    def _completed(self, event: ProblemView.Completed) -> None:
        event.stop()

    async def action_next_question(self) -> None:
        if self.question_done:
            await self._leave_question()

    async def action_skip_or_next(self) -> None:
        if self.quiz is None or self.quiz.is_finished:
            return
        if not self.question_done:
            self.quiz.skip(at=self.session.clock())
        await self._leave_question()

    async def _leave_question(self) -> None:
        """The next question, after a leech's replay of the graph being left if one is due."""
        if self.leech.pending is None:
            await self._show_current()
            return
        self.leech.show_replay(self.app, lambda: self.call_later(self._show_current))

    async def action_finish(self) -> None:
        if self.quiz is None or self.summary is not None or not self.quiz.total:
            dismiss_if_on_top(self)
            return
        self.quiz.finish(at=self.session.clock())
        container = self.query_one("#question", Container)
        await container.remove_children()
        await self._show_summary()

    # -------------------------------------------------------------------------------- summary

    async def _show_summary(self) -> None:
        summary = self.quiz.summary()
        self.summary = summary
        self._update_bar()
        self.query_one("#next-note").remove_class("-visible")
        # Questions the quiz ended before are not wrong answers: the score is over the ones answered.
        answered = summary.total - summary.unanswered
        heading = Text(f"{self.quiz_title}: {summary.correct} of {answered} answered right", style="bold")
        heading.append(f"  ({summary.correct_first_try} on the first try"
                       + (f"; {summary.unanswered} not reached" if summary.unanswered else "") + ")\n", style="dim")
        heading.append(f"Time: {format_duration(summary.seconds)}   Hints: {summary.hints_used}   "
                       f"Skipped: {summary.skipped}   Gave up: {summary.gave_up}\n")
        table = Table(box=None, header_style="bold", padding=(0, 1))
        table.add_column("")
        table.add_column("question")
        table.add_column("tries", justify="right")
        table.add_column("outcome")
        for index, result in enumerate(summary.results, start=1):
            found = self.session.find_problem(result.problem.pack_id, result.problem.problem_id)
            title = (found[1].title or found[1].id) if found else result.problem.problem_id
            if review_skill_of(result.problem) is not None:
                from tutor.practice.skills import skill

                title = f"{skill(review_skill_of(result.problem) or '').title} (skill due, a new graph)"
            mark = "✓" if result.outcome.value == "correct" else "·"
            table.add_row(mark, f"{index}. {title}", str(result.tries), result.outcome.value)
        widgets: list = [Static(heading), Static(table)]
        lessons = self._lessons_for_mistakes(summary)
        if summary.frequent_diagnoses:
            mistakes = Text("\nMistakes made most often:\n", style="bold")
            for count in summary.frequent_diagnoses[:5]:
                mistakes.append(f"  {count.diagnosis} ×{count.count}\n")
            widgets.append(Static(mistakes))
        options = [Option(Text(f"Open lesson: {entry.title}  (about {', '.join(sorted(diagnoses))})"),
                          id=f"lesson:{entry.key}") for entry, diagnoses in lessons]
        if options:
            widgets.append(Label("Enter opens the lesson that teaches it; Esc goes home."))
            widgets.append(OptionList(*options, id="summary-lessons"))
        else:
            widgets.append(Label("Esc goes home."))
        container = self.query_one("#question", Container)
        await container.mount(VerticalScroll(*widgets, id="summary"))
        if options:
            self.query_one("#summary-lessons", OptionList).focus()

    def _lessons_for_mistakes(self, summary) -> list[tuple[LessonEntry, set[str]]]:
        by_lesson: dict[LessonKey, set[str]] = {}
        for result in summary.results:
            if result.diagnoses:
                key = LessonKey(result.problem.pack_id, result.problem.lesson_id)
                skill_id = review_skill_of(result.problem)
                if skill_id is not None:  # a skill question: the lesson that teaches the skill
                    from tutor.practice.skills import skill
                    from tutor.ui.screens.replay import lesson_teaching

                    entry = lesson_teaching(self.session, skill(skill_id).lesson)
                    if entry is None:
                        continue
                    key = entry.key
                by_lesson.setdefault(key, set()).update(result.diagnoses)
        ranked = Counter({key: len(diagnoses) for key, diagnoses in by_lesson.items()})
        found = []
        for key, _ in ranked.most_common():
            entry = self.session.lesson(key)
            if entry is not None:
                found.append((entry, by_lesson[key]))
        return found

    @on(OptionList.OptionSelected, "#summary-lessons")
    def _open_lesson(self, event: OptionList.OptionSelected) -> None:
        pack_id, _, lesson_id = event.option.id.removeprefix("lesson:").partition("/")
        self.app.open_lesson(LessonKey(pack_id, lesson_id))

    def on_screen_suspend(self) -> None:
        for graph in self.query("GraphView"):
            graph.pause()
