"""Finding and loading lesson packs.

A pack is a folder with ``pack.yaml`` (plus lesson files), or a single YAML file. Loading checks
structure and cross-references (cheap: no expression parsing, no sympy) and never raises for a
bad pack: the pack comes back with ``errors`` and counts as broken, and the other packs load.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tutor.packs.checks import LessonSource, check_lessons
from tutor.packs.errors import PackError, SourceFile, display_path, errors_from_validation
from tutor.packs.models import Lesson, PackManifest, Problem
from tutor.packs.yamlsource import PositionMap, YamlLoadError, load_yaml_file

MANIFEST_NAME = "pack.yaml"
YAML_SUFFIXES = (".yaml", ".yml")
APP_NAME = "backprop-tutor"
HOME_ENVIRONMENT_VARIABLE = "BACKPROP_TUTOR_HOME"

# A pack past these is refused with an error on that pack alone: validating grows with every
# problem and variant, and a pack from the internet should not be able to stall the tutor.
MAX_PROBLEMS_PER_PACK = 2_000
MAX_LESSON_FILES_PER_PACK = 500

ORIGIN_BUILTIN = "built-in"
ORIGIN_USER = "user"
ORIGIN_COMMAND_LINE = "command line"


@dataclass
class ProblemRef:
    """A problem with everything needed to find it again and to point at it in errors."""

    pack: LoadedPack
    lesson: Lesson
    problem: Problem
    source: SourceFile
    path: tuple[Any, ...]  # the problem's mapping inside source

    @property
    def key(self) -> str:
        """Stable identity for progress: ``pack-id/problem-id``."""
        return f"{self.pack.id}/{self.problem.id}"


@dataclass
class LoadedPack:
    path: Path  # the pack's folder, or its file for a single-file pack
    origin: str  # ORIGIN_BUILTIN, ORIGIN_USER or ORIGIN_COMMAND_LINE
    manifest: PackManifest | None = None
    lesson_sources: list[LessonSource] = field(default_factory=list)
    errors: list[PackError] = field(default_factory=list)
    manifest_source: SourceFile | None = None
    # (file, path) of problems that already have errors: deeper checks would only repeat them.
    problems_with_errors: set[tuple[str, tuple[Any, ...]]] = field(default_factory=set)

    @property
    def id(self) -> str:
        return self.manifest.id if self.manifest else self.path.stem

    @property
    def title(self) -> str:
        return self.manifest.title if self.manifest else self.path.name

    @property
    def version(self) -> str:
        return self.manifest.version if self.manifest else "?"

    @property
    def broken(self) -> bool:
        return any(error.severity == "error" for error in self.errors)

    @property
    def lessons(self) -> list[Lesson]:
        return [source.lesson for source in self.lesson_sources]

    @property
    def lesson_count(self) -> int:
        return len(self.lesson_sources)

    @property
    def problem_count(self) -> int:
        return sum(len(source.lesson.problems()) for source in self.lesson_sources)

    def problems(self) -> Iterator[ProblemRef]:
        for lesson_source in self.lesson_sources:
            for problem, problem_path in lesson_source.problems_with_paths():
                yield ProblemRef(self, lesson_source.lesson, problem, lesson_source.source, problem_path)

    def lesson(self, lesson_id: str) -> Lesson | None:
        return next((lesson for lesson in self.lessons if lesson.id == lesson_id), None)

    def problem(self, problem_id: str) -> ProblemRef | None:
        return next((ref for ref in self.problems() if ref.problem.id == problem_id), None)


@dataclass
class PackCatalog:
    packs: list[LoadedPack]

    @property
    def usable(self) -> list[LoadedPack]:
        return [pack for pack in self.packs if not pack.broken]

    @property
    def broken(self) -> list[LoadedPack]:
        return [pack for pack in self.packs if pack.broken]

    def get(self, pack_id: str) -> LoadedPack | None:
        return next((pack for pack in self.usable if pack.id == pack_id), None)

    def find_problem(self, key: str) -> ProblemRef | None:
        """``pack-id/problem-id`` -> the problem, or None."""
        pack_id, _, problem_id = key.partition("/")
        pack = self.get(pack_id)
        return pack.problem(problem_id) if pack else None


# --- where packs live -----------------------------------------------------------------------------


def builtin_packs_dir() -> Path | None:
    """Installed wheels carry ``tutor/builtin_lessons``; a source checkout has ``<repo>/lessons``."""
    import tutor

    package_dir = Path(tutor.__file__).resolve().parent
    for candidate in (package_dir / "builtin_lessons", package_dir.parent / "lessons"):
        if candidate.is_dir():
            return candidate
    return None


def user_packs_dir(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """``--data-dir``, else ``$BACKPROP_TUTOR_HOME``, else the platform's user data folder; then ``packs``."""
    if data_dir:
        return Path(data_dir).expanduser() / "packs"
    home = os.environ.get(HOME_ENVIRONMENT_VARIABLE)
    if home:
        return Path(home).expanduser() / "packs"
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME)) / "packs"


