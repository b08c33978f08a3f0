"""Snapshots (pytest-textual-snapshot) of the main screens at the smallest and the comfortable size.

Regenerate after an intended change with ``pytest tests/test_ui_snapshots.py --snapshot-update`` and
look at the report before committing. The fixture pack keeps them independent of the curriculum.
"""

from __future__ import annotations

import pytest
from test_ui_support import loaded, make_app, no_blinking, settle, type_text

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


async def open_first_lesson(pilot) -> None:
    await loaded(pilot)
    await pilot.press("enter")  # "Start: Tracing a small graph"
    await settle(pilot)


@pytest.mark.parametrize("size", SIZES)
def test_home(snap_compare, tmp_path, size):
    async def run_before(pilot):
        await loaded(pilot)
        no_blinking(pilot.app)

    assert snap_compare(make_app(tmp_path), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_lesson_text_step(snap_compare, tmp_path, size):
    async def run_before(pilot):
        await open_first_lesson(pilot)
        no_blinking(pilot.app)

    assert snap_compare(make_app(tmp_path), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_trace_workspace_mid_backward_pass(snap_compare, tmp_path, size):
    async def run_before(pilot):
        await open_first_lesson(pilot)
        await pilot.press("space")
        await settle(pilot)
        for text in ("6", "7", "49", "1", "14", "14", "14", "14"):  # the last one is the diagnosed mistake
            await type_text(pilot, text)
            await pilot.press("enter")
            await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)

    assert snap_compare(make_app(tmp_path), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_help(snap_compare, tmp_path, size):
    async def run_before(pilot):
        await loaded(pilot)
        await pilot.press("f1")
        await settle(pilot)

    assert snap_compare(make_app(tmp_path), terminal_size=size, run_before=run_before)


def test_trace_workspace_in_the_compact_node_style(snap_compare, tmp_path):
    """At 70x24 the graph fits beside the table only in its compact node style (issue 15 §1)."""
    async def run_before(pilot):
        await open_first_lesson(pilot)
        await pilot.press("space")
        await settle(pilot)
        for text in ("6", "7", "49"):  # the forward pass, right; the gradients still open
            await type_text(pilot, text)
            await pilot.press("enter")
            await settle(pilot)
        view = pilot.app.screen.current_problem()
        for _ in range(20):  # the pane takes its style once the workspace is arranged
            if view.graph_view.compact:
                break
            await pilot.pause()
        assert view.graph_view.compact
        no_blinking(pilot.app)

    assert snap_compare(make_app(tmp_path), terminal_size=(70, 24), run_before=run_before)
