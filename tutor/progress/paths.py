"""Where the learner's progress lives on disk.

The data folder is chosen in this order:

1. an explicit path (the CLI's ``--data-dir PATH``),
2. the ``BACKPROP_TUTOR_HOME`` environment variable,
3. the platform's per-user data folder, ``platformdirs.user_data_dir("backprop-tutor")``.

Progress itself is one SQLite file, ``progress.db``, inside that folder::

    from tutor.progress.paths import resolve_data_dir, database_path
    database_path(resolve_data_dir(args.data_dir))   # -> Path(".../progress.db")

Nothing here creates folders; :class:`tutor.progress.store.ProgressStore` does that when it opens.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import platformdirs

APP_NAME = "backprop-tutor"
HOME_ENVIRONMENT_VARIABLE = "BACKPROP_TUTOR_HOME"
DATABASE_FILENAME = "progress.db"


def resolve_data_dir(explicit: str | os.PathLike[str] | None = None,
                     environ: Mapping[str, str] | None = None) -> Path:
    """The progress folder: ``explicit`` beats ``$BACKPROP_TUTOR_HOME`` beats the platform default.

    Empty strings count as "not given", so ``BACKPROP_TUTOR_HOME=`` falls back to the default
    instead of meaning the current directory. ``~`` is expanded in both explicit and environment paths.
    """
    environment = os.environ if environ is None else environ
    if explicit is not None and str(explicit) != "":
        return Path(explicit).expanduser()
    from_environment = environment.get(HOME_ENVIRONMENT_VARIABLE, "")
    if from_environment:
        return Path(from_environment).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def database_path(data_dir: str | os.PathLike[str]) -> Path:
    """The SQLite file inside a progress folder."""
    return Path(data_dir) / DATABASE_FILENAME


def scratch_copy(data_dir: str | os.PathLike[str], scratch_dir: str | os.PathLike[str]) -> Path:
    """Copy the progress in ``data_dir`` into ``scratch_dir`` and return ``scratch_dir``.

    For a preview on a moved clock (``BACKPROP_TUTOR_DAYS_AHEAD``): the learner sees their real
    progress, but answers dated in the future go to the copy and are thrown away with it. SQLite's
    backup API copies a consistent snapshot even while another tutor has the file open. No file (or
    one that cannot be read) gives an empty scratch folder: the preview starts from nothing.
    """
    import sqlite3

    target = Path(scratch_dir)
    target.mkdir(parents=True, exist_ok=True)
    source_file = database_path(data_dir)
    if source_file.is_file():
        try:
            source = sqlite3.connect(f"file:{source_file}?mode=ro", uri=True)
            try:
                copy = sqlite3.connect(database_path(target))
                try:
                    source.backup(copy)
                finally:
                    copy.close()
            finally:
                source.close()
        except sqlite3.Error:
            database_path(target).unlink(missing_ok=True)
    return target