def pack_paths_in(folder: Path) -> list[Path]:
    """Sub-folders holding pack.yaml, and YAML files directly in ``folder``, sorted by name."""
    if not folder.is_dir():
        return []
    found = []
    for entry in sorted(folder.iterdir(), key=lambda path: path.name):
        if entry.name.startswith("."):
            continue
        if entry.is_dir() and (entry / MANIFEST_NAME).is_file():
            found.append(entry)
        elif entry.is_file() and entry.suffix in YAML_SUFFIXES:
            found.append(entry)
    return found


def find_manifest_above(path: Path, max_levels: int = 8) -> Path | None:
    """The ``pack.yaml`` of the folder pack a lesson file belongs to: in its folder or a parent folder."""
    folder = path.resolve().parent
    for _ in range(max_levels):
        candidate = folder / MANIFEST_NAME
        if candidate.is_file():
            return candidate
        if folder.parent == folder:
            break
        folder = folder.parent
    return None


def discover_packs(
    extra_paths: Sequence[str | os.PathLike[str]] = (),
    *,
    data_dir: str | os.PathLike[str] | None = None,
    include_builtin: bool = True,
    include_user: bool = True,
) -> PackCatalog:
    """Load every pack: built-in, then the user's packs folder, then ``extra_paths`` (``--pack``)."""
    located: list[tuple[Path, str]] = []
    if include_builtin and (builtin := builtin_packs_dir()) is not None:
        located.extend((path, ORIGIN_BUILTIN) for path in pack_paths_in(builtin))
    if include_user:
        located.extend((path, ORIGIN_USER) for path in pack_paths_in(user_packs_dir(data_dir)))
    located.extend((Path(path), ORIGIN_COMMAND_LINE) for path in extra_paths)
    return load_packs(located)


def catalog_from_args(args: Any) -> PackCatalog:
    """The catalog for a parsed command line (uses ``--pack`` and ``--data-dir`` when present)."""
    return discover_packs(getattr(args, "pack", None) or (), data_dir=getattr(args, "data_dir", None))


def load_packs(located: Iterable[tuple[Path, str]]) -> PackCatalog:
    packs: list[LoadedPack] = []
    seen: dict[str, LoadedPack] = {}
    resolved_paths: set[Path] = set()
    for path, origin in located:
        real = path.resolve()
        if real in resolved_paths:
            continue  # the same pack given twice (e.g. --pack pointing into the built-in folder)
        resolved_paths.add(real)
        try:
            pack = load_pack(path, origin)
        except (OSError, ValueError) as error:
            # A path the filesystem refuses (too long, unreadable): this pack is broken, the rest load.
            pack = LoadedPack(path, origin)
            pack.errors.append(PackError(path, 1, 1, f"cannot read the pack: {getattr(error, 'strerror', None) or error}"))
        if pack.manifest is not None and pack.id in seen:
            first = seen[pack.id]
            source = pack.manifest_source
            assert source is not None
            pack.errors.insert(0, source.error_at(("id",), f"pack id '{pack.id}' is already used by "
                                                         f"{display_path(first.path)} ({first.origin})"))
        elif pack.manifest is not None:
            seen[pack.id] = pack
        packs.append(pack)
    return PackCatalog(packs)


# --- loading one pack -----------------------------------------------------------------------------


def load_pack(path: str | os.PathLike[str], origin: str = ORIGIN_COMMAND_LINE) -> LoadedPack:
    """Load a pack folder, its ``pack.yaml``, or a single-file pack. Never raises for bad content."""
    path = Path(path)
    if path.is_dir():
        manifest_path = path / MANIFEST_NAME
        if not manifest_path.is_file():
            pack = LoadedPack(path, origin)
            pack.errors.append(PackError(path, 1, 1, f"no {MANIFEST_NAME} in this folder, so it is not a lesson pack"))
            return pack
        return _load_from_manifest(manifest_path, path, origin, single_file=False)
    if path.is_file():
        if path.name == MANIFEST_NAME:
            return _load_from_manifest(path, path.parent, origin, single_file=False)
        return _load_from_manifest(path, path, origin, single_file=True)
    pack = LoadedPack(path, origin)
    pack.errors.append(PackError(path, 1, 1, "no such file or folder"))
    return pack


