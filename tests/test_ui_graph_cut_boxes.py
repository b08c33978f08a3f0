"""A node box the graph pane shows only part of never shows part of a number (issue 15 §1).

A tester at 80x24 saw a practice graph scrolled sideways so that the pane's left edge went through
input ``a``'s box: ``= -1`` read ``1``. Whatever the scroll (keep_in_view, keys), every number on the
rendered screen (the compositor's strips) inside the pane must be a whole number of the drawing at that
place: a cut box is drawn with its inside blank.
"""

from __future__ import annotations

import re

from tests.test_ui_support import async_test
from tests.test_ui_workspace_visibility import screen_lines

# A number not glued to a name (z1's 1 is no number) or to another number's point.
NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?")
ROUNDS = 20  # message rounds for a paint and its scroll to settle


def build_probe():
    from tutor.graph import build_graph

    # The sigmoid neuron of the practice skill, with a negative input and numbers of several widths.
    return build_graph("L = 1/(1+exp(-(w*a + b)))", {"a": -1, "w": 2.5, "b": -0.5})


def probe_app(pane_width: int, asked: str, focus: bool):
    from textual.app import App

    from tutor.render import exercise_state
    from tutor.ui.widgets.graph_view import GraphView

    graph = build_probe()

    class PaneApp(App):
        AUTO_FOCUS = "#graph" if focus else None

        def compose(self):
            view = GraphView(graph, id="graph")
            view.styles.width = pane_width
            view.styles.height = 20
            yield view

        def on_mount(self) -> None:
            state = exercise_state(graph, revealed_values=graph.order, asked_grads=[asked])
            self.query_one(GraphView).show_state(state, asked_node=asked)

    return PaneApp()


def cut_numbers(app, view) -> list[str]:
    """Numbers on screen in the pane that are not the drawing's whole number at that place."""
    screen = screen_lines(app)
    region = view.content_region
    drawing = view.current_frame().plain.split("\n")
    x, y = round(view.scroll_x), round(view.scroll_y)
    wrong = []
    for screen_row in range(region.y, region.bottom):
        shown = screen[screen_row][region.x:region.right]
        row = screen_row - region.y + y
        line = drawing[row] if row < len(drawing) else ""
        whole = {match.start(): match.group() for match in NUMBER.finditer(line)}
        for match in NUMBER.finditer(shown):
            column = match.start() + x
            if whole.get(column) != match.group():
                wrong.append(f"row {row}: {match.group()!r} at column {column} in {line.strip()!r}")
    return wrong


async def wrong_after_settling(pilot, view) -> list[str]:
    wrong = cut_numbers(pilot.app, view)
    for _ in range(ROUNDS):
        await pilot.pause()
        wrong = cut_numbers(pilot.app, view)
    return wrong


@async_test
async def test_the_pane_kept_on_the_output_shows_no_cut_number_at_its_left_edge() -> None:
    from tutor.ui.widgets.graph_view import GraphView

    app = probe_app(pane_width=20, asked="L", focus=False)
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(GraphView)
        assert await wrong_after_settling(pilot, view) == []
        assert view.scroll_x > 0  # scrolled to the output: the inputs are out of view on the left
        assert "0.0474" in "\n".join(screen_lines(app))  # the output's value stays whole


@async_test
async def test_scrolling_by_keys_never_shows_a_cut_number() -> None:
    from tutor.ui.widgets.graph_view import GraphView

    app = probe_app(pane_width=24, asked="a", focus=True)
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(GraphView)
        await wrong_after_settling(pilot, view)
        await pilot.press("home")
        seen = []
        for _ in range(view.layout_model.width // view.SCROLL_COLUMNS + 1):
            await pilot.press("right")
            for _ in range(3):
                await pilot.pause()
            seen.extend(f"x={round(view.scroll_x)} {problem}" for problem in cut_numbers(app, view))
        assert view.scroll_x == view.max_scroll_x > 0  # it scrolled all the way
        assert seen == []


def test_a_fold_through_a_box_blanks_the_part_it_keeps() -> None:
    from rich.text import Text

    from tutor.render import FrameOptions, exercise_state, layout_for, render_frame
    from tutor.ui.widgets.graph_fold import Fold, fold_columns, fold_map, hide_cut_boxes

    graph = build_probe()
    layout = layout_for(graph)
    frame = render_frame(graph, exercise_state(graph, revealed_values=graph.order), FrameOptions(legend=False,
                         caption=False), layout=layout)
    full = list(frame.text.split("\n", allow_blank=True))[frame.graph_first_line:][:layout.height]
    box = layout.boxes["z5"]  # the fold's first band ends inside z5 (its value 21.0855 would read 21.0)
    output = layout.boxes["L"]
    fold = Fold(0, box.left + 7, output.left - 3, layout.width)
    folded = fold_columns(full, fold, layout.width, "┆")
    shown = hide_cut_boxes(folded, full, layout.boxes.values(), fold_map(fold, fold.length),
                           fold_map(None, layout.height), (0, fold.length))
    plain = [line.plain for line in shown]
    assert any("= 21.┆" in line.plain for line in folded)  # without hiding, the cut number shows
    assert not any(re.search(r"21\.0|= 21", line) for line in plain)
    assert any("0.0474" in line for line in plain)  # the output, whole, keeps its value
    assert isinstance(shown[0], Text)
