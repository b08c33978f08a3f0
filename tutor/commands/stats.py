"""`backprop-tutor stats`: progress per pack and lesson, reviews due, most frequent mistakes, and the skills
report (mastery per gradient skill, a calendar heatmap of the last 12 weeks, streaks: tutor.practice.report).

Lesson and pack titles (and "solved 3/5" totals) come from the lesson packs when ``tutor.packs`` can load
them; without that the ids recorded with each answer are shown, which is always possible.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.table import Table

from tutor.progress.cli_support import database_path_for, fail, open_store
from tutor.progress.model import ActivityStats, utc_now
from tutor.progress.review import SpacedReview
from tutor.progress.store import ProgressError

COMMAND = "stats"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--mistakes", type=int, default=5, metavar="N",
                        help="how many of the most frequent mistakes to list (default 5)")


@dataclass
class LessonOutline:
    title: str
    problem_ids: list[str]


@dataclass
class PackOutline:
    title: str
    lessons: dict[str, LessonOutline] = field(default_factory=dict)


def run(args: argparse.Namespace) -> int:
    if args.mistakes < 0:
        return fail(COMMAND, f"--mistakes must be 0 or more, got {args.mistakes}", code=2)
    path = database_path_for(args)
    console = Console()
    if not path.exists():
        console.print(f"No progress yet: nothing has been recorded in {path.parent}.")
        return 0
    try:
        with open_store(args, COMMAND) as store:
            lesson_rows = store.lesson_stats()
            pack_rows = {row.pack_id: row for row in store.pack_stats()}
            mistakes = store.frequent_diagnoses(args.mistakes)
            skill_rows = _skill_rows(store)
            review = SpacedReview(store)
            now = utc_now()
            due_now = review.count_due(now)
            next_due = review.next_due()
            statuses = {}
            packs = _usable_packs(args)
            outline = _pack_outline(args, packs)
            for pack_id, pack in outline.items():
                for lesson_id, lesson in pack.lessons.items():
                    statuses[(pack_id, lesson_id)] = store.lesson_completion(pack_id, lesson.problem_ids)
                every_problem = [problem for lesson in pack.lessons.values() for problem in lesson.problem_ids]
                statuses[(pack_id, None)] = store.lesson_completion(pack_id, every_problem)
    except ProgressError as error:
        return fail(COMMAND, str(error))

    if not lesson_rows:
        console.print(f"No answers recorded yet in {path}.")
    else:
        console.print(_progress_table(lesson_rows, pack_rows, outline, statuses))
    if due_now:
        console.print(f"Reviews due now: [bold]{due_now}[/bold]")
    elif next_due is not None:
        console.print(f"Reviews due now: 0 (next one {next_due:%Y-%m-%d %H:%M} UTC)")
    else:
        console.print("Reviews due now: 0")
    if mistakes:
        table = Table(title="Most frequent mistakes", title_justify="left")
        table.add_column("Mistake", overflow="fold")
        table.add_column("Times", justify="right")
        for mistake in mistakes:
            table.add_row(mistake.diagnosis, str(mistake.count))
        console.print(table)
    if skill_rows or lesson_rows:
        from tutor.practice.report import events_from_rows, report_lines

        console.print()
        console.print("Skills", style="bold")
        from tutor.practice.skills import skill

        lessons = skill_lessons(packs)
        for line in report_lines(events_from_rows(skill_rows), now.date(), args.mistakes,
                                 lesson_for=lambda skill_id: lessons.get(skill(skill_id).lesson)):
            console.print(line, markup=False, highlight=False)
    return 0


def _skill_rows(store: Any) -> list[Any]:
    try:
        return store.skill_event_rows()
    except ProgressError:
        return []  # a read-only store of a schema older than skill events (not migrated): nothing to show


def _progress_table(lesson_rows: list[ActivityStats], pack_rows: dict[str, ActivityStats],
                    outline: dict[str, PackOutline], statuses: dict[tuple[str, str], Any]) -> Table:
    table = Table(title="Progress by lesson", title_justify="left")
    for name, justify in (("Pack / lesson", "left"), ("Solved", "right"), ("Answers", "right"),
                          ("Accuracy", "right"), ("Hints", "right"), ("Time", "right"), ("Last (UTC)", "left")):
        # Numbers never wrap; the name takes whatever width is left (80 columns when piped).
        is_name = name == "Pack / lesson"
        table.add_column(name, justify=justify, overflow="fold",  # type: ignore[arg-type]
                         no_wrap=not is_name, ratio=1 if is_name else None)
    current_pack = None
    for row in lesson_rows:
        if row.pack_id != current_pack:
            if current_pack is not None:
                table.add_section()
            current_pack = row.pack_id
            pack = outline.get(row.pack_id)
            total = pack_rows[row.pack_id]
            pack_completion = statuses.get((row.pack_id, None))
            pack_solved = (f"{pack_completion.solved}/{pack_completion.total}" if pack_completion
                           else str(total.problems_solved))
            table.add_row(_named(pack.title if pack else None, row.pack_id), pack_solved,
                          *_figures(total), style="bold")
        pack = outline.get(row.pack_id)
        lesson = pack.lessons.get(row.lesson_id or "") if pack else None
        completion = statuses.get((row.pack_id, row.lesson_id))
        solved = f"{completion.solved}/{completion.total}" if completion else str(row.problems_solved)
        table.add_row("  " + _named(lesson.title if lesson else None, row.lesson_id or ""), solved, *_figures(row))
    return table


def _figures(row: ActivityStats) -> list[str]:
    return [str(row.attempts), f"{row.accuracy:.0%}", str(row.hints_used), _duration(row.seconds_spent),
            f"{row.last_activity:%b %d %H:%M}"]


def _named(title: str | None, identifier: str) -> str:
    return f"{title} ({identifier})" if title and title != identifier else identifier


def _duration(seconds: float) -> str:
    whole = int(round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def _usable_packs(args: argparse.Namespace) -> list[Any]:
    """The lesson packs that load, or [] when they cannot be loaded (ids are shown then)."""
    try:
        from tutor.packs.loader import catalog_from_args
    except ImportError:
        return []
    try:
        return list(catalog_from_args(args).usable)
    except Exception:  # noqa: BLE001 - names are a nicety; stats must still work if a pack is broken
        return []


def _pack_outline(args: argparse.Namespace, packs: list[Any] | None = None) -> dict[str, PackOutline]:
    """Titles and problem ids from the lesson packs (loaded unless given), or {} when none load."""
    return outline_from_packs(_usable_packs(args) if packs is None else packs)


def skill_lessons(packs: Iterable[Any]) -> dict[str, str]:
    """Lesson file prefix ("03", as a skill names the lesson that teaches it) -> "lesson 3, Its title", from
    the packs' lesson files (the built-in course's; the first pack with such a file wins)."""
    found: dict[str, str] = {}
    for pack in packs:
        lessons = [lesson for lesson in getattr(pack, "lessons", None) or [] if not isinstance(lesson, str)]
        for source in getattr(pack, "lesson_sources", None) or []:
            prefix = source.source.path.name.split("-", 1)[0]
            if source.lesson in lessons and prefix not in found:
                position = lessons.index(source.lesson) + 1
                found[prefix] = f"lesson {position}, {source.lesson.title}"
    return found


def outline_from_packs(packs: Iterable[Any]) -> dict[str, PackOutline]:
    """Duck-typed: packs with ``.id``/``.title``/``.lessons``; lessons with ``.id``/``.title`` and
    ``.problems`` (a list or a method returning one) of objects with ``.id``."""
    result: dict[str, PackOutline] = {}
    for pack in packs:
        pack_outline = PackOutline(title=str(getattr(pack, "title", pack.id)))
        for lesson in getattr(pack, "lessons", None) or []:
            if isinstance(lesson, str):
                continue  # an unresolved lesson file reference
            problems = lesson.problems() if callable(getattr(lesson, "problems", None)) else lesson.problems
            pack_outline.lessons[lesson.id] = LessonOutline(str(getattr(lesson, "title", lesson.id)),
                                                            [problem.id for problem in problems])
        result[pack.id] = pack_outline
    return result
