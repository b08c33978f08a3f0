"""Practice without end (issue 16): generated problems on the skill that most needs work, and the skills screen.

Each problem comes from :func:`tutor.practice.generate.generate` for the skill and level that
:mod:`tutor.practice.mastery` picks from the learner's skill events (lessons add to them too).
Every graded entry adds events, so the level rises with right answers and falls after two slips in a
row. After SAME_SKILL_RUN graphs on one skill in a row, one graph goes to the next weakest skill
(interleaving: the weakest rises slowly, and its low levels have few shapes). When the same
diagnosis comes back three times among the recent mistakes (a *leech*), the screen says so plainly
and offers the lesson that teaches the rule (ctrl+o); the next problem is a fresh graph on that
rule, whether the lesson is taken or not.

A leech on a trace also earns a replay of that very graph (:mod:`tutor.practice.replay` decides
which entry and which steps; :class:`tutor.ui.screens.replay.LeechReplayScreen` plays it): the pass
animated up to the entry the learner got wrong, with its worked arithmetic. It is shown, not
offered, because a learner who has slipped three times is the one who would skip an offer, and
Enter leaves it at once. It is shown when the learner leaves the graph — on finishing it (then the
lesson offer stands under the finished graph), on PgDn, or back from the lesson — never while its
entries are open, since the replay shows their numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Static

from tutor.ui.screens.home import TitleBar
from tutor.ui.screens.replay import LeechWatch, lesson_teaching, teaching_step
from tutor.ui.session import TutorSession
from tutor.ui.textual_guards import dismiss_if_on_top
from tutor.ui.widgets.factory import problem_view_for
from tutor.ui.widgets.problems import ProblemView

SAME_SKILL_RUN = 3  # graphs on one skill in a row before practice takes the next weakest for one (interleaving)
GENERATION_TRIES = 4  # seeds tried (then one level lower) before practice says it could not make a problem
BAR_WIDTH = 20


def practice_skills() -> list[str]:
    """Skills practice draws on: the scalar-graph ones (layer skills are practised in the layer lessons)."""
    from tutor.practice.skills import SKILLS

    return [skill.id for skill in SKILLS if skill.kind == "trace"]


def generate_for_practice(skill_id: str, level: int, seed: int) -> Any:
    """A generated problem on ``skill_id``: GENERATION_TRIES seeds from ``seed`` (the last one a level
    lower), or None when none gave one (rare; the generator's budget is counted by its benchmark)."""
    from tutor.practice.generate import GenerationFailed, generate

    for attempt in range(GENERATION_TRIES):
        try_level = level if attempt < GENERATION_TRIES - 1 else max(1, level - 1)
        try:
            return generate(skill_id, try_level, seed + attempt)
        except GenerationFailed:
            continue
    return None


def practice_level(events: list[Any], skill_id: str) -> int:
    """The level mastery allows for ``skill_id``, from the learner's skill events."""
    from tutor.practice.mastery import level_for, ratings

    return level_for(ratings(events).get(skill_id))


def mastery_bar(mastery: float, width: int = BAR_WIDTH) -> str:
    filled = round(mastery * width)
    return "█" * filled + "░" * (width - filled)


def bar_text(title: str, level: int, mastery: float, done: int) -> Text:
    """The line over a practice problem: its skill, level, mastery and the count so far. It fits 78
    columns for the longest skill title (80 less padding): with wider separators and a 10-cell bar
    'Multiply by the upstream gradient' lost its count at 80x24."""
    text = Text(title, style="bold")
    text.append(f" · level {level} · mastery {mastery_bar(mastery, 6)} {mastery:.0%}")
    text.append(f" · {done} done", style="dim")
    return text


class PracticeScreen(Screen):
    DEFAULT_CSS = """
    PracticeScreen #practice-bar { height: 1; padding: 0 1; background: $panel; color: $text-muted; }
    PracticeScreen #question { height: 1fr; }
    PracticeScreen #practice-note { height: auto; padding: 0 1; background: $success 30%; display: none; }
    PracticeScreen #practice-note.-visible { display: block; }
    PracticeScreen #practice-note.-leech { background: $warning 30%; }
    """

    BINDINGS = [
        Binding("escape", "back", "Home"),
        Binding("pagedown", "next_problem", "New problem", priority=True),
        Binding("enter", "continue", "Next", show=False),
        Binding("ctrl+o", "open_lesson", "Lesson for it", show=False),
        Binding("f3", "skills", "Skills"),
    ]

    @dataclass
    class Made(Message):
        generated: Any  # tutor.practice.generate.Generated, or None when no problem could be made
        error: str = ""

    def __init__(self, session: TutorSession) -> None:
        super().__init__()
        self.session = session
        self.generated: Any = None
        self.view: ProblemView | None = None
        self.done = False
        # The next problem's skill, once: a leech's, whether or not its lesson is taken.
        self.forced_skill: str | None = None
        self.leech = LeechWatch(session)  # the wrong entries of the graph on screen, a leech and its replay
        # The learner's skill events, read from the store once per change (at the start and after each
        # save) rather than by every caller: the bar, the choice and the leech check all replay them.
        self.events: list[Any] = []
        self.problems_done = 0
        self.recent_skills: list[str] = []  # the skills of the graphs shown, latest last

    def compose(self) -> ComposeResult:
        yield TitleBar("Practice  ·  generated graphs on the rule that needs work most", id="title")
        yield Static("Choosing a skill…", id="practice-bar")
        yield Container(id="question")
        yield Static("", id="practice-note")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self._make_next()

    # -------------------------------------------------------------------------------- choosing

    def choice(self) -> tuple[str, int]:
        """(skill, level) for the next problem, from the learner's skill events."""
        from tutor.practice.mastery import level_for, next_skill, ratings
        from tutor.progress.review import due_skills

        current = ratings(self.events)
        if self.forced_skill is not None:
            skill_id, self.forced_skill = self.forced_skill, None
            return skill_id, level_for(current.get(skill_id))
        # Review by skill: a skill FSRS has due comes back first, as a freshly generated graph.
        allowed, due = practice_skills(), due_skills(self.events, self.session.clock())
        skill_id = next_skill(current, allowed=allowed, due=due)
        run = self.recent_skills[-SAME_SKILL_RUN:]
        if len(run) == SAME_SKILL_RUN and set(run) == {skill_id}:
            # The weakest skill rises slowly (one event per graph for a fan-out): interleave another
            # rather than give the same template a fourth time in a row.
            others = [other for other in allowed if other != skill_id]
            skill_id = next_skill(current, allowed=others, due=[other for other in due if other != skill_id])
        return skill_id, level_for(current.get(skill_id))

    def _make_next(self) -> None:
        self.events = self.session.skill_events()
        skill_id, level = self.choice()
        self.query_one("#practice-bar", Static).update(self._bar_text(skill_id, level, making=True))
        self._generate(skill_id, level, self.session.new_seed())

    @work(thread=True, exclusive=True, group="practice")
    def _generate(self, skill_id: str, level: int, seed: int) -> None:
        made = generate_for_practice(skill_id, level, seed)
        if made is not None:
            self.post_message(self.Made(made))
            return
        self.post_message(self.Made(None, f"No {skill_id} problem could be made at level {level}; "
                                          "press PgDn to try another."))

    @on(Made)
    async def _made(self, event: Made) -> None:
        container = self.query_one("#question", Container)
        await container.remove_children()
        note = self.query_one("#practice-note", Static)
        note.remove_class("-visible")
        self.done = False
        if event.generated is None:
            self.leech.new_graph(None, "", {})
            await container.mount(Static(event.error, id="practice-error"))
            return
        self.generated = event.generated
        self.recent_skills.append(event.generated.skill)
        self.leech.new_graph(event.generated, event.generated.program, event.generated.at)
        self.query_one("#practice-bar", Static).update(self._bar_text(event.generated.skill, event.generated.level))
        self.view = problem_view_for(event.generated.rendered(), graph_interval=self.app.animation_interval,
                                     id=f"practice-{self.problems_done}")
        await container.mount(self.view)
        self.view.focus_answer()

    def _bar_text(self, skill_id: str, level: int, making: bool = False) -> Text:
        from tutor.practice.mastery import ratings
        from tutor.practice.skills import skill

        text = bar_text(skill(skill_id).title, level, ratings(self.events).get(skill_id).mastery, self.problems_done)
        if making:
            text.append(" · making a problem…", style="dim")
        return text

    # -------------------------------------------------------------------------------- answers

    @on(ProblemView.Attempted)
    def _attempted(self, event: ProblemView.Attempted) -> None:
        event.stop()
        if self.generated is None or self.view is None:
            return
        if self.generated.kind == "trace":
            self.leech.attempted(event.ask, event.judgement)  # what was typed, for a leech's replay
            return  # a trace's entries arrive as EntryGraded; its Attempted messages would count them twice
        self._record(self.generated, self.view.rendered, None, event.judgement.verdict, event.judgement.diagnosis,
                     self.generated.level)

    @on(ProblemView.EntryGraded)
    def _entry_graded(self, event: ProblemView.EntryGraded) -> None:
        event.stop()
        if self.generated is not None and self.view is not None:
            self.leech.graded(event.ask, event.verdict, event.diagnosis)  # before the save, so before its leech check
            self._record(self.generated, self.view.rendered, event.ask, event.verdict, event.diagnosis,
                         self.generated.level)

    @work(thread=True, group="save")
    def _record(self, generated: Any, rendered: Any, ask: str | None, verdict: str, diagnosis: str | None,
                level: int) -> None:
        self.session.record_skill_evidence(rendered, ask, verdict, diagnosis, level)
        self.app.call_from_thread(self._after_record, generated)

    def _after_record(self, generated: Any = None) -> None:
        self.events = self.session.skill_events()
        if self.generated is not None:
            self.query_one("#practice-bar", Static).update(self._bar_text(self.generated.skill, self.generated.level))
        offer = self.leech.check(self.events, generated, getattr(self.view, "graph", None))
        if offer is not None:
            # After a leech the next problem is on its skill, whether or not the lesson is taken (issue 16).
            self.forced_skill = self.leech.skill
            note = self.query_one("#practice-note", Static)
            note.update(offer)
            note.add_class("-leech", "-visible")

    @property
    def leech_lesson(self) -> Any:
        """The LessonEntry offered for the latest leech, or None."""
        return self.leech.lesson

    def _show_replay(self, then: Callable[[], None]) -> None:
        """The leech's replay of the graph being left, if one is due; ``then`` runs after it (or at once)."""
        self.leech.show_replay(self.app, then)

    def _lesson_offer_after_replay(self) -> None:
        """Back from the replay of a finished graph: the lesson offer, and how to go on."""
        note = self.query_one("#practice-note", Static)
        note.update(self.leech.offer_after_replay("Enter (or PgDn) goes on to the next problem; Esc goes home."))
        note.add_class("-leech", "-visible")

    @on(ProblemView.Completed)
    def _completed(self, event: ProblemView.Completed) -> None:
        event.stop()
        self.done = True
        self.problems_done += 1
        note = self.query_one("#practice-note", Static)
        if not note.has_class("-leech"):
            note.update("Done. Press Enter (or PgDn) for the next problem; Esc goes home.")
            note.add_class("-visible")
        if getattr(self.view, "graph_view", None) is None:
            self.set_focus(None)  # Enter then reaches the screen
        if self.leech.pending is not None:
            self._show_replay(self._lesson_offer_after_replay)

    # -------------------------------------------------------------------------------- actions

    def action_continue(self) -> None:
        if self.done:
            self._next()

    def action_next_problem(self) -> None:
        self._next()

    def _next(self) -> None:
        self._show_replay(self._go_on)  # a leech's replay of the graph being left comes first

    def _go_on(self) -> None:
        note = self.query_one("#practice-note", Static)
        note.remove_class("-leech", "-visible")
        self._make_next()

    def action_open_lesson(self) -> None:
        """The leech's lesson, on top of practice: Esc from it comes back here, to a fresh graph on the
        rule it teaches."""
        screen = self.leech.lesson_screen()
        if screen is not None:
            self.app.push_screen(screen, self._after_lesson)

    def _after_lesson(self, _result: object = None) -> None:
        self.forced_skill = self.leech.skill
        self._next()

    def action_skills(self) -> None:
        self.app.push_screen(SkillsScreen(self.session))

    def action_back(self) -> None:
        leave_playback = getattr(self.view, "leave_playback", None)
        if leave_playback is not None and leave_playback():
            return
        dismiss_if_on_top(self)


class SkillsScreen(Screen):
    """The skills report ``backprop-tutor stats`` prints (mastery bars, the most frequent mistakes with
    the lesson for each, the practice-days heatmap and streaks), and the lessons for those mistakes as
    links: Enter opens one at the step that teaches the rule."""

    DEFAULT_CSS = """
    SkillsScreen #skills { padding: 0 1; height: 1fr; }
    SkillsScreen #skills-lessons { height: auto; max-height: 8; margin-top: 1; }
    """

    BINDINGS = [Binding("escape", "back", "Back")]

    def __init__(self, session: TutorSession) -> None:
        super().__init__()
        self.session = session
        self.lesson_links: dict[str, tuple[Any, str]] = {}  # option id -> (LessonEntry, diagnosis)

    def compose(self) -> ComposeResult:
        from textual.widgets import OptionList
        from textual.widgets.option_list import Option

        from tutor.practice.report import frequent_mistakes
        from tutor.practice.skills import skill

        events = self.session.skill_events()
        options = []
        for diagnosis, _count, skill_id in frequent_mistakes(events):
            entry = lesson_teaching(self.session, skill(skill_id).lesson)
            if entry is not None:
                option_id = f"mistake-{len(options)}"
                self.lesson_links[option_id] = (entry, diagnosis)
                options.append(Option(f"{diagnosis}: lesson {entry.position}, {entry.title}", id=option_id))
        yield TitleBar("Skills  ·  how well each gradient rule is known", id="title")
        with VerticalScroll(id="skills"):
            yield Static(skills_text(events, self.session.clock().date(), self._lesson_name), id="skills-table")
            if options:
                yield Static("Enter opens the lesson for a mistake, at the step that teaches it; Esc goes back.",
                             classes="setup-label")
                yield OptionList(*options, id="skills-lessons")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        for links in self.query("#skills-lessons"):
            links.focus()  # Enter opens the first mistake's lesson, as in the quiz summary

    def _lesson_name(self, skill_id: str) -> str | None:
        from tutor.practice.skills import skill

        entry = lesson_teaching(self.session, skill(skill_id).lesson)
        return f"lesson {entry.position}" if entry is not None else None  # its title is in the links below

    def on_option_list_option_selected(self, event: Any) -> None:
        link = self.lesson_links.get(event.option.id or "")
        if link is None:
            return
        from tutor.ui.screens.lesson import LessonScreen  # deferred: the lesson screen imports every widget

        entry, diagnosis = link
        screen = LessonScreen(self.session, entry)
        screen.index = teaching_step(entry, diagnosis)  # shown on mount
        self.app.push_screen(screen)

    def action_back(self) -> None:
        dismiss_if_on_top(self)


def skills_text(events: list[Any], today: Any = None, lesson_for: Callable[[str], str | None] | None = None) -> Text:
    """The skills report as text: the same lines as ``backprop-tutor stats`` (tutor.practice.report)."""
    from datetime import date

    from tutor.practice.report import report_lines

    lines = report_lines(events, today or date.today(), lesson_for=lesson_for)
    text = Text()
    for index, line in enumerate(lines):
        bold = index == 0 and bool(events) or line.endswith(":") and not line.startswith(" ")
        text.append(line + "\n", style="bold" if bold else "")
    return text
