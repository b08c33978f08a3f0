"""Count the built-in course's graph problems whose whole graph is drawn on screen (issue 15 §1).

Every trace and graph-ask problem of the built-in course is opened headlessly at 80x24, 100x30
and 120x40, as tests/test_ui_workspace_visibility.py does. A problem counts when every node's box,
exactly as the pane draws it, is found whole in the rendered screen (the compositor's output, not
the layout's intentions). Layer problems draw no node graph and are left out. The graph pane is
left unfocused, as a learner typing in the table sees it (a fold hides boxes: those problems do not
count). Prints the count per size, and with --list the problems that do not fit.

Run from the repository root:  python benchmarks/bench_graph_fit.py [--sizes 80x24,120x40] [--list]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.test_ui_support import settle  # noqa: E402
from tests.test_ui_workspace_visibility import (  # noqa: E402
    box_block,
    builtin_app,
    course_problems,
    drawn_whole,
    screen_lines,
)

ROUNDS = 12  # message rounds to wait for a problem's panes to settle before reading the screen


def missing_nodes(app, view) -> list[str]:
    screen = screen_lines(app)
    graph_view = view.graph_view
    return [node_id for node_id in graph_view.graph.order
            if not drawn_whole(screen, box_block(graph_view, node_id))]


async def count_at(size: tuple[int, int], listing: bool) -> tuple[int, int, list[str]]:
    from tutor.ui.session import LessonKey
    from tutor.ui.widgets.graph_view import GraphView

    with tempfile.TemporaryDirectory() as folder:
        app = builtin_app(Path(folder))
        whole = total = 0
        not_whole: list[str] = []
        async with app.run_test(size=size) as pilot:
            await app.wait_until_loaded()
            for pack_id, lesson_id, problem_id in course_problems():
                app.open_lesson(LessonKey(pack_id, lesson_id), problem_id=problem_id)
                await settle(pilot)
                view = app.screen.current_problem()
                if not isinstance(getattr(view, "graph_view", None), GraphView):
                    continue
                total += 1
                missing = missing_nodes(app, view)
                for _ in range(ROUNDS):
                    if not missing:
                        break
                    await pilot.pause()
                    missing = missing_nodes(app, view)
                if missing:
                    style = "compact" if getattr(view.graph_view, "compact", False) else "normal"
                    not_whole.append(f"{lesson_id}/{problem_id} ({style}): {', '.join(missing)}")
                else:
                    whole += 1
        return whole, total, not_whole


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="80x24,100x30,120x40")
    parser.add_argument("--list", action="store_true", help="name the problems whose graph is not drawn whole")
    arguments = parser.parse_args()
    for text in arguments.sizes.split(","):
        width, height = (int(part) for part in text.split("x"))
        whole, total, not_whole = asyncio.run(count_at((width, height), arguments.list))
        print(f"{width}x{height}: whole graph drawn for {whole} of {total} graph problems", flush=True)
        if arguments.list:
            for line in not_whole:
                print("   ", line)


if __name__ == "__main__":
    main()
