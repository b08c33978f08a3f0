"""The replay a leech earns: the learner's own graph, animated up to the entry they keep getting wrong.

What to play and what to say is decided by :mod:`tutor.practice.replay`; this screen only shows it,
with the graph widget every trace uses (:class:`tutor.ui.widgets.graph_view.GraphView`): the pass
plays once, one step per interval, and stops on the entry, whose worked arithmetic stands under
the graph next to what the learner typed. ←/→ step, space pauses or plays it again, r restarts it;
Enter (or Esc) goes on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from tutor.formatting import format_number
from tutor.ui.screens.home import TitleBar
from tutor.ui.session import TutorSession
from tutor.ui.textual_guards import dismiss_if_on_top
from tutor.ui.widgets.graph_view import DEFAULT_INTERVAL, GraphView


def lesson_teaching(session: TutorSession, file_prefix: str) -> Any:
    """The built-in lesson whose file starts with ``file_prefix`` ("03" -> 03-local-derivatives.yaml), or None."""
    for entry in session.lessons():
        for source in entry.pack.lesson_sources:
            if source.lesson is entry.lesson and source.source.path.name.startswith(f"{file_prefix}-"):
                return entry
    return None


def teaching_step(entry: Any, diagnosis: str) -> int:
    """The step of ``entry``'s lesson that teaches the rule ``diagnosis`` breaks: the text step just before
    the first problem whose tests carry that diagnosis (the explanation its first exercise follows), or
    that problem itself when no text comes before it; 0 (the start) when no problem tests it."""
    steps = list(entry.lesson.steps)
    for index, step in enumerate(steps):
        tests = getattr(step, "tests", None) or []
        if any(getattr(test, "diagnosis", None) == diagnosis for test in tests):
            return next((earlier for earlier in range(index - 1, -1, -1) if steps[earlier].kind == "text"), index)
    return 0


def step_heading(entry: Any, index: int) -> str:
    """A text step's first Markdown heading ("The backward pass"), or ""."""
    steps = list(entry.lesson.steps)
    if not 0 <= index < len(steps) or steps[index].kind != "text":
        return ""
    for line in str(steps[index].text).splitlines():
        if line.lstrip().startswith("#"):
            return line.lstrip("# ").strip()
    return ""


def replay_text(replay: Any, rule: str = "") -> Text:
    """What stands under the graph: the slip, the learner's answer, the entry's arithmetic and the rule."""
    text = Text()
    text.append(f"The same slip three times lately ({replay.diagnosis}). Here it is on your own graph:\n",
                style="bold")
    text.append(f"You answered {replay.label} = {replay.answer}; it is {format_number(replay.expected)}.\n")
    for line in replay.worked:
        text.append(f"  {line}\n", style="bold cyan" if not line.startswith(" ") else "cyan")
    if rule:
        text.append(f"The rule: {rule}", style="dim")
    return text


class LeechReplayScreen(Screen):
    DEFAULT_CSS = """
    LeechReplayScreen #replay-graph { height: auto; max-height: 70%; }
    LeechReplayScreen #replay-status { height: 1; padding: 0 1; color: $text-muted; }
    LeechReplayScreen #replay-worked { height: 1fr; min-height: 4; padding: 0 1; background: $warning 20%; }
    """

    BINDINGS = [
        Binding("enter", "go_on", "Go on"),
        Binding("escape", "go_on", "Go on", show=False),
        Binding("r", "again", "Play again"),
    ]

    def __init__(self, replay: Any, *, rule: str = "", interval: float = DEFAULT_INTERVAL) -> None:
        super().__init__()
        self.replay = replay
        self.rule = rule
        self.graph_view = GraphView(replay.graph, interval=interval, id="replay-graph")

    @property
    def title_text(self) -> str:
        return f"{self.replay.stage} pass, up to your entry {self.replay.label}"

    def compose(self) -> ComposeResult:
        yield TitleBar(f"Your graph, worked  ·  {self.replay.label}", id="title")
        yield self.graph_view
        yield Static("", id="replay-status")
        with VerticalScroll(id="replay-worked"):
            yield Static(replay_text(self.replay, self.rule), id="replay-text")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.graph_view.focus()  # ←/→ step and space pauses, as in every replay
        self.graph_view.play(list(self.replay.steps), self.title_text)

    @on(GraphView.PlaybackChanged)
    def _playback_changed(self, event: GraphView.PlaybackChanged) -> None:
        event.stop()
        label = event.label.removeprefix(f"{self.title_text}: ")  # the pane's title says it already
        if label.endswith("finished"):
            label += f" on your entry {self.replay.label}  ·  ←/→ step"
        self.query_one("#replay-status", Static).update(label)

    def action_again(self) -> None:
        self.graph_view.play(list(self.replay.steps), self.title_text)

    def action_go_on(self) -> None:
        dismiss_if_on_top(self)