def _read(path: Path, errors: list[PackError]) -> tuple[Any, SourceFile] | None:
    try:
        document = load_yaml_file(path)
    except YamlLoadError as error:
        errors.append(PackError(path, error.position.line, error.position.column, error.message))
        return None
    source = SourceFile(path, document.positions)
    for key, position, first in document.duplicate_keys:
        errors.append(source.error_at_position(position, f"duplicate key '{key}' (first written at line {first.line})"))
    if document.data is None:
        errors.append(PackError(path, 1, 1, "the file is empty"))
        return None
    if not isinstance(document.data, dict):
        errors.append(source.error_at((), "the file must be a mapping (keys such as `id:` and `title:`), "
                                          "not a list or a single value"))
        return None
    return document.data, source


def _load_from_manifest(manifest_path: Path, pack_path: Path, origin: str, *, single_file: bool) -> LoadedPack:
    pack = LoadedPack(pack_path, origin)
    read = _read(manifest_path, pack.errors)
    if read is None:
        return pack
    data, source = read
    pack.manifest_source = source
    try:
        pack.manifest = PackManifest.model_validate(data)
    except ValidationError as error:
        pack.errors.extend(errors_from_validation(error, PackManifest, data, source))
    entries = _lesson_entries(pack, data, single_file)
    if len(entries) > MAX_LESSON_FILES_PER_PACK:
        pack.errors.append(source.error_at(("lessons",), f"the pack lists {len(entries)} lessons; "
                                                          f"a pack may have at most {MAX_LESSON_FILES_PER_PACK}"))
        return pack
    for index, entry in enumerate(entries):
        if isinstance(entry, Lesson):
            pack.lesson_sources.append(LessonSource(entry, source, ("lessons", index)))
        elif isinstance(entry, str):
            lesson_source = _load_lesson_file(pack_path if not single_file else pack_path.parent, entry,
                                              source, ("lessons", index), pack.errors)
            if lesson_source is not None:
                pack.lesson_sources.append(lesson_source)
    if not entries and not pack.errors:
        pack.errors.append(source.error_at((), "the pack has no lessons"))
    if pack.problem_count > MAX_PROBLEMS_PER_PACK:
        pack.errors.append(source.error_at((), f"the pack has {pack.problem_count} problems; "
                                               f"a pack may have at most {MAX_PROBLEMS_PER_PACK}"))
        pack.lesson_sources = []  # checking them all is the slow part the limit exists to avoid
        return pack
    pack.errors.extend(check_lessons(pack.lesson_sources, pack.problems_with_errors))
    pack.errors.sort(key=lambda error: (str(error.file), error.line, error.column))
    return pack


def _lesson_entries(pack: LoadedPack, data: dict[str, Any], single_file: bool) -> list[Any]:
    """Lesson entries from a valid manifest, or the file names of an invalid one (to report all errors)."""
    if pack.manifest is not None:
        if pack.manifest.lessons is not None:
            return list(pack.manifest.lessons)
        if single_file:
            assert pack.manifest_source is not None
            pack.errors.append(pack.manifest_source.error_at((), "missing required key 'lessons' "
                                                                 "(a single-file pack lists its lessons in place)"))
            return []
        return [
            path.name
            for path in sorted(pack.path.iterdir(), key=lambda path: path.name)
            if path.is_file() and path.suffix in YAML_SUFFIXES and path.name != MANIFEST_NAME
        ]
    raw = data.get("lessons")
    return [entry for entry in raw if isinstance(entry, str)] if isinstance(raw, list) else []


def _load_lesson_file(folder: Path, name: str, manifest: SourceFile, entry_path: tuple[Any, ...],
                      errors: list[PackError]) -> LessonSource | None:
    try:
        lesson_path = (folder / name).resolve()
        inside = lesson_path.is_relative_to(folder.resolve())
        exists = inside and lesson_path.is_file()
    except (OSError, ValueError) as error:
        errors.append(manifest.error_at(entry_path, f"lesson file name cannot be used: "
                                                    f"{getattr(error, 'strerror', None) or 'invalid path'}"))
        return None
    if not inside:
        # Nothing from the target is opened or quoted: a pack may only name its own files.
        errors.append(manifest.error_at(entry_path, "a lesson file must be inside the pack's folder "
                                                    "(no absolute paths, '..' or links leading out of it)"))
        return None
    if not exists:
        errors.append(manifest.error_at(entry_path, f"lesson file '{name}' not found in {display_path(folder)}"))
        return None
    read = _read(lesson_path, errors)
    if read is None:
        return None
    data, source = read
    try:
        lesson = Lesson.model_validate(data)
    except ValidationError as error:
        errors.extend(errors_from_validation(error, Lesson, data, source))
        return None
    return LessonSource(lesson, source)


__all__ = [
    "LoadedPack", "PackCatalog", "PositionMap", "ProblemRef", "builtin_packs_dir", "catalog_from_args",
    "discover_packs", "find_manifest_above", "load_pack", "load_packs", "pack_paths_in", "user_packs_dir",
]
