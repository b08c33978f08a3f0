"""The skills report `backprop-tutor stats` prints: mastery per skill, the practice-days heatmap, streaks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from tutor.practice.mastery import SkillEvent
from tutor.practice.report import EMPTY, heatmap_lines, report_lines, streaks

TODAY = date(2026, 12, 3)  # a Thursday


def test_the_heatmap_has_a_row_per_weekday_and_a_column_per_week_shaded_by_count():
    counts = {TODAY: 1, TODAY - timedelta(days=1): 5, TODAY - timedelta(days=2): 15, TODAY - timedelta(days=3): 40,
              TODAY - timedelta(weeks=11, days=3): 2}  # the Monday of the first week shown
    lines = heatmap_lines(counts, TODAY)
    header, rows = lines[0], lines[1:]
    assert len(rows) == 7 and rows[0].startswith("Mon") and rows[6].startswith("Sun")
    cells = [row[4:].split(" ") for row in rows]
    assert all(len(row) == 12 for row in cells[:4])  # Mon-Thu reach today's week
    assert all(len(row) == 11 for row in cells[4:])  # Fri-Sun of this week are still to come: blank
    assert [cells[day][-1] for day in range(4)] == ["█", "▓", "▒", "░"]  # Mon 40, Tue 15, Wed 5, Thu 1
    assert cells[0][0] == "░" and cells[1][0] == EMPTY
    assert "Sep" in header and "Oct" in header and "Nov" in header and "Dec" in header
    assert max(len(line) for line in lines) <= 6 + 2 * 12


def test_streaks_count_up_to_today_or_yesterday():
    days = [TODAY - timedelta(days=n) for n in (1, 2, 3, 10, 11, 12, 13, 14)]
    assert streaks(days, TODAY) == streaks(days, TODAY)  # deterministic
    found = streaks(days, TODAY)
    assert (found.current, found.longest, found.days) == (3, 5, 8)  # nothing today yet: the run up to yesterday
    assert streaks([*days, TODAY], TODAY).current == 4
    assert streaks(days, TODAY + timedelta(days=2)).current == 0


def test_the_report_shows_mastery_mistakes_and_days():
    at = datetime(2026, 12, 1, 9, tzinfo=UTC)
    events = [SkillEvent("upstream", False, 1, at, "missing-upstream"),
              SkillEvent("upstream", False, 1, at + timedelta(minutes=1), "missing-upstream"),
              *[SkillEvent("fan-out", True, 2, at + timedelta(days=1, minutes=n)) for n in range(6)]]
    text = "\n".join(report_lines(events, TODAY))
    assert "missing-upstream ×2" in text
    lines = text.splitlines()
    paths = next(line for line in lines if line.startswith("Sum over paths"))
    upstream = next(line for line in lines if line.startswith("Multiply by the upstream"))
    assert paths.split()[-2:] == ["6", "✓"] or paths.split()[-1] == "6"  # six answers, all right
    assert paths.count("█") > upstream.count("█")  # right answers rate higher than wrong ones
    assert "Streak: 2 days now, longest 2; 2 days in all" in text  # Dec 1-2, nothing yet on Dec 3
    assert report_lines([], TODAY)[0].startswith("Skills: no graded entries yet")
