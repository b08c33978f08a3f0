"""The skills report as plain text: mastery per skill, and a calendar heatmap of the days practised.

Used by ``backprop-tutor stats`` (Textual-free, so it also works piped and in a read-only folder). The
heatmap is the last 12 weeks, one column per week (Monday at the top), one character per day by how
many graded entries were made that day: ``·`` none, ``░`` 1–4, ``▒`` 5–14, ``▓`` 15–39, ``█`` 40 or more.
A streak is a run of consecutive days with at least one graded entry; the current streak counts up to
today, or up to yesterday when nothing has been answered yet today.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
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
# The longest title in full ("Multiply by the upstream gradient", 33): cut to 27, two skills read
# "Multiply by the upstream gr" and "Multiply by the local deriv". A line is 33 + 1 + 20 + 5 + 6 + 2 = 67.
TITLE_WIDTH = max(len(skill.title) for skill in SKILLS)


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
        lines.append(f"{skill.title:<{TITLE_WIDTH}} {mastery_bar(rating.mastery)} {rating.mastery:>4.0%} "
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


def frequent_mistakes(events: Sequence[Any], limit: int = 5) -> list[tuple[str, int, str]]:
    """(diagnosis, count, skill) of the most frequent diagnosed mistakes; skill: the one it was most often
    counted against, which names the lesson to go back to."""
    wrong = [event for event in events if not event.correct and event.diagnosis]
    counts = Counter(event.diagnosis for event in wrong)
    found = []
    for diagnosis, count in counts.most_common(limit):
        skills = Counter(event.skill for event in wrong if event.diagnosis == diagnosis)
        found.append((diagnosis, count, skills.most_common(1)[0][0]))
    return found


def report_lines(events: Sequence[Any], today: date, mistakes: int = 5,
                 lesson_for: Callable[[str], str | None] | None = None) -> list[str]:
    """The whole skills report: mastery bars, most frequent mistakes, heatmap and streaks.

    ``lesson_for(skill_id)``: the lesson that teaches a skill, as its title (for example "lesson 2,
    Computational graphs"), written after each mistake; None where it is not known."""
    if not events:
        return ["Skills: no graded entries yet (every trace entry and ask, in lessons and practice, counts)."]
    lines = [f"{'Skill':<{TITLE_WIDTH}} {'mastery':<{BAR_WIDTH + 5}} {'answers':>6}", *mastery_lines(events)]
    found = frequent_mistakes(events, mistakes) if mistakes else []
    if found:
        lines += ["", "Skill mistakes made most often:"]
        for diagnosis, count, skill_id in found:
            lesson = lesson_for(skill_id) if lesson_for is not None else None
            lines.append(f"  {diagnosis} ×{count}" + (f"  → {lesson}" if lesson else ""))
    counts = Counter(event.answered_at.date() for event in events)
    run = streaks(counts, today)
    lines += ["", f"Days practised (last {WEEKS} weeks; {EMPTY} none, ░ 1+, ▒ 5+, ▓ 15+, █ 40+ entries):",
              *heatmap_lines(counts, today),
              f"Streak: {run.current} day{'s' if run.current != 1 else ''} now, longest {run.longest}; "
              f"{run.days} day{'s' if run.days != 1 else ''} in all"]
    return lines


def events_from_rows(rows: Iterable[tuple[str, bool, int, str | None, Any]]) -> list[Any]:
    """``ProgressStore.skill_event_rows()`` as SkillEvents (oldest first)."""
    from tutor.practice.mastery import SkillEvent

    return [SkillEvent(skill, correct, level, answered_at, diagnosis)
            for skill, correct, level, diagnosis, answered_at in rows]
