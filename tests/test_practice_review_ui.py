"""Review by skill in the tutor (issue 16 §3): a skill FSRS has due comes back in Practice as a fresh graph."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from test_ui_practice import until_made
from test_ui_support import async_test
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
