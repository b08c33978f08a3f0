"""The seeded key fuzz (issue 13): random keys and resizes sent to every screen of the tutor.

No tests here: ``tests/test_ui_key_fuzz.py`` runs a short round in CI and a long one behind
``-m slow``; ``benchmarks/fuzz_keys.py`` runs it for as many minutes as you ask and prints the figure.

A run is a list of *targets* (home, a lesson's text, each problem kind, quiz, review, playground,
practice, skills, each lab, help, the command palette). For each target the fuzzer goes there, then sends bursts of
keys; when a key has taken it elsewhere (Esc went home, Enter opened the next step) it goes back
before the next burst, so every target gets its share. Any exception inside the app ends the run
with the seed, the target and the last keys, which replay it exactly: ``fuzz(seed=..., ...)``.
"""

from __future__ import annotations

import functools
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BUILTIN_COURSE = REPO / "lessons" / "backprop"

# `q` and ctrl+q quit on purpose, which would end the run without telling us anything; every other
# key a learner can reach is in. A key is chosen uniformly from this list, so letters (which most
# fields accept) come up about as often as all the control keys together.
LETTERS = [character for character in "abcdefghijklmnoprstuvwxyz"]
DIGITS = list("0123456789")
PUNCTUATION = ["slash", "question_mark", "minus", "plus", "asterisk", "full_stop", "comma", "left_parenthesis",
               "right_parenthesis", "circumflex_accent", "equals_sign", "space"]
CONTROL = ["enter", "enter", "escape", "escape", "tab", "shift+tab", "up", "down", "left", "right", "pageup",
           "pagedown", "home", "end", "backspace", "delete"]
FUNCTION_KEYS = [f"f{number}" for number in range(1, 13)]
CTRL_KEYS = [f"ctrl+{letter}" for letter in "abcdefghijklmnoprstuvwxyz"]
KEYS = LETTERS + DIGITS + PUNCTUATION + CONTROL * 2 + FUNCTION_KEYS + CTRL_KEYS

SIZES = (60, 200, 20, 60)  # width from..to, height from..to, as the attack used
RESIZE_CHANCE = 0.04
BURST = 12
HISTORY = 40


@dataclass
class FuzzReport:
    seed: int
    keys: int = 0
    resizes: int = 0
    visits: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> str:
        places = ", ".join(f"{name} {count}" for name, count in self.visits.items())
        return (f"seed {self.seed}: {self.keys} keys and {self.resizes} resizes in {self.seconds:.0f} s, "
                f"0 crashes; visits: {places}")


class FuzzFailure(AssertionError):
    pass


Target = tuple[str, Callable[[Any], Awaitable[None]], Callable[[Any], bool]]


@functools.cache
def _builtin_course() -> Any:
    """The built-in course, loaded once per test process (only read here): targets() used to load it
    eight times per call, 4.4 s of the CI fuzz round."""
    from tutor.packs import load_pack

    return load_pack(BUILTIN_COURSE)


def _builtin_problem(kind: str) -> tuple[str, str]:
    """(pack id, problem id) of the built-in course's first problem of ``kind``."""
    pack = _builtin_course()
    for ref in pack.problems():
        if ref.problem.kind == kind:
            return pack.id, ref.problem.id
    raise LookupError(f"the built-in course has no {kind} problem")


def _lesson_at(pack_id: str, problem_id: str | None) -> Callable[[Any], Awaitable[None]]:
    async def go(app: Any) -> None:
        if problem_id is None:
            entry = next(entry for entry in app.session.lessons() if entry.key.pack_id == pack_id)
            app.open_lesson(entry.key)
        else:
            entry, _problem = app.session.find_problem(pack_id, problem_id)
            app.open_lesson(entry.key, problem_id=problem_id)

    return go


def _on_problem(problem_id: str) -> Callable[[Any], bool]:
    def there(app: Any) -> bool:
        if type(app.screen).__name__ != "LessonScreen":
            return False
        view = app.screen.current_problem()
        return view is not None and getattr(view.rendered.problem, "id", None) == problem_id

    return there


def _screen_named(*names: str) -> Callable[[Any], bool]:
    return lambda app: type(app.screen).__name__ in names


