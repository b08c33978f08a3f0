"""Review by skill in the tutor (issue 16 §3): a skill FSRS has due comes back as a fresh graph, in Practice
and in the mixed review."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from test_ui_practice import until_made
from test_ui_support import async_test, type_text
from ui_key_fuzz_support import make_fuzz_app

from tutor.practice.mastery import SkillEvent, next_skill, ratings
from tutor.progress import ProgressStore


@async_test
async def test_a_due_skill_is_practised_before_the_weakest_one(tmp_path):
    now = datetime.now(UTC)
    events = [SkillEvent("local-mul", False, 1, now - timedelta(days=4), "sign-flip")]  # due again by now
    events += [SkillEvent("local-add", False, 1, now - timedelta(minutes=10 - n), "sign-flip") for n in range(3)]
    with ProgressStore.open(tmp_path) as store:
        store.record_skill_events(events)
    assert next_skill(ratings(events)) == "local-add"  # by mastery alone: the weakest skill
    app = make_fuzz_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.wait_until_loaded()
        await pilot.pause()
        await pilot.press("x")
        await until_made(pilot)
        generated = app.screen.generated
        # local-add is weaker but was just practised; local-mul is due, so it comes first.
        assert generated is not None and generated.skill == "local-mul"
        assert generated.program  # a generated graph, not a problem from the course


async def until_question(pilot) -> None:
    """Wait for the review's question (and any skill-evidence saves) to settle."""
    app = pilot.app
    for _ in range(400):
        await pilot.pause()
        busy = [worker for worker in app.workers if worker.is_running and worker.group in ("save", "grade")]
        if not busy and app.screen.query("#question > *"):
            break
        for worker in busy:
            await worker.wait()
    await pilot.pause()


@async_test
async def test_a_due_skill_appears_in_the_review_with_a_new_graph(tmp_path):
    from tutor.graph import build_graph
    from tutor.graph.model import format_number
    from tutor.progress.review import due_skills
    from tutor.ui.screens.practice import practice_level

    now = datetime.now(UTC)
    with ProgressStore.open(tmp_path) as store:
        store.record_skill_events([SkillEvent("local-mul", False, 1, now - timedelta(days=4), "sign-flip")])
    app = make_fuzz_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.wait_until_loaded()
        await pilot.pause()
        assert app.session.reviews_due() == 0  # no problem is due: the skill alone opens the review
        review_line = str(app.screen.query_one("#lessons").get_option("action:review").prompt)
        assert "0 due · 1 skill due" in review_line, review_line  # the home list says so
        await pilot.press("r")
        await until_question(pilot)
        screen = app.screen
        assert type(screen).__name__ == "QuizScreen"
        generated = screen.generated
        assert generated is not None and generated.skill == "local-mul"
        assert generated.level == practice_level(app.session.skill_events(), "local-mul")
        view = screen.view
        assert view.rendered.problem.id.startswith("practice-local-mul-")  # generated now, not a stored problem
        assert "skill due" in str(screen.query_one("#quiz-bar").render())
        graph = build_graph(generated.program, generated.at)
        for entry in view.progress.entries:
            kind, _, node = entry.ask.partition(":")
            number = graph.nodes[node].value if kind == "value" else graph.nodes[node].grad
            view.row_for(entry.ask).input.focus()
            await pilot.pause()
            await type_text(pilot, format_number(number))
            await pilot.press("enter")
            await until_question(pilot)
        assert view.completed == "solved"
        events = app.session.skill_events()
        assert any(event.skill == "local-mul" and event.correct for event in events)
        assert "local-mul" not in due_skills(events, app.session.clock())  # reviewed: not due any more
        assert not app.session.store.attempts(pack_id="skill-review")  # no problem card for a generated graph


def test_the_review_takes_due_problems_and_due_skills_in_turn():
    from tutor.progress import ProblemRef
    from tutor.progress.review import mixed_with_skills, review_skill_of, skill_review_refs

    problems = [ProblemRef("pack", "lesson", f"p{n}") for n in range(3)]
    skills = skill_review_refs(["local-mul", "fan-out", "upstream", "signs"])
    assert [review_skill_of(ref) for ref in skills] == ["local-mul", "fan-out", "upstream"]  # at most 3
    mixed = mixed_with_skills(problems[:1], skills)
    assert [review_skill_of(ref) or ref.problem_id for ref in mixed] == ["p0", "local-mul", "fan-out", "upstream"]
    assert [ref.problem_id for ref in mixed_with_skills(problems, [])] == ["p0", "p1", "p2"]
    assert review_skill_of(problems[0]) is None
