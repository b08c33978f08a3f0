"""`backprop-tutor reset [--lesson ID] [--yes]`: forget progress, all of it or one lesson's.

Without ``--yes`` it asks on standard input; anything but "y"/"yes" (including no input at all) cancels,
so a script without a terminal can never wipe progress by accident. Cancelling exits with status 1.
"""

from __future__ import annotations

import argparse
import sys

from tutor.progress.cli_support import database_path_for, fail, open_store
from tutor.progress.store import ProgressError

COMMAND = "reset"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lesson", metavar="ID", help="forget only this lesson's answers and review cards "
                        "(in every pack that has a lesson with this id)")
    parser.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")


def run(args: argparse.Namespace) -> int:
    path = database_path_for(args)
    scope = f" for lesson {args.lesson}" if args.lesson else ""
    if not path.exists():
        print(f"Nothing to reset{scope}: no progress has been recorded in {path.parent}.")
        return 0
    try:
        with open_store(args, COMMAND) as store:
            preview = store.reset_preview(lesson_id=args.lesson)
            if preview.attempts_removed == 0 and preview.cards_removed == 0:
                print(f"Nothing to reset{scope}.")
                return 0
            what = f"{preview.attempts_removed} answers and {preview.cards_removed} review cards{scope}"
            if not args.yes and not _confirm(f"Forget {what} in {path}? This cannot be undone "
                                             f"(make a copy first with 'progress export'). [y/N] "):
                print("Cancelled; nothing was changed.")
                return 1
            removed = store.reset(lesson_id=args.lesson)
    except ProgressError as error:
        return fail(COMMAND, str(error))
    print(f"Forgot {removed.attempts_removed} answers and {removed.cards_removed} review cards{scope}.")
    return 0


def _confirm(question: str) -> bool:
    sys.stdout.write(question)
    sys.stdout.flush()
    try:
        reply = sys.stdin.readline() if sys.stdin is not None else ""
    except (OSError, ValueError):  # closed or unreadable stdin counts as "no"
        reply = ""
    if reply == "":
        sys.stdout.write("\n")
    return reply.strip().lower() in ("y", "yes")
