"""What reaches an ask or numeric problem's answer box (issue 15 §2, §4; tmux at 80x24).

- The placeholder's example is never the answer: lesson 1's first problem has the answer 14 in one
  variant in five, and the box said "e.g. 2*7 or 14".
- Digits typed while the graph (or the side pane) has the cursor go into the box; they were lost.
- A space in an empty box types nothing: it is a learner pressing space for "next step".
"""

from __future__ import annotations

from textual.app import App, ComposeResult

from tests.test_ui_support import async_test
from tutor.packs.grading import grade_answer
from tutor.packs.loader import builtin_packs_dir, load_pack
from tutor.packs.models import AskProblem, NumericProblem
from tutor.packs.placeholders import FORMULA_EXAMPLES, NUMBER_EXAMPLES, answer_placeholders
from tutor.packs.variants import render_problem

COURSE = load_pack(builtin_packs_dir() / "backprop")


def course_problem(problem_id: str):
    return next(problem for lesson in COURSE.lessons for problem in lesson.problems() if problem.id == problem_id)


def seed_where(problem, **params) -> int:
    return next(seed for seed in range(200) if render_problem(problem, seed).params == params)


class OneProblem(App):
    def __init__(self, rendered) -> None:
        super().__init__()
        self.rendered = rendered

    def compose(self) -> ComposeResult:
        from tutor.ui.widgets.factory import problem_view_for

        yield problem_view_for(self.rendered, graph_interval=0.05, id="problem")


async def shown(pilot):
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    return pilot.app.query_one("#problem")


def test_no_course_example_grades_right():
    """Every typed problem of the course at five seeds: no example its placeholder shows is a right answer."""
    examples = {versions: answers for versions, answers in NUMBER_EXAMPLES + FORMULA_EXAMPLES}
    checked = 0
    for lesson in COURSE.lessons:
        for problem in lesson.problems():
            if not isinstance(problem, (AskProblem, NumericProblem)):
                continue
            for seed in range(5):
                rendered = render_problem(problem, seed)
                chosen = answer_placeholders(rendered)
                for answer in examples.get(chosen, ()):
                    assert grade_answer(rendered, answer).verdict != "correct", (problem.id, seed, answer)
                checked += 1
    assert checked > 300


def test_the_variant_whose_answer_is_14_gets_another_example():
    problem = course_problem("chain-rates-multiply")
    fourteen = render_problem(problem, seed_where(problem, r1=2, r2=7))
    assert grade_answer(fourteen, "14").verdict == "correct"  # the coincidence this guards against
    assert "14" not in answer_placeholders(fourteen)[0]
    other = render_problem(problem, seed_where(problem, r1=3, r2=4))
    assert answer_placeholders(other) == NUMBER_EXAMPLES[0][0]


@async_test
async def test_the_box_never_shows_the_answer_as_its_example():
    problem = course_problem("chain-rates-multiply")
    app = OneProblem(render_problem(problem, seed_where(problem, r1=2, r2=7)))
    async with app.run_test(size=(80, 24)) as pilot:
        view = await shown(pilot)
        placeholder = str(view.answer_input.placeholder)
        assert "e.g." in placeholder and "14" not in placeholder


def graph_ask():
    return next(problem for lesson in COURSE.lessons for problem in lesson.problems()
                if isinstance(problem, AskProblem) and problem.graph)


@async_test
async def test_digits_typed_while_the_graph_has_the_cursor_reach_the_answer_box():
    app = OneProblem(render_problem(graph_ask(), 0))
    async with app.run_test(size=(80, 24)) as pilot:
        view = await shown(pilot)
        view.graph_view.focus()
        await pilot.pause()
        await pilot.press("1", "1", "full_stop", "5")
        assert view.answer_input.value == "11.5"
        assert app.focused is view.answer_input


@async_test
async def test_the_graphs_own_keys_still_scroll_it():
    app = OneProblem(render_problem(graph_ask(), 0))
    async with app.run_test(size=(80, 24)) as pilot:
        view = await shown(pilot)
        view.graph_view.focus()
        await pilot.pause()
        await pilot.press("h", "l", "j", "k")
        assert view.answer_input.value == ""
        assert app.focused is view.graph_view


@async_test
async def test_a_space_in_an_empty_box_types_nothing():
    problem = course_problem("chain-rates-multiply")
    app = OneProblem(render_problem(problem, 0))
    async with app.run_test(size=(80, 24)) as pilot:
        view = await shown(pilot)
        view.answer_input.focus()
        await pilot.press("space", "space", "1", "space", "4")
        assert view.answer_input.value == "1 4"


@async_test
async def test_digits_in_a_burst_while_the_graph_has_the_cursor_keep_their_order():
    from tests.test_ui_feedback import burst

    app = OneProblem(render_problem(graph_ask(), 0))
    async with app.run_test(size=(80, 24)) as pilot:
        view = await shown(pilot)
        view.graph_view.focus()
        await pilot.pause()
        await burst(pilot, "1", "2", "3", "4")
        assert view.answer_input.value == "1234"