def targets() -> list[Target]:
    """Every screen the issue lists, with how to reach it and how to tell the fuzzer is still there."""
    from tutor.progress.quiz import QuizSelection
    from tutor.ui.lab_registry import find_lab_screen

    async def home(app: Any) -> None:
        app._return_home()

    async def playground(app: Any) -> None:
        app.open_playground()

    async def quiz_setup(app: Any) -> None:
        app._return_home()
        app.open_quiz_setup()

    async def quiz(app: Any) -> None:
        app.start_quiz(QuizSelection.mixed_review(), 5, "Quiz")

    async def review(app: Any) -> None:
        app.start_quiz(QuizSelection.mixed_review(), 10, "Review")

    async def practice(app: Any) -> None:
        app.open_practice()

    async def skills(app: Any) -> None:
        app.open_skills()

    async def help_screen(app: Any) -> None:
        app._return_home()
        app.action_help()

    async def palette(app: Any) -> None:
        app._return_home()
        app.action_command_palette()

    def lab(name: str) -> Callable[[Any], Awaitable[None]]:
        async def go(app: Any) -> None:
            app._return_home()
            problem = type("LabProblem", (), {"id": f"{name}-fuzz", "lab": name, "settings": {}, "prompt": ""})()
            app.push_screen(find_lab_screen(name)(problem))

        return go

    found: list[Target] = [("home", home, _screen_named("HomeScreen"))]
    pack_id = load_pack_id()
    found.append(("lesson text", _lesson_at(pack_id, None), _screen_named("LessonScreen")))
    for kind in ("trace", "ask", "numeric", "choice", "layer", "lab", "code"):
        problem_pack, problem_id = _builtin_problem(kind)
        found.append((f"{kind} problem", _lesson_at(problem_pack, problem_id), _on_problem(problem_id)))
    found += [
        ("quiz setup", quiz_setup, _screen_named("QuizSetupScreen")),
        ("quiz", quiz, _screen_named("QuizScreen")),
        ("review", review, _screen_named("QuizScreen")),
        ("playground", playground, _screen_named("PlaygroundScreen")),
        ("practice", practice, _screen_named("PracticeScreen")),
        ("skills", skills, _screen_named("SkillsScreen")),
        ("help", help_screen, _screen_named("HelpScreen")),
        ("palette", palette, _screen_named("CommandPalette")),
    ]
    from tutor.labs import LAB_NAMES

    for name in LAB_NAMES:
        found.append((f"lab {name}", lab(name), lambda app, name=name: getattr(app.screen, "lab_name", None) == name))
    return found


def load_pack_id() -> str:
    return str(_builtin_course().id)


def make_fuzz_app(data_dir: Path) -> Any:
    from tutor.ui.app import create_app

    # The built-in course: it is the only pack with every problem kind, layer problems included.
    return create_app(data_dir=data_dir, pack_paths=[BUILTIN_COURSE], include_builtin=False, include_user=False,
                      seed=11, review_fuzzing=False, animation_interval=0.05)


async def open_builtin_lesson(pilot: Any, lesson_id: str) -> None:
    """In an app from :func:`make_fuzz_app`: wait for the course, open ``lesson_id`` and let it settle."""
    from test_ui_support import settle

    app = pilot.app
    await app.wait_until_loaded()
    await pilot.pause()
    app.open_lesson(next(entry for entry in app.session.lessons() if entry.key.lesson_id == lesson_id).key)
    await settle(pilot)


async def fuzz(data_dir: Path, *, seed: int, keys_per_target: int | None = None, seconds: float | None = None,
               only: list[str] | None = None) -> FuzzReport:
    """Fuzz every target ``keys_per_target`` keys each, or round-robin for ``seconds``; raise FuzzFailure on a crash."""
    rng = random.Random(seed)
    report = FuzzReport(seed)
    recent: deque[str] = deque(maxlen=HISTORY)
    app = make_fuzz_app(data_dir)
    started = time.monotonic()
    where = "start-up"

    def fail(reason: str) -> FuzzFailure:
        return FuzzFailure(f"{reason} (seed {seed}, target {where!r}); last keys: {' '.join(recent)}")

    try:
        async with app.run_test(size=(120, 40)) as pilot:
            # Keys before the lessons have loaded: the moment the issue found most crashes in.
            for _ in range(BURST):
                key = rng.choice(KEYS)
                recent.append(key)
                await pilot.press(key)
                report.keys += 1
            await app.wait_until_loaded()
            if app.session is None:
                raise fail(f"the lessons did not load: {app.load_error}")
            chosen = [target for target in targets() if only is None or target[0] in only]
            rounds = 0
            while True:
                for name, go_there, still_there in chosen:
                    where = name
                    sent = 0
                    budget = keys_per_target if keys_per_target is not None else BURST * 4
                    arrived = False
                    while sent < budget:
                        if not arrived or not still_there(app):
                            arrived = True
                            recent.append(f"<go {name}>")
                            await go_there(app)
                            await pilot.pause()
                            report.visits[name] = report.visits.get(name, 0) + 1
                        for _ in range(min(BURST, budget - sent)):
                            if rng.random() < RESIZE_CHANCE:
                                width, height = rng.randint(SIZES[0], SIZES[1]), rng.randint(SIZES[2], SIZES[3])
                                recent.append(f"<{width}x{height}>")
                                await pilot.resize_terminal(width, height)
                                report.resizes += 1
                            else:
                                key = rng.choice(KEYS)
                                recent.append(key)
                                await pilot.press(key)
                                report.keys += 1
                            sent += 1
                            if app._exception is not None or not app.is_running:
                                raise fail(f"the app stopped: {app._exception!r}")
                rounds += 1
                if seconds is None or time.monotonic() - started >= seconds:
                    break
    except FuzzFailure:
        raise
    except Exception as error:  # the app's own exception, re-raised by run_test
        raise fail(f"the app crashed: {type(error).__name__}: {error}") from error
    report.seconds = time.monotonic() - started
    return report
