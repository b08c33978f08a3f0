"""The answer box's placeholder is shown whole at 80x24 (issue 15 §4): beside the graph the box is only
22-26 columns wide, and the fixed "your answer, e.g. 2*7 or 14" was cut to "your answer, e.g. 2*7 o".
The box now shows the longest of its placeholders that fits. The tests read the rendered screen."""

from __future__ import annotations

import pytest

from tests.test_ui_support import FrozenClock, async_test, settle
from tutor.ui.widgets.answer_input import fitting_placeholder
from tutor.ui.widgets.problems import ANSWER_PLACEHOLDERS, FORMULA_PLACEHOLDERS

LAYOUT_ROUNDS = 30  # message rounds a problem may take to arrange its panes (and resize the box)


def screen_text(app) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def builtin_app(tmp_path):
    from tutor.ui.app import create_app

    return create_app(data_dir=tmp_path, include_builtin=True, include_user=False, clock=FrozenClock(), seed=3,
                      review_fuzzing=False, animation_interval=0.05)


def course_graph_asks() -> list[tuple[str, str, str]]:
    from tutor.packs.loader import builtin_packs_dir, load_pack

    pack = load_pack(builtin_packs_dir() / "backprop")
    return [(pack.id, lesson.id, step.id) for lesson in pack.lessons for step in lesson.steps
            if step.kind == "ask" and getattr(step, "graph", False)]


async def placeholder_shown_whole(pilot, view) -> str | None:
    """The placeholder the box shows, once it is found whole on the screen (None if it never is)."""
    for _ in range(LAYOUT_ROUNDS):
        placeholder = str(view.answer_input.placeholder)
        if placeholder in screen_text(pilot.app):
            return placeholder
        await pilot.pause()
    return None


def test_the_longest_placeholder_that_fits_is_chosen() -> None:
    assert fitting_placeholder(ANSWER_PLACEHOLDERS, 80) == "your answer, e.g. 2*7 or 14"
    assert fitting_placeholder(ANSWER_PLACEHOLDERS, 22) == "e.g. 2*7 or 14"
    assert fitting_placeholder(ANSWER_PLACEHOLDERS, 3) == "e.g. 14"  # nothing fits: the shortest
    assert fitting_placeholder(FORMULA_PLACEHOLDERS, 20) == "e.g. 6*(2*x + 1)^2"


@async_test
async def test_every_graph_ask_of_the_course_shows_its_whole_placeholder_at_80x24(tmp_path):
    from tutor.ui.session import LessonKey

    problems = course_graph_asks()
    assert len(problems) > 20  # the course has dozens; an empty list would prove nothing
    app = builtin_app(tmp_path)
    cut: list[str] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await app.wait_until_loaded()
        for pack_id, lesson_id, problem_id in problems:
            app.open_lesson(LessonKey(pack_id, lesson_id), problem_id=problem_id)
            await settle(pilot)
            view = app.screen.current_problem()
            assert view is not None and view.problem.id == problem_id
            shown = await placeholder_shown_whole(pilot, view)
            if shown is None:
                cut.append(f"{lesson_id}/{problem_id}: {view.answer_input.placeholder!r} cut\n{screen_text(app)}")
            else:
                assert shown in ANSWER_PLACEHOLDERS + FORMULA_PLACEHOLDERS and "e.g." in shown
    assert not cut, "\n".join(cut)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
@async_test
async def test_a_problem_without_a_graph_shows_the_long_placeholder(tmp_path, size):
    """With the whole width for the box, the learner gets the full sentence, formula or number."""
    from tutor.ui.session import LessonKey

    app = builtin_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        await app.wait_until_loaded()
        for lesson_id, problem_id, placeholder in (("chain-rule", "chain-derivative-exp", FORMULA_PLACEHOLDERS[0]),
                                                    ("multiple-paths", "paths-sum-formula", ANSWER_PLACEHOLDERS[0])):
            app.open_lesson(LessonKey("backprop", lesson_id), problem_id=problem_id)
            await settle(pilot)
            view = app.screen.current_problem()
            assert await placeholder_shown_whole(pilot, view) == placeholder, screen_text(app)
