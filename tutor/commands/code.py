"""`backprop-tutor code list|start|check`: write parts of an autograd engine and have them checked."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="code_action", metavar="ACTION", required=True)
    actions.add_parser("list", help="list the code exercises")
    start = actions.add_parser("start", help="write an exercise's starter file and print its path")
    start.add_argument("id", metavar="ID")
    start.add_argument("--dir", metavar="DIR", help="workspace folder (default: 'code' in the data folder)")
    check = actions.add_parser("check", help="check a file; exit 0 when it passes, 1 when not")
    check.add_argument("id", metavar="ID")
    check.add_argument("file", metavar="FILE")
    check.add_argument("--format", choices=("text", "json"), default="text")


def run(args: argparse.Namespace) -> int:
    from tutor.exercises import EXERCISES

    if args.code_action == "list":
        for exercise in EXERCISES.values():
            print(f"{exercise.id:12} {exercise.title}")
        return 0
    exercise = EXERCISES.get(args.id)
    if exercise is None:
        print(f"no exercise named {args.id!r}; try: {', '.join(EXERCISES)}", file=sys.stderr)
        return 2
    if args.code_action == "start":
        from tutor.exercises.workspace import WORKSPACE_FOLDER, start_file
        from tutor.progress.paths import resolve_data_dir

        folder = Path(args.dir).expanduser() if args.dir else resolve_data_dir(args.data_dir) / WORKSPACE_FOLDER
        print(start_file(exercise.id, folder))
        return 0
    path = Path(args.file)
    if not path.is_file():
        print(f"{path}: no such file", file=sys.stderr)
        return 2
    from tutor.exercises import check_file

    def line(check, index: int, total: int) -> None:  # text: each check's line as soon as it has run
        print(f"{'PASS' if check.passed else 'FAIL'}  {check.name}", flush=True)

    report = check_file(exercise.id, path, on_check=line if args.format == "text" else None)
    if args.format == "json":
        print(json.dumps(report.as_json(), indent=2))
    else:
        if report.checks and report.checks[0].name == "load":  # the file never ran: no line was printed
            print(f"FAIL  {report.checks[0].name}")
        print()
        print(report.message)
        if report.drawing:
            print()
            print(report.drawing)
    return 0 if report.passed else 1
