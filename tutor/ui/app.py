"""The Textual app: ``backprop-tutor`` with no subcommand opens it.

Startup is kept light on purpose: this module imports Textual and the home screen only. The home
screen paints its title and a loading line first; then a thread worker loads the packs, opens the
progress database and imports sympy (through the checker), and posts the session back.

``create_app(...)`` builds the app for tests (temporary data dir, fixture packs, fixed seeds,
frozen clock); ``run_app(args)`` is what the command line calls.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen

from tutor.ui import textual_guards
from tutor.ui.screens.home import HomeScreen
from tutor.ui.session import LessonEntry, LessonKey, SessionOptions, TutorSession

FIRST_PAINT_GRACE_SECONDS = 0.05


class TutorApp(App):
    TITLE = "backprop-tutor"
    CSS = """
    Screen { background: $background; }
    Toast { max-width: 60; }
    """

    BINDINGS = [
        Binding("f1", "help", "Help"),
        Binding("question_mark", "help", "Help", show=False),
        Binding("q", "quit", "Quit"),
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True),
    ]

    @dataclass
    class SessionLoaded(Message):
        session: TutorSession | None
        error: str | None = None

    def __init__(self, options: SessionOptions | None = None, *, animation_interval: float = 0.8,
                 load_in_background: bool = True) -> None:
        textual_guards.install()
        super().__init__()
        self.options = options or SessionOptions()
        self.animation_interval = animation_interval
        self.session: TutorSession | None = None
        self.load_error: str | None = None
        self.home = HomeScreen()
        self._load_in_background = load_in_background

    # -------------------------------------------------------------------------------- startup

    def get_default_screen(self) -> Screen:
        return self.home

    def on_mount(self) -> None:
        # Load once the first frame is on its way to the terminal: the worker's imports (pydantic,
        # YAML, sympy) hold the GIL a lot and would otherwise delay the title reaching the screen.
        self.set_timer(FIRST_PAINT_GRACE_SECONDS, self._load_session)

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def _load_session(self) -> None:
        from tutor.ui.session import load_session, warm_checker

        try:
            session = load_session(self.options)
        except Exception as error:  # noqa: BLE001 - show it on the home screen instead of a traceback
            self.post_message(self.SessionLoaded(None, f"Could not load the lessons: {error}"))
            return
        self.post_message(self.SessionLoaded(session))
        if self.options.warm_checker:
            # While the learner reads the list: the first answer is then graded without a pause.
            try:
                warm_checker()
            except Exception:  # noqa: BLE001 - grading will import it again and report any real problem
                pass

    @on(SessionLoaded)
    async def _session_loaded(self, event: SessionLoaded) -> None:
        if event.session is None:
            self.load_error = event.error or "Could not load the lessons."
            self.home.query_one("#loading").update(self.load_error)
            return
        self.session = event.session
        await self.home.show_session(event.session)
        if self.options.open_problem is not None:
            self._open_problem(*self.options.open_problem, seed=self.options.open_seed)

    async def wait_until_loaded(self, timeout: float = 60.0) -> None:
        """For tests: wait until the session has arrived (or the load failed), then for the checker warm-up."""
        import asyncio

        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.session is None and self.load_error is None and loop.time() < deadline:
            await asyncio.sleep(0.01)
        for worker in list(self.workers):
            if worker.group == "load":
                await worker.wait()

    def on_unmount(self) -> None:
        if self.session is not None:
            self.session.close()

    # -------------------------------------------------------------------------------- navigation

    def open_lesson(self, key: LessonKey, *, problem_id: str | None = None) -> None:
        if self.session is None:
            return
        entry = self.session.lesson(key)
        if entry is None:
            self.notify(f"No lesson {key}.", severity="error")
            return
        from tutor.ui.screens.lesson import LessonScreen

        self._return_home()
        self.push_screen(LessonScreen(self.session, entry, start_problem=problem_id), self._back_home)

    def _open_problem(self, pack_id: str, lesson_id: str, problem_id: str, *, seed: int | None) -> None:
        """The lesson screen at one problem, its variant drawn with ``seed`` (``--open``)."""
        assert self.session is not None
        entry = self.session.lesson(LessonKey(pack_id, lesson_id))
        if entry is None or problem_id not in entry.problem_ids:
            self.notify(f"No problem {pack_id}/{lesson_id}/{problem_id}.", severity="error")
            return
        if seed is not None:
            # The lesson screen draws its first view's variant first: the opened problem's.
            self.session.pinned_seeds.insert(0, seed)
        self.open_lesson(entry.key, problem_id=problem_id)

    def open_playground(self) -> None:
        from tutor.ui.screens.playground import PlaygroundScreen

        self._return_home()
        self.push_screen(PlaygroundScreen(), self._back_home)

    def open_practice(self) -> None:
        if self.session is None:
            return
        from tutor.ui.screens.practice import PracticeScreen

        self._return_home()
        self.push_screen(PracticeScreen(self.session), self._back_home)

    def open_skills(self) -> None:
        if self.session is None:
            return
        from tutor.ui.screens.practice import SkillsScreen

        self._return_home()
        self.push_screen(SkillsScreen(self.session), self._back_home)

    def open_quiz_setup(self, entry: LessonEntry | None = None) -> None:
        if self.session is None:
            return
        from tutor.ui.screens.quiz import QuizSetupScreen

        def chosen(choice: Any) -> None:
            if choice is not None:
                self.start_quiz(choice.selection, choice.length, choice.title)

        self.push_screen(QuizSetupScreen(self.session, entry), chosen)

    def start_quiz(self, selection: Any, length: int, title: str) -> None:
        from tutor.ui.screens.quiz import QuizScreen

        assert self.session is not None
        self._return_home()
        self.push_screen(QuizScreen(self.session, selection, length, title), self._back_home)

    def skills_due_for_review(self) -> int:
        """How many practice skills FSRS has due now (the review brings them as new graphs); for the home list."""
        if self.session is None:
            return 0
        from tutor.ui.screens.quiz import due_review_skills  # deferred: the quiz screen is not needed to start

        try:
            return len(due_review_skills(self.session))
        except Exception:  # noqa: BLE001 - a count on the home list must never stop it from showing
            return 0

    def start_review(self) -> None:
        if self.session is None:
            return
        from tutor.progress.quiz import QuizSelection
        from tutor.ui.screens.quiz import due_review_skills

        # Skills are reviewed too: a due skill comes back as a freshly generated graph (issue 16 §3).
        if self.session.reviews_due() == 0 and not due_review_skills(self.session):
            self.notify("No reviews are due. Problems you answer come back here when it is time to review them.",
                        title="Review")
            return
        self.start_quiz(QuizSelection.mixed_review(), 10, "Review")

    def _return_home(self) -> None:
        while len(self.screen_stack) > 1 and self.screen is not self.home:
            # A screen's workers must not outlive it: the command palette's search, still running when
            # a jump closed the palette, went on to query the palette's removed list (found by the key fuzz).
            self.workers.cancel_node(self.screen)
            self.pop_screen()

    def _back_home(self, _result: object = None) -> None:
        self.home.refresh_lessons()

    def action_help(self) -> None:
        from tutor.ui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    # -------------------------------------------------------------------------------- command palette

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Help", "Every key, and how to type answers", self.action_help)
        yield SystemCommand("Playground", "Trace any program you type", self.open_playground)
        if self.session is None:
            return
        yield SystemCommand("Review", "Problems due for review", self.start_review)
        yield SystemCommand("Practice", "Generated graphs on the gradient rule that needs work most", self.open_practice)
        yield SystemCommand("Skills", "How well each gradient rule is known", self.open_skills)
        yield SystemCommand("Quiz", "Quiz yourself on a lesson, a pack or a topic", self.open_quiz_setup)
        for entry in self.session.lessons():
            yield SystemCommand(
                f"Lesson: {entry.title}",
                f"{entry.pack.title} · lesson {entry.position} · {entry.status}",
                lambda key=entry.key: self.open_lesson(key),
            )


def create_app(*, data_dir: str | os.PathLike[str] | None = None, pack_paths: Iterable[str | os.PathLike[str]] = (),
               include_builtin: bool = True, include_user: bool = True, clock=None, seed: int | None = None,
               review_fuzzing: bool = True, animation_interval: float = 0.8,
               open_problem: tuple[str, str, str] | None = None, open_seed: int | None = None) -> TutorApp:
    """The app with explicit options: what tests use (temporary data dir, fixture pack, fixed seed).

    ``open_problem`` (pack id, lesson id, problem id) opens that problem once loaded, at variant ``open_seed``.
    """
    options = SessionOptions(data_dir=data_dir, pack_paths=list(pack_paths), include_builtin=include_builtin,
                             include_user=include_user, clock=clock, seed=seed, review_fuzzing=review_fuzzing,
                             open_problem=open_problem, open_seed=open_seed)
    return TutorApp(options, animation_interval=animation_interval)


def _clock_from_environment():
    """BACKPROP_TUTOR_DAYS_AHEAD=N runs the tutor N days in the future: a way to try spaced review
    (and for teachers to preview what a learner sees tomorrow) without waiting. None means the real clock."""
    from datetime import datetime, timedelta

    text = os.environ.get("BACKPROP_TUTOR_DAYS_AHEAD", "").strip()
    if not text:
        return None
    try:
        days = float(text)
    except ValueError:
        print(f"backprop-tutor: ignoring BACKPROP_TUTOR_DAYS_AHEAD={text!r} (not a number of days)", file=sys.stderr)
        return None
    return lambda: datetime.now(UTC) + timedelta(days=days)


def run_app(args: Any) -> int:
    """Open the tutor for parsed command-line arguments (``.data_dir``, ``.pack``, and ``.open_problem`` and
    ``.open_seed`` as the command line resolved ``--open`` and ``--seed``). Returns the exit code."""
    import tempfile

    clock = _clock_from_environment()
    data_dir = getattr(args, "data_dir", None)
    with tempfile.TemporaryDirectory(prefix="backprop-tutor-preview-") as scratch:
        if clock is not None:
            # Answers given on a moved clock would be stored with future dates and reschedule real
            # reviews: a preview works on a copy of the progress, thrown away on exit.
            from tutor.progress.paths import resolve_data_dir, scratch_copy

            data_dir = scratch_copy(resolve_data_dir(data_dir), scratch)
            print("backprop-tutor: previewing on a moved clock; answers go to a scratch copy of your progress "
                  "and are not kept", file=sys.stderr)
        app = create_app(data_dir=data_dir, pack_paths=getattr(args, "pack", None) or [], clock=clock,
                         open_problem=getattr(args, "open_problem", None), open_seed=getattr(args, "open_seed", None))
        app.run()
    return int(app.return_code or 0)
