"""Shared helpers for the UI tests (no tests here): the fixture pack and an app factory."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

FIXTURE_PACK = Path(__file__).parent / "fixtures" / "ui-pack.yaml"
FROZEN_NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


class FrozenClock:
    """A clock the test moves by hand (review schedules are computed against it)."""

    def __init__(self, now: datetime = FROZEN_NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def make_app(data_dir, *, clock=None, seed: int = 7, extra_packs=(), animation_interval: float = 0.05):
    from tutor.ui.app import create_app

    return create_app(
        data_dir=data_dir,
        pack_paths=[FIXTURE_PACK, *extra_packs],
        include_builtin=False,
        include_user=False,
        clock=clock or FrozenClock(),
        seed=seed,
        review_fuzzing=False,
        animation_interval=animation_interval,
    )


async def loaded(pilot) -> None:
    """Wait for the packs to load and the home screen to fill in."""
    await pilot.app.wait_until_loaded()
    await pilot.pause()


async def settle(pilot) -> None:
    """Wait for grading workers and the messages they post."""
    app = pilot.app
    for _ in range(200):
        await pilot.pause()
        busy = [worker for worker in app.workers if worker.is_running and worker.group in ("grade", "save")]
        if not busy:
            break
        for worker in busy:
            await worker.wait()
    await pilot.pause()
    no_blinking(app)


def no_blinking(app) -> None:
    """A blinking cursor would make screenshots depend on timing."""
    from textual.widgets import Input

    for screen in app.screen_stack:
        for field in screen.query(Input):
            field.cursor_blink = False


async def type_text(pilot, text: str) -> None:
    await pilot.press(*[{" ": "space"}.get(character, character) for character in text])


async def open_lesson(pilot, title_words: str) -> None:
    """Filter the home list by ``title_words`` and open the lesson it leaves."""
    await pilot.press("slash")
    await type_text(pilot, title_words)
    await pilot.press("enter")
    await settle(pilot)


async def answer(pilot, text: str) -> None:
    """Type an answer into the focused box and submit it."""
    await type_text(pilot, text)
    await pilot.press("enter")
    await settle(pilot)


def async_test(function):
    """Run an ``async def`` test with asyncio.run (no pytest plugin needed)."""
    import asyncio
    import functools

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        return asyncio.run(function(*args, **kwargs))

    return wrapper


def widget_text(widget, *, flat: bool = False) -> str:
    """The text a Static-like widget holds, laid out at the widget's width (independent of repaint timing).

    ``flat`` joins the wrapped lines with single spaces, for checking sentences.
    """
    import io

    from rich.console import Console

    console = Console(width=max(widget.size.width, 60), file=io.StringIO(), record=True, color_system=None)
    console.print(widget.content)
    text = console.export_text()
    return " ".join(text.split()) if flat else text
