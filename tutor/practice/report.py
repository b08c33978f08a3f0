"""The skills report as plain text: mastery per skill, and a calendar heatmap of the days practised.

Used by ``backprop-tutor stats`` (Textual-free, so it also works piped and in a read-only folder). The
heatmap is the last 12 weeks, one column per week (Monday at the top), one character per day by how
many graded entries were made that day: ``·`` none, ``░`` 1–4, ``▒`` 5–14, ``▓`` 15–39, ``█`` 40 or more.
A streak is a run of consecutive days with at least one graded entry; the current streak counts up to
today, or up to yesterday when nothing has been answered yet today.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from tutor.practice.mastery import MASTERED, ratings
from tutor.practice.skills import SKILLS

WEEKS = 12
BAR_WIDTH = 20
SHADES = ((40, "█"), (15, "▓"), (5, "▒"), (1, "░"))
EMPTY = "·"
_DAY_NAMES = ("Mon", "", "Wed", "", "Fri", "", "Sun")


def mastery_bar(mastery: float, width: int = BAR_WIDTH) -> str:
    filled = round(mastery * width)
    return "█" * filled + "░" * (width - filled)


def mastery_lines(events: Sequence[Any]) -> list[str]:
    """One line per skill with answers: title, bar, mastery %, answers, ✓ when mastered (skills' order)."""
    current = ratings(events)
    lines = []
    for skill in SKILLS:
        rating = current.get(skill.id)
        if not rating.answers:
            continue
        mark = "✓" if rating.mastery >= MASTERED else " "
        lines.append(f"{skill.title[:27]:<28} {mastery_bar(rating.mastery)} {rating.mastery:>4.0%} "
                     f"{rating.answers:>5} {mark}")
    return lines


@dataclass(frozen=True)
class Streaks:
    current: int
    longest: int
    days: int  # distinct days with any graded entry, ever


def streaks(days: Iterable[date], today: date) -> Streaks:
    ordered = sorted(set(days))
    longest = run = 0
    previous: date | None = None
    for day in ordered:
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        longest = max(longest, run)
        previous = day
    present = set(ordered)
    cursor = today if today in present else today - timedelta(days=1)
    current = 0
    while cursor in present:
        current += 1
        cursor -= timedelta(days=1)
    return Streaks(current=current, longest=longest, days=len(ordered))


def _shade(count: int) -> str:
    for threshold, character in SHADES:
        if count >= threshold:
            return character
    return EMPTY


def heatmap_lines(counts: dict[date, int], today: date, weeks: int = WEEKS) -> list[str]:
    """Seven rows (Monday first) of ``weeks`` columns ending with today's week; days after today are blank.

    A header row names each month over the first week that ends in it; at most 6 + 2·weeks characters
    wide (30 for 12 weeks), so it fits any terminal."""
    first_monday = today - timedelta(days=today.weekday()) - timedelta(weeks=weeks - 1)
    header = [" "] * (2 * weeks + 2)  # a month's name may start at the last column
    last_month = None
    for week in range(weeks):
        monday = first_monday + timedelta(weeks=week)
        month = (monday + timedelta(days=6)).month if week else monday.month
        if month != last_month:
            name = (monday + timedelta(days=6) if week else monday).strftime("%b")
            if 2 * week + len(name) <= len(header):
                header[2 * week:2 * week + len(name)] = name
            last_month = month
    lines = ["    " + "".join(header).rstrip()]
    for weekday in range(7):
        cells = []
        for week in range(weeks):
            day = first_monday + timedelta(weeks=week, days=weekday)
            cells.append(" " if day > today else _shade(counts.get(day, 0)))
        lines.append(f"{_DAY_NAMES[weekday]:<4}" + " ".join(cells).rstrip())
    return lines


def report_lines(events: Sequence[Any], today: date, mistakes: int = 5) -> list[str]:
    """The whole skills report: mastery bars, most frequent mistakes, heatmap and streaks."""
    if not events:
        return ["Skills: no graded entries yet (every trace entry and ask, in lessons and practice, counts)."]
    lines = [f"{'Skill':<28} {'mastery':<{BAR_WIDTH + 5}} {'answers':>7}", *mastery_lines(events)]
    wrong = Counter(event.diagnosis for event in events if not event.correct and event.diagnosis)
    if wrong and mistakes:
        lines += ["", "Skill mistakes made most often:"]
        lines += [f"  {diagnosis} ×{count}" for diagnosis, count in wrong.most_common(mistakes)]
    counts = Counter(event.answered_at.date() for event in events)
    found = streaks(counts, today)
    lines += ["", f"Days practised (last {WEEKS} weeks; {EMPTY} none, ░ 1+, ▒ 5+, ▓ 15+, █ 40+ entries):",
              *heatmap_lines(counts, today),
              f"Streak: {found.current} day{'s' if found.current != 1 else ''} now, longest {found.longest}; "
              f"{found.days} day{'s' if found.days != 1 else ''} in all"]
    return lines


def events_from_rows(rows: Iterable[tuple[str, bool, int, str | None, Any]]) -> list[Any]:
    """``ProgressStore.skill_event_rows()`` as SkillEvents (oldest first)."""
    from tutor.practice.mastery import SkillEvent

    return [SkillEvent(skill, correct, level, answered_at, diagnosis)
            for skill, correct, level, diagnosis, answered_at in rows]
