"""Helpers for the lab screen tests (no tests here): an app per lab, waiting for its workers, answering."""

from __future__ import annotations

import asyncio
import contextlib
import functools

from textual.worker import WorkerError

# The NaN hunt draws a fresh seed from the OS whenever its seed fix is off; tests pin it.
FIXED_ENTROPY_SEED = 3
WORKER_GROUPS = ("compute", "train", "questions", "grade", "save")


def fixed_entropy() -> int:
    return FIXED_ENTROPY_SEED


def lab_app(name: str, settings=None):
    from tutor.ui.labs.app import LabApp

    options = {"entropy": fixed_entropy} if name == "nan-hunt" else {}
    return LabApp(name, settings, animation_interval=0.05, **options)


def async_test(function):
    """Run an ``async def`` test with asyncio.run (no pytest plugin needed)."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        return asyncio.run(function(*args, **kwargs))

    return wrapper


async def settle(pilot, timeout: float = 60.0) -> None:
    """Wait until the lab's questions are ready and no worker is busy, then let messages land."""
    app = pilot.app
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        await pilot.pause()
        busy = [worker for worker in app.workers if worker.is_running and worker.group in WORKER_GROUPS]
        panel = next(iter(app.screen.query("QuestionPanel")), None)
        questions_pending = panel is not None and not panel.loaded and panel.load_error is None
        computing = bool(getattr(app.screen, "busy", ""))  # a recomputation waiting for settings to settle
        if not busy and not questions_pending and not computing:
            break
        for worker in busy:  # wait for the workers themselves; the next pause lets their messages land
            with contextlib.suppress(WorkerError):  # a cancelled or failed worker is reported on screen
                await worker.wait()
    else:
        raise AssertionError("the lab's workers did not finish")
    await pilot.pause()
    await pilot.pause()
    steady(app)


def steady(app) -> None:
    """No blinking cursors: screenshots must not depend on timing."""
    from textual.widgets import Input

    for screen in app.screen_stack:
        for field in screen.query(Input):
            field.cursor_blink = False


def text_of(widget) -> str:
    """The plain text a Static holds, with wrapped lines joined by single spaces."""
    import io

    from rich.console import Console

    console = Console(width=200, file=io.StringIO(), record=True, color_system=None)
    console.print(widget.content)
    return " ".join(console.export_text().split())


def wrong_answer(question) -> str:
    """An answer the checker must refuse: another option, or a number far outside the tolerance."""
    if question.kind == "choice":
        return next(option.id for option in question.options if option.id != question.expected)
    from tutor.expr import evaluate, parse_expression

    value = float(evaluate(parse_expression(question.expected, allowed_names=set()), {}))
    return repr(value * 3 + 1000)


async def answer(pilot, panel, question, text: str) -> None:
    """Answer ``question`` (the panel's current one) the way a learner does, then wait for the grade."""
    assert panel.current is question
    if question.kind == "choice":
        options = panel.query_one("#question-options")
        options.focus()
        await pilot.pause()
        options.highlighted = [option.id for option in question.options].index(text)
        await pilot.press("enter")
    else:
        field = panel.query_one("#question-input")
        field.focus()
        await pilot.pause()
        field.value = text
        await pilot.press("enter")
    await settle(pilot)
