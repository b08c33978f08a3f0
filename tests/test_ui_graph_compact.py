"""The graph pane's compact node style (issue 15 §1) and its caption, on the rendered screen.

A course graph that does not fit its pane at 80x24 is drawn compact there, whole, and normal again
once the terminal grows to 120x40. A drawing whose bottom row would sit under the caption docked at
the pane's foot scrolls that row into view.
"""

from __future__ import annotations

from tests.test_ui_support import async_test, settle
from tests.test_ui_workspace_visibility import box_block, builtin_app, drawn_whole, screen_lines

# Lesson 2's trace of L = (a*b + c)^2: 56 columns normally, too wide beside the table at 80x24 and too
# tall to go above it; 44 columns compact, which fit beside it.
PROBLEM = ("backprop", "graphs", "graphs-trace-abc")
ROUNDS = 30  # message rounds a resize may take to settle


def nodes_not_whole(app, graph_view) -> list[str]:
    screen = screen_lines(app)
    return [node_id for node_id in graph_view.graph.order if not drawn_whole(screen, box_block(graph_view, node_id))]


async def settled(pilot, graph_view, compact: bool) -> list[str]:
    """Nodes not drawn whole once the pane has taken the expected style (bounded wait)."""
    missing = nodes_not_whole(pilot.app, graph_view)
    for _ in range(ROUNDS):
        if graph_view.compact == compact and not missing:
            break
        await pilot.pause()
        missing = nodes_not_whole(pilot.app, graph_view)
    return missing


@async_test
async def test_a_graph_too_big_at_80x24_is_drawn_compact_and_whole_then_normal_at_120x40(tmp_path) -> None:
    from tutor.ui.session import LessonKey

    app = builtin_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.wait_until_loaded()
        pack_id, lesson_id, problem_id = PROBLEM
        app.open_lesson(LessonKey(pack_id, lesson_id), problem_id=problem_id)
        await settle(pilot)
        graph_view = app.screen.current_problem().graph_view
        normal_width, normal_height = graph_view.drawing_size()
        region = graph_view.content_region
        assert normal_width > region.width or normal_height > region.height  # the normal drawing does not fit
        assert await settled(pilot, graph_view, compact=True) == []
        assert graph_view.compact
        assert "┌a─" in "\n".join(screen_lines(app))  # compact boxes: the title right against the corner

        await pilot.resize_terminal(120, 40)
        await settle(pilot)
        assert await settled(pilot, graph_view, compact=False) == []
        assert not graph_view.compact
        assert "┌ a ─" in "\n".join(screen_lines(app))

        await pilot.resize_terminal(80, 24)  # and back: the choice is made again on every resize
        await settle(pilot)
        assert await settled(pilot, graph_view, compact=True) == []
        assert graph_view.compact


def caption_app(pane_width: int, pane_height: int, asked: str):
    from textual.app import App

    from tutor.render import exercise_state
    from tutor.ui.widgets.graph_view import GraphView

    graph = build_probe()

    class PaneApp(App):
        AUTO_FOCUS = None  # as in the workspace, where the table has the focus (an unfocused pane may fold)

        def compose(self):
            view = GraphView(graph, id="graph")
            view.styles.width = pane_width
            view.styles.height = pane_height
            yield view

        def on_mount(self) -> None:
            state = exercise_state(graph, revealed_values=graph.order, asked_grads=[asked],
                                   caption="Next: the gradient of the loss with respect to this input")
            self.query_one(GraphView).show_state(state, asked_node=asked)

    return PaneApp(), graph


async def caption_case(pane_width: int, extra_rows: int) -> list[str]:
    """The lowest box (c) asked, in a pane whose rows are exactly the drawing's (plus ``extra_rows``)."""
    from tutor.render import layout_for
    from tutor.render.labels import COMPACT
    from tutor.ui.widgets.graph_view import GraphView

    compact = layout_for(build_probe(), COMPACT)
    assert compact.boxes["c"].bottom == compact.height - 1  # c's bottom border is the drawing's last row
    app, _graph = caption_app(pane_width, compact.height + 2 + extra_rows, "c")
    async with app.run_test(size=(100, 30)) as pilot:
        view = app.query_one(GraphView)
        missing = ["c", "L"]
        for _ in range(ROUNDS):
            await pilot.pause()
            screen = screen_lines(app)
            missing = [node for node in ("c", "L") if not drawn_whole(screen, box_block(view, node))]
            if not missing and view.compact:
                break
        assert view.compact  # the normal drawing is taller than the pane
        assert view.layout_model.height == compact.height
        return missing


def build_probe():
    from tutor.graph import build_graph

    return build_graph("L = (a*b + c)^2", {"a": 3, "b": -3, "c": 2.5})  # c is the lowest box


@async_test
async def test_a_drawing_exactly_as_tall_as_its_pane_scrolls_its_last_row_out_from_under_the_caption() -> None:
    # The caption is docked over the pane's last row. Wide enough for the drawing: no scrollbars of their own.
    assert await caption_case(pane_width=70, extra_rows=0) == []


@async_test
async def test_the_last_row_comes_out_from_under_the_caption_with_a_horizontal_scrollbar_too() -> None:
    # Narrower than the drawing: a horizontal scrollbar takes a row as well, and c sits at the far left.
    assert await caption_case(pane_width=30, extra_rows=1) == []


@async_test
async def test_the_vertical_scrollbar_the_caption_brings_does_not_hide_the_output_at_the_right_edge() -> None:
    # Exactly as wide as the compact drawing: the vertical scrollbar (the drawing and the caption are
    # one row taller than the pane) takes two columns, so the output at the right edge must scroll in.
    from tutor.render import layout_for
    from tutor.render.labels import COMPACT

    compact = layout_for(build_probe(), COMPACT)
    assert compact.boxes["L"].right == compact.width - 1  # the output's right border is the drawing's last column
    assert await caption_case(pane_width=compact.width + 2, extra_rows=0) == []
