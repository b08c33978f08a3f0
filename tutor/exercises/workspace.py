"""The learner's copy of an exercise's starter file: written once, never overwritten.

A lesson pack other than the built-in course may bring its own starter for an exercise, as
``starters/<file>`` in the pack's folder (``starters/value.py`` for ``value``, the built-in
starter's file name). That file is the pack author's code: the copy goes into a folder of its own
(``code/<pack id>/``), the copy's origin is written down (``code/origins.json``), and checking it
(which runs it as Python) needs the learner's yes once per pack (``code/trusted-packs.json``).
The checks themselves are always the tutor's own.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

from tutor.exercises.catalog import EXERCISES

WORKSPACE_FOLDER = "code"  # inside the data folder
PACK_STARTERS_FOLDER = "starters"  # inside a pack's folder
ORIGINS_FILE = "origins.json"
TRUSTED_FILE = "trusted-packs.json"
STARTER_SIZE_LIMIT = 256 * 1024
_SAFE_FOLDER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def pack_starter(exercise_id: str, pack_folder: str | Path | None) -> Path | None:
    """The starter a pack's folder brings for ``exercise_id``, or None (a plain file, not a link, not huge)."""
    if pack_folder is None:
        return None
    candidate = Path(pack_folder) / PACK_STARTERS_FOLDER / EXERCISES[exercise_id].starter.name
    try:
        if candidate.is_symlink() or not candidate.is_file() or candidate.stat().st_size > STARTER_SIZE_LIMIT:
            return None
    except OSError:
        return None
    return candidate


def start_file(exercise_id: str, folder: str | Path, *, pack_id: str | None = None,
               pack_folder: str | Path | None = None, workspace: str | Path | None = None) -> Path:
    """Copy the starter of ``exercise_id`` into ``folder`` unless the learner's file is there; its path.

    With ``pack_id`` and ``pack_folder`` (a pack other than the built-in course) the pack's own starter
    is used when it brings one: copied into ``folder/<pack id>/`` and recorded as that pack's in
    ``workspace`` (the data folder's ``code/``; default ``folder``), so that checking it asks first.
    """
    exercise = EXERCISES[exercise_id]
    folder = Path(folder).expanduser()
    starter = pack_starter(exercise_id, pack_folder) if pack_id else None
    if starter is not None and pack_id is not None:
        target_folder = folder / (pack_id if _SAFE_FOLDER.fullmatch(pack_id) else "pack")
    else:
        starter, target_folder, pack_id = exercise.starter, folder, None
    target_folder.mkdir(parents=True, exist_ok=True)
    target = target_folder / exercise.starter.name
    if not target.exists():  # never overwrite the learner's work
        shutil.copyfile(starter, target)
        if pack_id is not None:
            _write_json(Path(workspace or folder) / ORIGINS_FILE,
                        {**_origins(Path(workspace or folder)), str(target.resolve()): pack_id})
    return target


def pack_origin(path: str | Path, workspace: str | Path) -> str | None:
    """The pack whose starter ``path`` was copied from (None: the tutor's own starter, or the learner's file)."""
    return _origins(Path(workspace)).get(str(Path(path).expanduser().resolve()))


def is_trusted(pack_id: str, workspace: str | Path) -> bool:
    return pack_id in _read_json(Path(workspace) / TRUSTED_FILE, [])


def trust_pack(pack_id: str, workspace: str | Path) -> None:
    """Remember the learner's yes: files from this pack's starters may run when checked."""
    trusted = _read_json(Path(workspace) / TRUSTED_FILE, [])
    if pack_id not in trusted:
        _write_json(Path(workspace) / TRUSTED_FILE, [*trusted, pack_id])


def untrusted_origin(path: str | Path, workspace: str | Path) -> str | None:
    """The pack to ask about before checking ``path``: its starter's pack, unless already trusted."""
    origin = pack_origin(path, workspace)
    return origin if origin is not None and not is_trusted(origin, workspace) else None


def trust_question(pack_id: str, path: str | Path) -> str:
    return (f"{path} started as the starter file of the lesson pack '{pack_id}': its author's code, not the "
            "tutor's. Checking it runs it as Python on this computer, with your permissions (in a child process "
            "with time and memory limits, which is no sandbox). Read it first if you do not know the pack.")


def _origins(workspace: Path) -> dict[str, str]:
    data = _read_json(workspace / ORIGINS_FILE, {})
    return {key: value for key, value in data.items() if isinstance(key, str) and isinstance(value, str)}


def _read_json(path: Path, empty: Any) -> Any:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return empty
    return data if isinstance(data, type(empty)) else empty


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(path.name + ".tmp")
    scratch.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(scratch, path)
