"""`backprop-tutor` and its subcommands.

Each subcommand lives in its own module under ``tutor/commands/`` with two functions,
``add_arguments(parser)`` and ``run(args) -> int``. Only the chosen one is imported, so
``backprop-tutor`` starts without paying for sympy when it does not need it.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# name -> (module, one-line help). The order here is the order shown in --help.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "trace": ("tutor.commands.trace", "trace a program's forward and backward pass"),
    "grade": ("tutor.commands.grade", "grade answers read as JSON Lines on standard input"),
    "packs": ("tutor.commands.packs", "list the installed lesson packs"),
    "validate": ("tutor.commands.validate", "check lesson packs for errors"),
    "new": ("tutor.commands.new", "start a lesson pack from a commented scaffold"),
    "preview": ("tutor.commands.preview", "show a pack problem as the learner sees it at a seed"),
    "schema": ("tutor.commands.schema", "print the JSON Schema of the lesson-pack format"),
    "stats": ("tutor.commands.stats", "show progress, reviews due and frequent mistakes"),
    "progress": ("tutor.commands.progress", "export or import progress as JSON"),
    "class": ("tutor.commands.class_report", "a class's progress from its learners' exports (class report)"),
    "serve": ("tutor.commands.serve", "serve the tutor to a web browser (textual-serve)"),
    "reset": ("tutor.commands.reset", "forget progress (all of it, or one lesson's)"),
    "lab": ("tutor.commands.lab", "open an interactive lab directly"),
    "code": ("tutor.commands.code", "code exercises: build your own Value, checked against the engine"),
    "practice": ("tutor.commands.practice", "generated hand-trace problems for a gradient skill at a level 1-5"),
}


def _available_subcommands() -> dict[str, tuple[str, str]]:
    """Subcommands whose module exists; lets the CLI grow one issue at a time."""
    import importlib.util

    return {name: spec for name, spec in SUBCOMMANDS.items() if importlib.util.find_spec(spec[0]) is not None}


def build_parser(with_subcommands: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="backprop-tutor",
        description="Learn backpropagation by tracing computational graphs by hand. "
        "Run with no arguments to open the tutor.",
    )
    parser.add_argument("--data-dir", metavar="PATH", help="where progress is kept (default: your user data folder; "
                        "BACKPROP_TUTOR_HOME also sets it)")
    parser.add_argument("--pack", action="append", default=[], metavar="PATH",
                        help="also load the lesson pack at PATH (repeatable)")
    parser.add_argument("--open", dest="open", metavar="LESSON/PROBLEM",
                        help="open the tutor at this problem (of a --pack pack first), e.g. graphs/graphs-trace-xwb")
    parser.add_argument("--seed", dest="open_seed", type=int, metavar="N",
                        help="with --open: show the problem's variant N, the one `preview --seed N` prints")
    if not with_subcommands:
        return parser
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in _available_subcommands().items():
        subparser = subparsers.add_parser(name, help=help_text, description=help_text[0].upper() + help_text[1:] + ".")
        subparser.set_defaults(_module=module_name)
        importlib.import_module(module_name).add_arguments(subparser)
    return parser


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    if not {"-h", "--help"} & set(arguments):
        # No subcommand: open the tutor without importing every subcommand's module first,
        # so the home screen paints fast (benchmarks/bench_startup.py).
        global_args, rest = build_parser(with_subcommands=False).parse_known_args(arguments)
        if not rest:
            global_args.command = None
            return _open_tutor(global_args)
    parser = build_parser()
    args = parser.parse_args(arguments)
    if args.command is None:
        return _open_tutor(args)
    module = importlib.import_module(args._module)
    try:
        return int(module.run(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


def _open_tutor(args: argparse.Namespace) -> int:
    import importlib.util

    if importlib.util.find_spec("tutor.ui.app") is None:
        build_parser().print_help()
        return 0
    if getattr(args, "open", None) is not None or getattr(args, "open_seed", None) is not None:
        try:
            args.open_problem = _open_target(args)
        except ValueError as problem:
            print(f"backprop-tutor: error: {problem}", file=sys.stderr)
            return 2
    from tutor.ui.app import run_app

    return int(run_app(args) or 0)


def _open_target(args: argparse.Namespace) -> tuple[str, str, str]:
    """``--open LESSON/PROBLEM`` as (pack id, lesson id, problem id), checked before the app starts.

    The packs given with ``--pack`` are searched first, then every other pack. Raises ValueError with
    a sentence for the user (the nearest ids included) when it names no problem.
    """
    # Deferred: loading packs (YAML, pydantic) is only paid when --open is given.
    from tutor.commands.preview import UsageProblem, find_problem, near_names
    from tutor.packs.loader import ORIGIN_COMMAND_LINE, catalog_from_args

    if args.open is None:
        raise ValueError("--seed N needs --open LESSON/PROBLEM (the problem to show at that seed)")
    key = args.open.strip().strip("/")
    lesson_id, slash, problem_id = key.partition("/")
    if not slash or not lesson_id or not problem_id:
        raise ValueError(f"--open {args.open!r}: write LESSON/PROBLEM, e.g. graphs/graphs-trace-xwb "
                         "(backprop-tutor packs lists the lessons)")
    catalog = catalog_from_args(args)
    for pack in catalog.broken:
        if pack.origin == ORIGIN_COMMAND_LINE:
            first = pack.errors[0] if pack.errors else "broken"
            raise ValueError(f"the pack {pack.path} cannot be opened: {first} (backprop-tutor validate lists "
                             "every error)")
    given = [pack for pack in catalog.usable if pack.origin == ORIGIN_COMMAND_LINE]
    packs = given + [pack for pack in catalog.usable if pack not in given]
    pack = next((pack for pack in packs if any(lesson.id == lesson_id for lesson in pack.lessons)), None)
    if pack is None:
        lesson_ids = [lesson.id for pack in packs for lesson in pack.lessons]
        raise ValueError(f"--open {key}: no lesson '{lesson_id}' in "
                         f"{'the --pack packs or ' if given else ''}the installed packs"
                         f"{near_names(lesson_id, lesson_ids) or ' (backprop-tutor packs lists them)'}")
    try:
        ref = find_problem(pack, key)
    except UsageProblem as problem:
        raise ValueError(f"--open {key}: {problem}") from None
    return pack.id, ref.lesson.id, ref.problem.id


if __name__ == "__main__":
    sys.exit(main())
