"""A content-keyed cache of `validate` results, so an unchanged pack validates near-instantly.

The key is a SHA-256 of everything the result depends on: the bytes of every file in the pack
(its folder, or its one file), the pack's resolved path (errors name files), the options (seeds,
strict, a single lesson file), the tutor's version and a fingerprint of the tutor's own code (so a
source checkout under development never reuses a result an older validator computed). Any change
to any of them is a miss. Entries are small JSON files in the user cache folder
(``platformdirs.user_cache_dir``), ``$BACKPROP_TUTOR_HOME/cache`` when that is set, or
``$BACKPROP_TUTOR_CACHE_DIR``. A damaged or unreadable entry is a miss; a cache folder that cannot be
written is simply not used. Nothing read from the cache is executed: it is JSON with four fields
per error.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from tutor.packs.errors import PackError

CACHE_ENVIRONMENT_VARIABLE = "BACKPROP_TUTOR_CACHE_DIR"
CACHE_FORMAT = 1
MAX_HASHED_BYTES = 2_000_000  # larger files are refused by the loader; their size and mtime stand in
MAX_FILES = 5_000


def cache_dir() -> Path:
    explicit = os.environ.get(CACHE_ENVIRONMENT_VARIABLE)
    if explicit:
        return Path(explicit).expanduser()
    home = os.environ.get("BACKPROP_TUTOR_HOME")
    if home:
        return Path(home).expanduser() / "cache" / "validate"
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("backprop-tutor")) / "validate"


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """The tutor's version plus the size and mtime of each of its Python files."""
    import tutor

    digest = hashlib.sha256(f"tutor {tutor.__version__}".encode())
    package = Path(tutor.__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        try:
            stat = path.stat()
        except OSError:
            continue
        digest.update(f"{path.relative_to(package)}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def pack_files(pack_path: Path) -> list[Path]:
    """Every file of a pack: the files under its folder (hidden ones left out), or the single file."""
    if pack_path.is_file():
        return [pack_path]
    found: list[Path] = []
    for root, folders, files in os.walk(pack_path):
        folders[:] = sorted(folder for folder in folders if not folder.startswith("."))
        for name in sorted(files):
            if not name.startswith("."):
                found.append(Path(root) / name)
                if len(found) >= MAX_FILES:
                    return found
    return found


def cache_key(pack_path: Path, options: dict[str, Any]) -> str | None:
    """The key for validating ``pack_path`` with ``options``; None when a file cannot be read."""
    digest = hashlib.sha256()
    digest.update(json.dumps({"format": CACHE_FORMAT, "code": code_fingerprint(), "options": options,
                              "path": str(pack_path.resolve())}, sort_keys=True).encode())
    base = pack_path if pack_path.is_dir() else pack_path.parent
    try:
        for path in pack_files(pack_path):
            stat = path.stat()
            digest.update(f"\n{path.relative_to(base)}\n{stat.st_size}\n".encode())
            if stat.st_size <= MAX_HASHED_BYTES:
                digest.update(path.read_bytes())
            else:
                digest.update(str(stat.st_mtime_ns).encode())
    except (OSError, ValueError):
        return None
    return digest.hexdigest()


class ValidationCache:
    """Load and store a pack's validation errors by key."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder if folder is not None else cache_dir()
        self.hits = 0
        self.misses = 0

    def _entry(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def load(self, key: str | None) -> list[PackError] | None:
        if key is None:
            self.misses += 1
            return None
        try:
            data = json.loads(self._entry(key).read_text(encoding="utf-8"))
            errors = [PackError(Path(item["file"]), int(item["line"]), int(item["column"]), str(item["message"]),
                                "warning" if item.get("severity") == "warning" else "error")
                      for item in data["errors"]]
        except (OSError, ValueError, KeyError, TypeError):
            self.misses += 1
            return None
        self.hits += 1
        return errors

    def store(self, key: str | None, errors: Iterable[PackError]) -> None:
        if key is None:
            return
        data = {"format": CACHE_FORMAT, "errors": [
            {"file": str(error.file), "line": error.line, "column": error.column, "message": error.message,
             "severity": error.severity} for error in errors]}
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                json.dump(data, file)
            os.replace(temporary, self._entry(key))
        except OSError:
            return  # a cache that cannot be written only costs time
