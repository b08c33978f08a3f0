"""The workspace keeps the asked node and the output node on screen at every terminal size (issue 15).

Every trace, graph ask and layer problem of the built-in course, and the playground's sample program,
is opened headlessly at 80x24, 100x30 and 120x40. The test reads the characters on the rendered
screen (the compositor's output, not the layout's intentions) and looks for each wanted node's box
there, row after row at one column: a box cut at a pane edge is not found.
"""

from __future__ import annotations

import pytest

from tests.test_ui_support import FrozenClock, async_test, settle

SIZES = [(80, 24), (100, 30), (120, 40)]
LAYOUT_ROUNDS = 30  # message rounds a problem may take to arrange its panes
# Each size's problems in two apps (every other problem each), so the two test workers share the
# longest test of the suite instead of one worker running a whole size alone at the end.
PARTS = 2


def screen_lines(app) -> list[str]:
    """The characters the terminal would show now, one string per row."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def box_block(graph_view, node_id: str) -> list[str]:
    """The rows of ``node_id``'s box exactly as the pane draws it now."""
    frame = graph_view.current_frame()
    box = graph_view.layout_model.boxes[node_id]
    lines = frame.plain.split("\n")
    block = []
    for row in range(box.top, box.bottom + 1):
        line = lines[frame.graph_first_line + row].ljust(box.right + 1)
        block.append(line[box.left:box.right + 1])
    return block


def drawn_whole(screen: list[str], block: list[str]) -> bool:
    for top, line in enumerate(screen[: len(screen) - len(block) + 1]):
        column = line.find(block[0])
        while column != -1:
            if all(screen[top + offset][column:column + len(part)] == part for offset, part in enumerate(block)):
                return True
            column = line.find(block[0], column + 1)
    return False


def wanted_nodes(view) -> list[str]:
    """The node the problem asks about now, and the output node — read off the problem, not the pane."""
    graph = view.graph_view.graph
    if view.problem.kind == "trace":
        entry = view.progress.next_open if view.focused_entry() is None else view.focused_entry()
        asked = None if entry is None else entry.node_id
    else:
        asked = view.problem.ask.partition(":")[2].partition("/")[0]
    wanted = [graph.output]
    if asked and asked != graph.output:
        wanted.insert(0, asked)
    return wanted


def course_problems() -> list[tuple[str, str, str]]:
    from tutor.packs.loader import builtin_packs_dir, load_pack

    pack = load_pack(builtin_packs_dir() / "backprop")
    found = []
    for lesson in pack.lessons:
        for step in lesson.steps:
            graph_ask = step.kind == "ask" and getattr(step, "graph", False)
            if step.kind in ("trace", "layer") or graph_ask:
                found.append((pack.id, lesson.id, step.id))
    return found


def builtin_app(tmp_path):
    from tutor.ui.app import create_app

    return create_app(data_dir=tmp_path, include_builtin=True, include_user=False, clock=FrozenClock(), seed=3,
                      review_fuzzing=False, animation_interval=0.05)


def check_view(app, view, where: str) -> list[str]:
    """What is missing from the screen for this problem view (empty when all is well)."""
    screen = screen_lines(app)
    if view.problem.kind == "layer":
        return check_layer_view(view, screen, where)
    missing = []
    for node_id in wanted_nodes(view):
        if not drawn_whole(screen, box_block(view.graph_view, node_id)):
            missing.append(f"{where}: node {node_id} not drawn whole")
    return missing


def check_layer_view(view, screen: list[str], where: str) -> list[str]:
    """A layer problem: the row of the drawing that holds the quantity asked for first is on screen."""
    entry = view.progress.next_open
    if entry is None:
        return []
    text = "\n".join(screen)
    # The drawing names each quantity it shows; the asked one is among them.
    if entry.name not in text:
        return [f"{where}: quantity {entry.name} not on screen"]
    return []


async def check_when_laid_out(pilot, view, where: str) -> list[str]:
    """What is missing once the workspace has finished arranging itself.

    Opening a problem resizes the panes and then scrolls the graph after the next refresh; on a
    loaded machine that takes a few more message rounds, so wait for them (bounded) rather than read
    a half-arranged screen. A node that never comes into view still fails.
    """
    missing = check_view(pilot.app, view, where)
    for _ in range(LAYOUT_ROUNDS):
        if not missing:
            break
        await pilot.pause()
        missing = check_view(pilot.app, view, where)
    if missing:  # show what the learner would have seen, to tell a layout bug from a slow machine
        missing.append("\n".join(screen_lines(pilot.app)))
    return missing


@pytest.mark.parametrize("part", range(PARTS), ids=[f"part{part + 1}of{PARTS}" for part in range(PARTS)])
@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
@async_test
async def test_every_course_graph_problem_shows_its_asked_node_and_output_whole(tmp_path, size, part):
    from tutor.ui.session import LessonKey

    app = builtin_app(tmp_path)
    problems = course_problems()
    assert len(problems) > 40  # the course has dozens of these; an empty list would prove nothing
    missing: list[str] = []
    async with app.run_test(size=size) as pilot:
        await app.wait_until_loaded()
        for pack_id, lesson_id, problem_id in problems[part::PARTS]:  # the parts together open every problem
            app.open_lesson(LessonKey(pack_id, lesson_id), problem_id=problem_id)
            await settle(pilot)
            view = app.screen.current_problem()
            assert view is not None and view.problem.id == problem_id
            missing += await check_when_laid_out(pilot, view, f"{lesson_id}/{problem_id}")
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
@async_test
async def test_playground_sample_shows_its_asked_node_and_output_whole(tmp_path, size):
    app = builtin_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        await app.wait_until_loaded()
        app.open_playground()
        await settle(pilot)
        for _ in range(50):  # the sample program is built in a worker
            await pilot.pause()
            views = list(app.screen.query("TraceProblemView"))
            if views:
                break
        else:
            await app.workers.wait_for_complete()
        await settle(pilot)
        await pilot.pause()
        view = app.screen.query_one("TraceProblemView")
        assert await check_when_laid_out(pilot, view, "playground") == []


@pytest.mark.parametrize("size", [(80, 24), (100, 30)], ids=["80x24", "100x30"])
@async_test
async def test_the_entry_being_typed_stays_in_view_after_a_wrong_answer_elsewhere_in_the_graph(tmp_path, size):
    """After a right answer for c and a wrong one for b, the graph's last explained step is c's;
    the learner is still typing b, at the far left of a graph wider than the pane, so b must be whole."""
    from tests.test_ui_support import loaded, make_app, type_text

    app = make_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        await loaded(pilot)
        await pilot.press("enter")  # the fixture pack's first lesson: a text step
        await settle(pilot)
        await pilot.press("space")  # on to the trace of L = (a*b + c)^2
        await settle(pilot)
        for text in ("6", "7", "49", "1", "14", "14", "14", "14"):  # the last one, for b, is wrong
            await type_text(pilot, text)
            await pilot.press("enter")
            await settle(pilot)
        view = app.screen.current_problem()
        assert view.focused_entry() is not None and view.focused_entry().node_id == "b"
        assert await check_when_laid_out(pilot, view, "fixture trace") == []
