"""`backprop-tutor class report EXPORTS... [--csv FILE] [--format text|json]`: how a class is doing.

Reads the learners' exports (``progress export --learner NAME FILE``), one entry at a time, and prints per
learner (lessons done, problems solved, first-try rate, time spent), per problem (hardest first) and per
gradient rule (the share of learners who made each diagnosed mistake). ``--csv`` writes a gradebook: one row
per learner, one column per lesson (percent of its problems solved). Lesson totals come from the lesson packs
(the built-in course, the user's packs and ``--pack``). The figures are defined in tutor/progress/class_report.py.

Exit status: 0 when every export was used; 1 when some were skipped (malformed, or a duplicate: each is
named on standard error with why; the report covers the rest); 2 for a usage error or when no export at all
could be used.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tutor.progress.model import ProgressError

COMMAND = "class report"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="class_action", metavar="ACTION", required=True)
    report = actions.add_parser(
        "report", help="a class's progress from its learners' exports",
        description="Read learners' progress exports ('backprop-tutor progress export --learner NAME FILE') and "
                    "report per learner, per problem (hardest first) and per gradient rule. Malformed and "
                    "duplicate exports are named and skipped (exit status 1).")
    report.add_argument("exports", nargs="+", metavar="EXPORT", help="progress export files, one per learner")
    report.add_argument("--csv", metavar="FILE", help="also write a gradebook CSV (one row per learner, one column "
                                                      "per lesson) to FILE ('-' for standard output)")
    report.add_argument("--format", dest="output_format", choices=("text", "json"), default="text",
                        help="text tables (default) or one JSON document")
    report.add_argument("--top", type=int, default=20, metavar="N",
                        help="how many of the hardest problems to list in text (default 20; json lists all)")


def _fail(message: str, code: int = 2) -> int:
    print(f"backprop-tutor {COMMAND}: error: {message}", file=sys.stderr)
    return code


def _lessons(args: argparse.Namespace) -> list[Any]:
    from tutor.progress.class_report import Lesson

    try:
        from tutor.commands.stats import _pack_outline
    except ImportError:
        return []
    return [Lesson(pack_id, lesson_id, lesson.title, tuple(lesson.problem_ids))
            for pack_id, pack in _pack_outline(args).items() for lesson_id, lesson in pack.lessons.items()]


def run(args: argparse.Namespace) -> int:
    from tutor.progress.class_report import class_report

    if args.top < 0:
        return _fail(f"--top must be 0 or more, got {args.top}")
    if args.csv not in (None, "-") and Path(args.csv).is_dir():
        return _fail(f"--csv {args.csv} is a folder; give a file name")
    try:
        report = class_report([Path(name) for name in args.exports], _lessons(args))
    except ProgressError as error:
        return _fail(str(error))
    for item in report.skipped:
        print(f"backprop-tutor {COMMAND}: skipped {item.file}: {item.reason}", file=sys.stderr)
    if not report.learners:
        return _fail(f"no usable export among the {len(args.exports)} given", code=2)
    if args.csv == "-":
        report.write_csv(sys.stdout)
    elif args.output_format == "json":
        json.dump(report.as_json(), sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        _print_text(report, args.top)
    if args.csv not in (None, "-"):
        try:
            with open(args.csv, "w", encoding="utf-8", newline="") as handle:
                report.write_csv(handle)
        except OSError as error:
            return _fail(f"cannot write {args.csv}: {error.strerror or error}", code=2)
        if args.output_format == "text":
            print(f"Gradebook: {args.csv} ({len(report.learners)} learners, {len(report.gradebook_columns)} lessons)")
    if report.skipped:
        print(f"backprop-tutor {COMMAND}: {len(report.skipped)} of {len(args.exports)} exports skipped "
              "(see above); the report covers the others", file=sys.stderr)
        return 1
    return 0


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f}%"


def _duration(seconds: float) -> str:
    minutes = round(seconds / 60)
    return f"{minutes // 60}h {minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m"


def _print_text(report: Any, top: int) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    size = len(report.learners)
    learners = Table(title=f"Learners ({size})", title_justify="left")
    for name, justify in (("learner", "left"), ("lessons done", "right"), ("problems solved", "right"),
                          ("first try", "right"), ("time", "right"), ("answers", "right")):
        learners.add_column(name, justify=justify)  # type: ignore[arg-type]
    for row in report.learners:
        learners.add_row(row.learner, str(row.lessons_done), f"{row.problems_solved}/{row.problems_attempted}",
                         _percent(row.first_try_rate), _duration(row.seconds), str(row.answers))
    console.print(learners)

    shown = report.problems[:top]
    problems = Table(title=f"Problems, hardest first ({len(shown)} of {len(report.problems)})", title_justify="left")
    for name, justify in (("problem", "left"), ("learners", "right"), ("attempts", "right"),
                          ("first try", "right"), ("solved", "right")):
        problems.add_column(name, justify=justify)  # type: ignore[arg-type]
    for row in shown:
        problems.add_row(f"{row.lesson_id}/{row.problem_id}", str(row.learners), str(row.attempts),
                         _percent(row.first_try_rate), f"{row.solved}/{row.learners}")
    console.print(problems)

    if not report.rules:
        console.print("No diagnosed mistakes.")
        return
    rules = Table(title="Gradient rules: share of learners who made each mistake", title_justify="left")
    for name, justify in (("learners", "right"), ("mistake", "left"), ("id", "left"), ("answers", "right")):
        rules.add_column(name, justify=justify)  # type: ignore[arg-type]
    for row in report.rules:
        rules.add_row(_percent(row.share), row.words, row.diagnosis, str(row.answers))
    console.print(rules)