class LeechWatch:
    """A screen's eye for leeches, shared by Practice and the quiz/review so both act on them alike.

    It keeps the wrong entries of the graph on screen (as graded, and with what was typed), asks
    :func:`tutor.practice.mastery.leech` after every save whether a diagnosis has come back
    ``LEECH_COUNT`` times, and once it has, holds what the screen then shows: the plain note with the
    rule and the lesson that teaches it (ctrl+o), and the replay of the graph on screen
    (:func:`tutor.practice.replay.leech_replay`), due when the learner leaves that graph. A leech is
    acted on once here: the same slip again counts only the events saved after it, while another
    diagnosis counts them all.
    """

    def __init__(self, session: TutorSession) -> None:
        self.session = session
        self.lesson: Any = None  # the LessonEntry offered for the latest leech
        self.skill: str | None = None  # that leech's skill
        self.diagnosis: str | None = None  # and its diagnosis
        self.acted: dict[tuple[str, str], int] = {}  # (diagnosis, skill) acted on -> the events it counted
        self.graph_key: object = None  # the graph on screen (its rendered problem)
        self.program = ""
        self.at: dict[str, float] = {}
        # The wrong entries of that graph, in order: (ask, diagnosis) as graded (known before the save
        # that may find a leech), and the same with what was typed (Attempted, a moment later).
        self.wrong_entries: list[tuple[str, str | None]] = []
        self.wrong_attempts: list[Any] = []  # tutor.practice.replay.WrongEntry
        self.pending: tuple[str, str] | None = None  # (diagnosis, skill) of a replay due when the graph is left

    def new_graph(self, key: object, program: str, at: Any) -> None:
        """A new question is on screen (``program`` "" when it is not a graph)."""
        self.graph_key, self.program, self.at = key, program or "", dict(at or {})
        self.wrong_entries, self.wrong_attempts, self.pending = [], [], None

    def graded(self, ask: str | None, verdict: str, diagnosis: str | None) -> None:
        if ask and verdict == "incorrect":
            self.wrong_entries.append((ask, diagnosis))

    def attempted(self, ask: str | None, judgement: Any) -> None:
        if ask and judgement.verdict == "incorrect":
            from tutor.practice.replay import WrongEntry

            self.wrong_attempts.append(WrongEntry(ask, judgement.diagnosis, judgement.answer_text))

    def check(self, events: list[Any], key: object, graph: Any = None) -> Text | None:
        """After a save for the graph ``key``: the note to show when ``events`` hold a new leech, else None.
        ``graph`` (the trace's own, as drawn) names the entry the replay will stop on."""
        from tutor.practice.mastery import leech
        from tutor.practice.replay import WrongEntry, choose_entry, entry_label
        from tutor.practice.skills import skill

        found = leech(events)
        if found is not None and found in self.acted:
            found = leech(events[self.acted[found]:])
        if found is None:
            return None
        self.acted[found] = len(events)
        diagnosis, skill_id = found
        about = skill(skill_id)
        self.lesson = lesson_teaching(self.session, about.lesson)
        self.skill, self.diagnosis = skill_id, diagnosis
        replayed = None
        if key is self.graph_key and self.program:
            replayed = choose_entry([WrongEntry(ask, seen, "") for ask, seen in self.wrong_entries], diagnosis)
        self.pending = (diagnosis, skill_id) if replayed is not None else None
        text = Text(f"The same slip three times lately: {diagnosis}. ", style="bold")
        text.append(f"The rule: {about.rule} ")
        if replayed is not None:
            label = entry_label(graph, replayed.ask) if graph is not None else "that entry"
            text.append(f"Once you leave this graph you will see it worked, up to {label}. ")
        if self.lesson is not None:
            text.append(f"Lesson {self.lesson.position}, {self.lesson.title}, teaches it: ctrl+o opens it"
                        f"{self._where()}.", style="bold")
        return text

    def _where(self) -> str:
        heading = step_heading(self.lesson, teaching_step(self.lesson, self.diagnosis or ""))
        return f" at '{heading}'" if heading else ""

    def lesson_screen(self) -> Any:
        """The leech's lesson, opened at the step that teaches the rule (None without a lesson)."""
        if self.lesson is None:
            return None
        from tutor.ui.screens.lesson import LessonScreen  # deferred: the lesson screen imports every widget

        screen = LessonScreen(self.session, self.lesson)
        screen.index = teaching_step(self.lesson, self.diagnosis or "")  # shown on mount
        return screen

    def take_replay(self) -> Any:
        """The replay due for the graph being left (tutor.practice.replay.Replay), or None; taken once."""
        from tutor.practice.replay import WrongEntry, choose_entry, leech_replay

        pending, self.pending = self.pending, None
        if pending is None:
            return None
        diagnosis, skill_id = pending
        # The attempts carry what was typed; should one not have arrived, the graded entries still say which.
        wrong = self.wrong_attempts if choose_entry(self.wrong_attempts, diagnosis) else [
            WrongEntry(ask, seen, "?") for ask, seen in self.wrong_entries]
        return leech_replay(self.program, self.at, wrong, diagnosis=diagnosis, skill=skill_id)

    def show_replay(self, app: Any, then: Callable[[], None]) -> bool:
        """Push the replay due for the graph being left, ``then`` after it; without one, ``then`` at once.
        True when a replay was shown."""
        from tutor.practice.skills import skill

        replay = self.take_replay()
        if replay is None:
            then()
            return False
        screen = LeechReplayScreen(replay, rule=skill(replay.skill).rule, interval=app.animation_interval)
        app.push_screen(screen, lambda _result=None: then())
        return True

    def offer_after_replay(self, go_on: str) -> Text:
        """The note back from the replay of a finished graph: the lesson offer, and ``go_on``."""
        text = Text()
        if self.lesson is not None:
            text.append(f"Lesson {self.lesson.position}, {self.lesson.title}, teaches that rule: ctrl+o opens it"
                        f"{self._where()}. ", style="bold")
        text.append(go_on)
        return text
