"""`backprop-tutor progress export FILE` / `progress import FILE`: move progress between machines.

Export writes every answer, review card and review-log entry as JSON (``-`` means standard output).
Import merges such a file into the current progress: answers already present (same id) are skipped,
so importing twice is harmless; a file with any problem is rejected whole and nothing changes.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

from tutor.progress.cli_support import fail, open_store
from tutor.progress.store import ProgressError, ProgressStore

COMMAND = "progress"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="progress_action", metavar="ACTION", required=True)
    export = actions.add_parser("export", help="write all progress to FILE as JSON",
                                description="Write all progress (answers, review schedule) to FILE as JSON.")
    export.add_argument("file", metavar="FILE", help="where to write ('-' for standard output)")
    export.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    export.add_argument("--learner", metavar="NAME",
                        help="write NAME into the export, for a teacher's 'class report' (optional)")
    load = actions.add_parser("import", help="merge progress from a JSON FILE made by export",
                              description="Merge progress from a JSON file made by 'progress export'. "
                                          "Answers already present are skipped; a bad file changes nothing.")
    load.add_argument("file", metavar="FILE", help="file to read ('-' for standard input)")


def run(args: argparse.Namespace) -> int:
    try:
        if args.progress_action == "export":
            return _export(args)
        return _import(args)
    except ProgressError as error:
        return fail(COMMAND, str(error))


def _export(args: argparse.Namespace) -> int:
    target = Path(args.file)
    if args.file != "-" and target.exists() and not args.force:
        return fail(COMMAND, f"{target} already exists; use --force to overwrite it")
    if args.file != "-" and target.is_dir():
        return fail(COMMAND, f"{target} is a folder; give a file name")
    learner = getattr(args, "learner", None)
    if learner is not None:
        from tutor.progress.transfer import check_learner_name

        try:
            check_learner_name(learner)
        except ValueError as error:
            return fail(COMMAND, f"--learner: {error}", code=2)
    with open_store(args, COMMAND) as store:
        if learner is not None:
            return _export_with_learner(store, args.file, target, learner)
        if args.file == "-":
            store.export_to(sys.stdout)  # streamed row by row, like the file
            return 0
        summary = store.export_json(target)
    print(f"Exported {summary.attempts} answers, {summary.review_cards} review cards and {summary.skill_events} "
          f"skill events to {target}.")
    return 0


def _export_with_learner(store: ProgressStore, file: str, target: Path, learner: str) -> int:
    """The same streamed export, with the learner's name after the header (``class report`` reads it)."""
    from tutor.progress import transfer
    from tutor.progress.model import utc_now

    with store.read_transaction() as connection:
        if file == "-":
            transfer.stream(connection, sys.stdout, exported_at=utc_now(), learner=learner)
            return 0
        summary = transfer.export_file(connection, target, exported_at=utc_now(), learner=learner)
    print(f"Exported {summary.attempts} answers and {summary.review_cards} review cards for {learner} to {target}.")
    return 0


def _import(args: argparse.Namespace) -> int:
    from tutor.progress.transfer import open_for_import

    if args.file == "-":
        source = "<stdin>"
        raw = getattr(sys.stdin, "buffer", None)
        handle = io.TextIOWrapper(raw, encoding="utf-8-sig") if raw is not None else (sys.stdin or io.StringIO())
    else:
        source = args.file
        handle = open_for_import(Path(args.file))  # a missing file is reported before any store is opened
    try:
        with open_store(args, COMMAND) as store:
            summary = store.import_stream(handle, source=source)
    finally:
        if isinstance(handle, io.TextIOWrapper) and args.file == "-":
            handle.detach()  # leave standard input open
        elif args.file != "-":
            handle.close()
    print(f"Imported from {source}: {summary.attempts_added} new answers "
          f"({summary.attempts_already_present} already present), {summary.cards_added} review cards added, "
          f"{summary.cards_updated} updated, {summary.review_entries_added} review-log entries added, "
          f"{summary.skill_events_added} skill events added.")
    return 0
