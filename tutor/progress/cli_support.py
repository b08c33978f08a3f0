"""Small helpers shared by the progress subcommands (stats, progress, reset): opening the store
from parsed arguments and reporting errors as one line on stderr."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tutor.progress.paths import database_path, resolve_data_dir
from tutor.progress.store import ProgressStore


def database_path_for(args: argparse.Namespace) -> Path:
    return database_path(resolve_data_dir(getattr(args, "data_dir", None)))


def open_store(args: argparse.Namespace, command: str) -> ProgressStore:
    """Open the store named by ``--data-dir`` etc.; a recovery notice goes to stderr. Raises ProgressError."""
    store = ProgressStore(database_path_for(args))
    if store.recovery_notice:
        print(f"backprop-tutor {command}: {store.recovery_notice}", file=sys.stderr)
    return store


def fail(command: str, message: str, code: int = 1) -> int:
    print(f"backprop-tutor {command}: error: {message}", file=sys.stderr)
    return code
