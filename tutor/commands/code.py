"""`backprop-tutor code list|start|check`: write parts of an autograd engine and have them checked."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tutor.exercises import Exercise


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="code_action", metavar="ACTION", required=True)
    actions.add_parser("list", help="list the code exercises")
    start = actions.add_parser("start", help="write an exercise's starter file and print its path")
    start.add_argument("id", metavar="ID", help="an exercise (code list), or with --pack one of the pack's code problems")
    start.add_argument("--dir", metavar="DIR", help="workspace folder (default: 'code' in the data folder)")
    start.add_argument("--pack", metavar="PACK", help="a lesson pack's folder: use the starter it brings "
                       "(starters/<file>), the pack author's code; checking it asks first")
    check = actions.add_parser("check", help="check a file; exit 0 when it passes, 1 when not")
    check.add_argument("id", metavar="ID", help="an exercise (code list), or with --pack one of the pack's code problems")
    check.add_argument("file", metavar="FILE")
    check.add_argument("--format", choices=("text", "json"), default="text")
    check.add_argument("--pack", metavar="PACK", help="a lesson pack's folder or file: ID is then one of its code "
                       "problems, checked with the pack's checks: block")
    check.add_argument("--trust", action="store_true", help="run a file that started as a pack's starter "
                       "without asking (remembered for that pack)")


def run(args: argparse.Namespace) -> int:
    from tutor.exercises import EXERCISES

    if args.code_action == "list":
        for listed in EXERCISES.values():
            print(f"{listed.id:12} {listed.title}")
        return 0
    # With --pack, check takes one of the pack's code problems (its checks: block applies); start takes an
    # exercise id or a code problem's id.
    by_problem = bool(args.pack) and (args.code_action == "check" or args.id not in EXERCISES)
    exercise = _pack_exercise(args.pack, args.id) if by_problem else EXERCISES.get(args.id)
    if exercise is None:
        if not by_problem:
            print(f"no exercise named {args.id!r}; try: {', '.join(EXERCISES)}", file=sys.stderr)
        return 2
    from tutor.exercises.workspace import WORKSPACE_FOLDER
    from tutor.progress.paths import resolve_data_dir

    workspace = resolve_data_dir(args.data_dir) / WORKSPACE_FOLDER
    if args.code_action == "start":
        return _start(args, exercise.id, workspace)
    path = Path(args.file)
    if not path.is_file():
        print(f"{path}: no such file", file=sys.stderr)
        return 2
    if not _trusted(path, workspace, args.trust):
        return 2
    from tutor.exercises import check_file

    printed = 0

    def line(check, index: int, total: int) -> None:  # text: each check's line as soon as it has run
        nonlocal printed
        printed += 1
        print(f"{'PASS' if check.passed else 'FAIL'}  {check.name}", flush=True)

    report = check_file(exercise, path, on_check=line if args.format == "text" else None)
    if args.format == "json":
        print(json.dumps(report.as_json(), indent=2))
    else:
        for check in report.checks[printed:]:  # a file that did not load, or the check a stopped child was in
            print(f"{'PASS' if check.passed else 'FAIL'}  {check.name}")
        print()
        print(report.message)
        if report.drawing:
            print()
            print(report.drawing)
    return 0 if report.passed else 1


def _pack_exercise(pack_path: str, problem_id: str) -> Exercise | None:
    """The exercise a pack's code problem is checked against (its checks: merged in), or None, said why."""
    from tutor.packs.loader import load_pack
    from tutor.packs.models import CodeProblem

    pack = load_pack(pack_path)
    if pack.broken:
        print(f"{pack_path}: not a usable pack (backprop-tutor validate {pack_path} says why)", file=sys.stderr)
        return None
    codes = [ref.problem for ref in pack.problems() if isinstance(ref.problem, CodeProblem)]
    problem = next((code for code in codes if code.id == problem_id), None)
    if problem is None:
        names = ", ".join(code.id for code in codes) or "none"
        print(f"the pack '{pack.id}' has no code problem {problem_id!r} (its code problems: {names})",
              file=sys.stderr)
        return None
    return problem.checked_exercise()


def _start(args: argparse.Namespace, exercise_id: str, workspace: Path) -> int:
    from tutor.exercises.workspace import pack_starter, start_file

    folder = Path(args.dir).expanduser() if args.dir else workspace
    pack_id = pack_folder = None
    if args.pack:
        from tutor.packs.loader import load_pack

        pack = load_pack(args.pack)
        if pack.broken or not pack.path.is_dir():
            print(f"{args.pack}: not a usable pack folder (backprop-tutor validate {args.pack} says why)",
                  file=sys.stderr)
            return 2
        pack_id, pack_folder = pack.id, pack.path
        if pack_starter(exercise_id, pack_folder) is None:
            print(f"the pack '{pack_id}' brings no starter for {exercise_id}: the tutor's own is used",
                  file=sys.stderr)
    print(start_file(exercise_id, folder, pack_id=pack_id, pack_folder=pack_folder, workspace=workspace))
    return 0


def _trusted(path: Path, workspace: Path, trust: bool) -> bool:
    """True when ``path`` may run: the tutor's starter or the learner's file, a trusted pack, --trust, or a yes."""
    from tutor.exercises.workspace import trust_pack, trust_question, untrusted_origin

    pack_id = untrusted_origin(path, workspace)
    if pack_id is None:
        return True
    if not trust and sys.stdin.isatty():
        print(trust_question(pack_id, path), file=sys.stderr)
        try:
            trust = input(f"Run files from the pack '{pack_id}' when you check them? [y/N] ").strip().lower() \
                in ("y", "yes")
        except EOFError:
            trust = False
    if not trust:
        print(f"Not checked: {path} came from the pack '{pack_id}' and would run as Python on this computer. "
              f"Read it, then run this again with --trust (or answer y) to check it; this is asked once per pack.",
              file=sys.stderr)
        return False
    trust_pack(pack_id, workspace)
    return True
