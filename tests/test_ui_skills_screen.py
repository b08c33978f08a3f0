"""The skills screen (issue 16 §3): the report `stats` prints, with full skill titles, the lesson for each
frequent mistake, the practice-days heatmap and streaks, and links that open those lessons."""

from __future__ import annotations

from datetime import timedelta

from test_ui_support import FrozenClock, async_test, widget_text
from ui_key_fuzz_support import make_fuzz_app

from tutor.practice.mastery import SkillEvent
from tutor.practice.report import report_lines


@async_test
async def test_the_skills_screen_shows_the_stats_report_and_opens_the_lesson_for_a_mistake(tmp_path):
    clock = FrozenClock()
    app = make_fuzz_app(tmp_path)
    app.options.clock = clock
    async with app.run_test(size=(80, 24)) as pilot:
        await app.wait_until_loaded()
        await pilot.pause()
        events = [SkillEvent("upstream", False, 2, clock.now - timedelta(minutes=m), "missing-upstream")
                  for m in (9, 6)]
        events += [SkillEvent("local-factor", True, 2, clock.now - timedelta(minutes=3))]
        app.session.store.record_skill_events(events)
        await pilot.press("s")
        await pilot.pause()
        screen = app.screen
        assert type(screen).__name__ == "SkillsScreen"
        text = widget_text(screen.query_one("#skills-table"))
        # Full titles: cut to 27 characters both read "Multiply by the ...".
        assert "Multiply by the upstream gradient" in text and "Multiply by the local derivative" in text
        assert "missing-upstream ×2  → lesson 2\n" in text  # short: a line fits 80 columns
        assert all(len(line) <= 78 for line in text.splitlines()), text
        assert "Streak: 1 day now" in text and "Days practised" in text  # the heatmap, as in stats
        assert all(line in text for line in report_lines(app.session.skill_events(), clock.now.date())[:2])
        assert app.focused is screen.query_one("#skills-lessons")
        await pilot.press("enter")
        await pilot.pause()
        lesson = app.screen
        assert type(lesson).__name__ == "LessonScreen" and lesson.entry.position == 2
        assert "The backward pass" in str(lesson.steps[lesson.index].text)  # the step that teaches the rule
