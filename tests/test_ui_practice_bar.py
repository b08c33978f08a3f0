"""The line over a practice problem fits an 80-column terminal for every practice skill."""

from __future__ import annotations

from test_ui_support import async_test

from tutor.practice.skills import skill
from tutor.ui.screens.practice import bar_text, practice_skills


def test_the_practice_bar_fits_80_columns_for_the_longest_skill_title():
    longest = max((skill(skill_id).title for skill_id in practice_skills()), key=len)
    text = bar_text(longest, 5, 1.0, 999)
    assert text.cell_len <= 78, text.plain  # the bar's padding takes the other two columns
    assert text.plain.endswith("999 done")


@async_test
async def test_practice_interleaves_after_three_graphs_on_the_same_skill(tmp_path):
    """The weakest skill comes three times running, then another one for a graph (tmux: five
    'sum over paths' graphs in a row, all one template, mastery up 2-3% each)."""
    from datetime import UTC, datetime, timedelta

    from test_ui_practice import until_made
    from ui_key_fuzz_support import make_fuzz_app

    from tutor.practice.mastery import SkillEvent
    from tutor.progress import ProgressStore
    from tutor.ui.screens.practice import SAME_SKILL_RUN

    now = datetime.now(UTC)
    with ProgressStore.open(tmp_path) as store:
        store.record_skill_events([SkillEvent("fan-out", False, 1, now - timedelta(minutes=9 - n)) for n in range(4)])
    app = make_fuzz_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.wait_until_loaded()
        await pilot.pause()
        await pilot.press("x")
        await until_made(pilot)
        skills = [app.screen.generated.skill]
        for _ in range(SAME_SKILL_RUN):
            await pilot.press("pagedown")  # skipped: no evidence, so fan-out stays the weakest
            await until_made(pilot)
            skills.append(app.screen.generated.skill)
        assert skills[:SAME_SKILL_RUN] == ["fan-out"] * SAME_SKILL_RUN
        assert skills[SAME_SKILL_RUN] != "fan-out"
