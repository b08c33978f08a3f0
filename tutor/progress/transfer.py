"""Progress as a JSON document: export, validation, merge-import.

Format (``format_version`` 1)::

    {"format": "backprop-tutor-progress", "format_version": 1, "exported_at": "2025-...+00:00",
     "learner": "Ana Lima",  (optional: only when exported with --learner; older files have none)
     "attempts":     [{"uid", "pack_id", "pack_version", "lesson_id", "problem_id", "variant_seed",
                       "answer_text", "verdict", "diagnosis", "hints_used", "seconds", "answered_at"}, ...],
     "review_cards": [{"pack_id", "problem_id", "lesson_id", "card": <fsrs Card.to_dict()>}, ...],
     "review_log":   [{"uid", "pack_id", "problem_id", "lesson_id", "rating", "reviewed_at",
                       "duration_ms", "attempt_uid"}, ...],
     "skill_events": [{"uid", "skill_id", "correct", "level", "diagnosis", "answered_at"}, ...]}
                     (optional: files from before per-skill mastery have none; the mastery model
                      replays these events, so an import carries each skill's rating with it)

Import *merges*: attempts, review entries and skill events are identified by ``uid``, so importing the same file twice
adds nothing the second time, and exporting a store that was filled only by an import gives back the same
document (apart from ``exported_at``). For a problem that has a review card on both sides, the card
reviewed most recently wins. The whole document is validated before anything is written, and the write
is one transaction, so a rejected file changes nothing. Errors name the entry and field, e.g.
``progress.json: attempts[3].verdict: Input should be 'correct', ...``.

Both directions stream, so memory does not grow with the number of answers. Export writes one entry per
line, row by row from SQLite cursors inside one read snapshot. Import reads ``CHUNK_CHARS`` at a time and
decodes one entry at a time (``json.JSONDecoder.raw_decode``); any JSON layout of the format is read, the
``json.dump(indent=2)`` files of earlier versions included. Each entry is validated as it arrives and staged
in TEMP tables (in SQLite's temporary file, not in memory); uniqueness is checked there in SQL; only a file
without any problem is then merged, by ``INSERT ... SELECT`` in one write transaction. An entry (or top-level
value) longer than ``MAX_ENTRY_CHARS`` is refused, which is what keeps a hostile file's memory bounded too.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, NamedTuple, TextIO, TypeVar, cast

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from tutor.progress.model import (
    ImportSummary,
    ProgressError,
    ProgressImportError,
    format_timestamp,
    parse_timestamp,
)

if TYPE_CHECKING:
    from tutor.progress.store import ProgressStore

FORMAT_NAME = "backprop-tutor-progress"
FORMAT_VERSION = 1


def _aware_timestamp(text: str) -> str:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not an ISO 8601 date-time: {text!r}") from None
    if moment.tzinfo is None:
        raise ValueError(f"date-time has no timezone: {text!r}")
    _check_in_range(moment, text)
    return text


# Later moments leave no room for the scheduler to add an interval (datetime ends at year 9999).
LATEST_ACCEPTED = datetime(3000, 1, 1, tzinfo=UTC)


def _check_in_range(moment: datetime, text: str) -> None:
    try:
        in_utc = moment.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValueError(f"date-time is outside the supported range once converted to UTC: {text!r}") from None
    if in_utc >= LATEST_ACCEPTED:
        raise ValueError(f"date-time is after {LATEST_ACCEPTED.year}-01-01: {text!r}")


def _first_surrogate(value: Any, parts: tuple[Any, ...] = ()) -> tuple[Any, ...] | None:
    """Where the first text with a lone surrogate (unencodable as UTF-8) sits, or None."""
    stack: list[tuple[tuple[Any, ...], Any]] = [(parts, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return where
        elif isinstance(item, dict):
            stack.extend((where + (key,), child) for key, child in reversed(list(item.items())))
            if any(isinstance(key, str) and _first_surrogate(key) is not None for key in item):
                return where
        elif isinstance(item, list):
            stack.extend((where + (index,), child) for index, child in reversed(list(enumerate(item))))
    return None


Timestamp = Annotated[str, AfterValidator(_aware_timestamp)]
MAX_LEARNER_CHARS = 200


def check_learner_name(text: str) -> str:
    """A learner's name as an export carries it: 1-200 characters, not blank, no control characters."""
    if not text.strip():
        raise ValueError("a learner name may not be empty")
    if len(text) > MAX_LEARNER_CHARS:
        raise ValueError(f"a learner name may be at most {MAX_LEARNER_CHARS} characters, not {len(text)}")
    if any(ord(character) < 32 or 127 <= ord(character) < 160 for character in text):
        raise ValueError("a learner name may not hold control characters (tabs, new lines)")
    return text


LearnerName = Annotated[str, AfterValidator(check_learner_name)]
Identifier = Annotated[str, Field(min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class AttemptEntry(_Strict):
    uid: Identifier
    pack_id: Identifier
    pack_version: str
    lesson_id: Identifier
    problem_id: Identifier
    variant_seed: Annotated[int, Field(ge=-(2**63), lt=2**63)] | None
    answer_text: str
    verdict: Literal["correct", "incorrect", "invalid", "unchecked", "gave-up"]
    diagnosis: str | None
    hints_used: Annotated[int, Field(ge=0)]
    seconds: Annotated[float, Field(ge=0)]
    answered_at: Timestamp


class CardEntry(_Strict):
    pack_id: Identifier
    problem_id: Identifier
    lesson_id: Identifier
    card: dict[str, Any]


class ReviewEntry(_Strict):
    uid: Identifier
    pack_id: Identifier
    problem_id: Identifier
    lesson_id: Identifier
    rating: Annotated[int, Field(ge=1, le=4)]
    reviewed_at: Timestamp
    duration_ms: Annotated[int, Field(ge=0)] | None
    attempt_uid: str | None


class SkillEventEntry(_Strict):
    uid: Identifier
    skill_id: Identifier
    correct: bool
    level: Annotated[int, Field(ge=1, le=5)]
    diagnosis: str | None
    answered_at: Timestamp


class ProgressDocument(_Strict):
    format: Literal["backprop-tutor-progress"]
    format_version: Literal[1]
    exported_at: Timestamp
    learner: LearnerName | None = None
    attempts: list[AttemptEntry]
    review_cards: list[CardEntry]
    review_log: list[ReviewEntry]
    skill_events: list[SkillEventEntry] = []


_MODELS: dict[str, type[_Strict]] = {"attempts": AttemptEntry, "review_cards": CardEntry, "review_log": ReviewEntry,
                                     "skill_events": SkillEventEntry}
T = TypeVar("T")


class ExportSummary(NamedTuple):
    attempts: int
    review_cards: int
    review_entries: int
    skill_events: int = 0


# ------------------------------------------------------------------------------------------------ export

_ATTEMPT_KEYS = ("uid", "pack_id", "pack_version", "lesson_id", "problem_id", "variant_seed", "answer_text", "verdict",
                 "diagnosis", "hints_used", "seconds", "answered_at")
_REVIEW_KEYS = ("uid", "pack_id", "problem_id", "lesson_id", "rating", "reviewed_at", "duration_ms", "attempt_uid")
_ATTEMPTS_SQL = f"SELECT {', '.join(_ATTEMPT_KEYS)} FROM attempts ORDER BY answered_at, id"
_CARDS_SQL = "SELECT pack_id, problem_id, lesson_id, card_json FROM review_cards ORDER BY pack_id, problem_id"
_REVIEWS_SQL = f"SELECT {', '.join(_REVIEW_KEYS)} FROM review_log ORDER BY reviewed_at, id"
_SKILL_EVENT_KEYS = ("uid", "skill_id", "correct", "level", "diagnosis", "answered_at")
_SKILL_EVENTS_SQL = f"SELECT {', '.join(_SKILL_EVENT_KEYS)} FROM skill_events ORDER BY answered_at, id"


def _attempt_rows(connection: sqlite3.Connection) -> Iterator[dict[str, Any]]:
    for row in connection.execute(_ATTEMPTS_SQL):
        entry = dict(zip(_ATTEMPT_KEYS, row, strict=True))
        entry["seconds"] = float(entry["seconds"])
        yield entry


def _card_rows(connection: sqlite3.Connection) -> Iterator[dict[str, Any]]:
    for pack_id, problem_id, lesson_id, card_json in connection.execute(_CARDS_SQL):
        yield {"pack_id": pack_id, "problem_id": problem_id, "lesson_id": lesson_id, "card": json.loads(card_json)}


def _review_rows(connection: sqlite3.Connection) -> Iterator[dict[str, Any]]:
    for row in connection.execute(_REVIEWS_SQL):
        yield dict(zip(_REVIEW_KEYS, row, strict=True))


def _skill_event_rows(connection: sqlite3.Connection) -> Iterator[dict[str, Any]]:
    if connection.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'skill_events'").fetchone() \
            is None:
        return  # a read-only store of an older schema (opened without migrating) has none
    for row in connection.execute(_SKILL_EVENTS_SQL):
        entry = dict(zip(_SKILL_EVENT_KEYS, row, strict=True))
        entry["correct"] = bool(entry["correct"])
        yield entry


def _header(exported_at: datetime, learner: str | None) -> dict[str, Any]:
    header: dict[str, Any] = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION,
                              "exported_at": format_timestamp(exported_at)}
    if learner is not None:
        header["learner"] = check_learner_name(learner)
    return header


def collect(connection: sqlite3.Connection, *, exported_at: datetime, learner: str | None = None) -> dict[str, Any]:
    """The whole export as one dict (holds everything in memory: for tests and small stores; files stream)."""
    return {**_header(exported_at, learner), "attempts": list(_attempt_rows(connection)),
            "review_cards": list(_card_rows(connection)), "review_log": list(_review_rows(connection)),
            "skill_events": list(_skill_event_rows(connection))}


_encode = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode


def stream(connection: sqlite3.Connection, handle: TextIO, *, exported_at: datetime,
           learner: str | None = None) -> ExportSummary:
    """Write the export to ``handle`` row by row from SQLite cursors: memory does not grow with the store.

    Layout: the document indented by two spaces, one entry per line (the same JSON as ``collect``). The
    optional learner name comes before the answers, so a reader of the stream knows whose they are first.
    """
    write = handle.write
    write("{\n")
    for key, value in _header(exported_at, learner).items():
        write(f"  {_encode(key)}: {_encode(value)},\n")
    counts = []
    sections = (("attempts", _attempt_rows), ("review_cards", _card_rows), ("review_log", _review_rows),
                ("skill_events", _skill_event_rows))
    for position, (name, rows) in enumerate(sections):
        write(f'  "{name}": [')
        count = 0
        for entry in rows(connection):
            write(",\n    " if count else "\n    ")
            write(_encode(entry))
            count += 1
        write("\n  ]" if count else "]")
        write(",\n" if position < len(sections) - 1 else "\n")
        counts.append(count)
    write("}\n")
    return ExportSummary(attempts=counts[0], review_cards=counts[1], review_entries=counts[2],
                         skill_events=counts[3])


def _atomic_write(path: Path, fill: Callable[[TextIO], T]) -> T:
    """Write through a temporary file renamed into place, so an interrupted export never leaves half a file."""
    directory = path.parent if str(path.parent) else Path(".")
    temporary_name = None
    try:
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=directory, prefix=f".{path.name}.",
                                         suffix=".tmp", delete=False) as handle:
            temporary_name = handle.name
            result = fill(cast(TextIO, handle))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary_name, path)
        return result
    except OSError as error:
        if temporary_name is not None and os.path.exists(temporary_name):
            os.unlink(temporary_name)
        raise ProgressError(f"cannot write {path}: {error.strerror or error}") from None
    except BaseException:
        if temporary_name is not None and os.path.exists(temporary_name):
            os.unlink(temporary_name)
        raise


def write_json(document: dict[str, Any], path: Path) -> None:
    """Write a document made by ``collect`` atomically."""
    def fill(handle: TextIO) -> None:
        json.dump(document, handle, indent=2, ensure_ascii=False, allow_nan=False)
        handle.write("\n")

    _atomic_write(path, fill)


def export_file(connection: sqlite3.Connection, path: Path, *, exported_at: datetime,
                learner: str | None = None) -> ExportSummary:
    """Stream the export into ``path`` atomically."""
    if learner is not None:
        check_learner_name(learner)  # before the file is created
    return _atomic_write(path, lambda handle: stream(connection, handle, exported_at=exported_at, learner=learner))


# ------------------------------------------------------------------------------------------------ import
# A file is read in chunks and parsed one entry at a time (json.JSONDecoder.raw_decode), so memory does not
# grow with its length. Each entry is validated as it arrives and staged in a TEMP table; uniqueness is then
# checked in SQL, and only a file with no problem at all is merged, in one short write transaction.

CHUNK_CHARS = 1 << 16
MAX_ENTRY_CHARS = 1_000_000  # one entry (or top-level value) longer than this is refused: memory stays bounded
SECTIONS = ("attempts", "review_cards", "review_log", "skill_events")
_FIELD_ORDER = {name: rank for rank, name in enumerate(("format", "format_version", "exported_at", "learner",
                                                         *SECTIONS))}
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in a progress file")


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"duplicate key {key!r}")
            seen.add(key)
    return result


_DECODER = json.JSONDecoder(parse_constant=_reject_constant, object_pairs_hook=_no_duplicate_keys)

# Events: ("field", key, value) for a top-level value, ("entry", section, index, value, may_hold_surrogates)
# for one element of a section's array, ("section", section, count) once that array has ended.
Event = tuple[Any, ...]


class _ChunkedJSON:
    """The top-level object of a JSON text, read ``CHUNK_CHARS`` at a time."""

    def __init__(self, handle: TextIO, source: str) -> None:
        self.handle, self.source = handle, source
        self.buffer, self.pos, self.at_end = "", 0, False
        self.line, self.column = 1, 1  # where buffer[0] sits in the file, for line:col in errors

    def _read_more(self) -> bool:
        if self.at_end:
            return False
        try:
            chunk = self.handle.read(CHUNK_CHARS)
        except UnicodeDecodeError:
            raise ProgressImportError(f"{self.source}: not UTF-8 text, so not a progress export") from None
        except OSError as error:
            raise ProgressImportError(f"{self.source}: cannot read: {error.strerror or error}") from None
        if not chunk:
            self.at_end = True
            return False
        newlines = self.buffer.count("\n", 0, self.pos)
        if newlines:
            self.line += newlines
            self.column = self.pos - self.buffer.rfind("\n", 0, self.pos)
        else:
            self.column += self.pos
        self.buffer = self.buffer[self.pos:] + chunk
        self.pos = 0
        return True

    def _syntax_error(self, index: int, message: str) -> ProgressImportError:
        line = self.line + self.buffer.count("\n", 0, index)
        last_newline = self.buffer.rfind("\n", 0, index)
        column = index - last_newline if last_newline >= 0 else self.column + index
        return ProgressImportError(f"{self.source}:{line}:{column}: not valid JSON: {message}")

    def _peek(self) -> str:
        """The next character that is not white space ('' at the end of the text)."""
        while True:
            self.pos = _WHITESPACE.match(self.buffer, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.buffer):
                return self.buffer[self.pos]
            if not self._read_more():
                return ""

    def _expect(self, characters: str, message: str) -> str:
        character = self._peek()
        if character == "" or character not in characters:
            raise self._syntax_error(self.pos, message)
        self.pos += 1
        return character

    def _value(self, where: str) -> Any:
        self._peek()
        while True:
            try:
                value, end = _DECODER.raw_decode(self.buffer, self.pos)
            except json.JSONDecodeError as error:
                if self._grow(where):
                    continue  # the value may go on in the next chunk
                raise self._syntax_error(error.pos, error.msg) from None
            except ValueError as error:
                raise ProgressImportError(f"{self.source}: not a valid progress file: {error}") from None
            except RecursionError:
                raise ProgressImportError(f"{self.source}: nested too deeply to be a progress export") from None
            if end == len(self.buffer) and self._grow(where):
                continue  # a number at the end of the chunk may have more digits
            self.pos = end
            return value

    def _grow(self, where: str) -> bool:
        if len(self.buffer) - self.pos > MAX_ENTRY_CHARS:
            raise ProgressImportError(f"{self.source}: {where}: longer than {MAX_ENTRY_CHARS:,} characters "
                                      "(or not valid JSON), which no progress entry is")
        return self._read_more()

    def events(self) -> Iterator[Event]:
        first = self._peek()
        if first != "{":
            if first == "":
                raise self._syntax_error(self.pos, "Expecting value")
            kind = "list" if first == "[" else type(self._value("(top level)")).__name__
            raise ProgressImportError(f"{self.source}: not a progress export: expected a JSON object at the top "
                                      f"level, got {kind}")
        self.pos += 1
        seen: set[str] = set()
        if self._peek() == "}":
            self.pos += 1
        else:
            while True:
                if self._peek() != '"':
                    raise self._syntax_error(self.pos, "Expecting property name enclosed in double quotes")
                key = self._value("(top level)")
                self._expect(":", "Expecting ':' delimiter")
                if key in seen:
                    raise ProgressImportError(f"{self.source}: not a valid progress file: duplicate key {key!r}")
                seen.add(key)
                if key in SECTIONS and self._peek() == "[":
                    self.pos += 1
                    count = 0
                    if self._peek() == "]":
                        self.pos += 1
                    else:
                        while True:
                            start = self.pos
                            value = self._value(f"{key}[{count}]")
                            # UTF-8 text cannot hold a lone surrogate; only a \uD800-\uDFFF escape can make one.
                            escaped = _SURROGATE_ESCAPE.search(self.buffer, start, self.pos) is not None
                            yield ("entry", key, count, value, escaped)
                            count += 1
                            if self._expect(",]", "Expecting ',' delimiter") == "]":
                                break
                    yield ("section", key, count)
                else:
                    yield ("field", key, self._value(key))
                if self._expect(",}", "Expecting ',' delimiter") == "}":
                    break
        if self._peek() != "":
            raise self._syntax_error(self.pos, "Extra data")


def open_for_import(path: Path) -> TextIO:
    try:
        return path.open(encoding="utf-8-sig")  # a byte-order mark from a Windows editor is not an error
    except FileNotFoundError:
        raise ProgressImportError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ProgressImportError(f"{path}: is a folder, not a progress export") from None
    except OSError as error:
        raise ProgressImportError(f"{path}: cannot read: {error.strerror or error}") from None


def events_from_file(handle: TextIO, *, source: str) -> Iterator[Event]:
    return _ChunkedJSON(handle, source).events()


def events_from_data(data: Any, *, source: str) -> Iterator[Event]:
    """The same events for a document already in memory (``import_data``)."""
    if not isinstance(data, dict):
        raise ProgressImportError(f"{source}: not a progress export: expected a JSON object at the top level, "
                                  f"got {type(data).__name__}")
    for key, value in data.items():
        if key in SECTIONS and isinstance(value, list):
            for index, entry in enumerate(value):
                yield ("entry", key, index, entry, True)
            yield ("section", key, len(value))
        else:
            yield ("field", key, value)


def _location(parts: tuple[Any, ...]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


_STAGING = {
    "attempts": ("import_attempts", _ATTEMPT_KEYS),
    "review_cards": ("import_cards", ("pack_id", "problem_id", "lesson_id", "card_json", "due_at", "last_review")),
    "review_log": ("import_reviews", _REVIEW_KEYS),
    "skill_events": ("import_skill_events", _SKILL_EVENT_KEYS),
}
BATCH_ROWS = 2000


class _Staging:
    """Validates events one by one; keeps the first problem of each kind and stages valid entries."""

    def __init__(self, connection: sqlite3.Connection, source: str) -> None:
        self.connection, self.source = connection, source
        self.fields: dict[str, Any] = {}
        self.lists: set[str] = set()
        self.counts = dict.fromkeys(SECTIONS, 0)
        self.surrogate: str | None = None
        self.first_problem: tuple[tuple[int, int], str] | None = None
        self.problem_count = 0
        self.card_problem: str | None = None
        self.batches: dict[str, list[tuple[Any, ...]]] = {section: [] for section in SECTIONS}
        drop_staging(connection)
        for table, columns in _STAGING.values():
            connection.execute(f"CREATE TEMP TABLE {table} (idx INTEGER PRIMARY KEY, {', '.join(columns)})")

    @property
    def clean(self) -> bool:
        return self.surrogate is None and self.problem_count == 0 and self.card_problem is None

    def _problem(self, rank: tuple[int, int], loc: tuple[Any, ...], message: str) -> None:
        self.problem_count += 1
        if self.first_problem is None or rank < self.first_problem[0]:
            self.first_problem = (rank, f"{_location(loc)}: {message.removeprefix('Value error, ')}")

    def _validation_problems(self, error: ValidationError, prefix: tuple[Any, ...], index: int) -> None:
        for problem in error.errors(include_url=False):
            loc = prefix + tuple(problem["loc"])
            rank = _FIELD_ORDER.get(str(loc[0]), len(_FIELD_ORDER)) if loc else len(_FIELD_ORDER)
            self._problem((rank, index), loc, problem["msg"])

    def feed(self, event: Event) -> None:
        kind = event[0]
        if kind == "field":
            _, key, value = event
            if self.surrogate is None and (where := _first_surrogate(value, (key,))) is not None:
                self.surrogate = _location(where)
            self.fields[key] = value
        elif kind == "section":
            self.lists.add(event[1])
            self.counts[event[1]] = event[2]
        else:
            self._entry(event[1], event[2], event[3], may_hold_surrogates=event[4])

    def _entry(self, section: str, index: int, value: Any, *, may_hold_surrogates: bool) -> None:
        if self.surrogate is not None:
            return
        if may_hold_surrogates and (where := _first_surrogate(value, (section, index))) is not None:
            self.surrogate = _location(where)
            return
        model = _MODELS[section]
        try:
            entry = model.model_validate(value)
        except ValidationError as error:
            self._validation_problems(error, (section, index), index)
            return
        if not self.clean:
            return  # the file will be refused; validating the rest only counts its problems
        if isinstance(entry, AttemptEntry):
            row: tuple[Any, ...] = (
                index, entry.uid, entry.pack_id, entry.pack_version, entry.lesson_id, entry.problem_id,
                entry.variant_seed, entry.answer_text, entry.verdict, entry.diagnosis, entry.hints_used,
                entry.seconds, _canonical(entry.answered_at))
        elif isinstance(entry, SkillEventEntry):
            row = (index, entry.uid, entry.skill_id, int(entry.correct), entry.level, entry.diagnosis,
                   _canonical(entry.answered_at))
        elif isinstance(entry, ReviewEntry):
            row = (index, entry.uid, entry.pack_id, entry.problem_id, entry.lesson_id, entry.rating,
                   _canonical(entry.reviewed_at), entry.duration_ms, entry.attempt_uid)
        else:
            assert isinstance(entry, CardEntry)
            try:
                card = _card_from_entry(entry, f"{self.source}: review_cards[{index}].card")
            except ProgressImportError as error:
                self.card_problem = str(error)
                return
            row = (index, entry.pack_id, entry.problem_id, entry.lesson_id, card.to_json(), format_timestamp(card.due),
                   None if card.last_review is None else format_timestamp(card.last_review))
        batch = self.batches[section]
        batch.append(row)
        if len(batch) >= BATCH_ROWS:
            self._flush(section)

    def _flush(self, section: str) -> None:
        batch = self.batches[section]
        if batch:
            table, columns = _STAGING[section]
            self.connection.executemany(
                f"INSERT INTO {table} (idx, {', '.join(columns)}) VALUES ({', '.join('?' * (len(columns) + 1))})", batch)
            batch.clear()

    def finish(self) -> None:
        """Raise ProgressImportError for the first problem found, in the order the file is judged."""
        for section in SECTIONS:
            self._flush(section)
        source = self.source
        if self.surrogate is not None:
            raise ProgressImportError(f"{source}: {self.surrogate}: text holds a lone surrogate "
                                      "(half of a UTF-16 pair), which is not a character")
        fields = self.fields
        if "format" not in fields:
            raise ProgressImportError(f"{source}: not a progress export: it has no \"format\" field")
        version = fields.get("format_version")
        if fields["format"] == FORMAT_NAME and isinstance(version, int) and not isinstance(version, bool) \
                and version > FORMAT_VERSION:
            raise ProgressImportError(f"{source}: format_version {version} comes from a newer "
                                      f"backprop-tutor; this one reads version {FORMAT_VERSION}")
        if fields["format"] != FORMAT_NAME:
            raise ProgressImportError(f"{source}: format: expected {FORMAT_NAME!r}, got {fields['format']!r} "
                                      "(not a backprop-tutor progress export)")
        # The top level is checked with the sections' entries already judged one by one (empty lists here).
        try:
            ProgressDocument.model_validate({**fields, **dict.fromkeys(self.lists, [])})
        except ValidationError as error:
            self._validation_problems(error, (), -1)
        if self.first_problem is not None:
            more = self.problem_count - 1
            suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
            raise ProgressImportError(f"{source}: {self.first_problem[1]}{suffix}")
        for section, key in (("attempts", ("uid",)), ("review_log", ("uid",)),
                             ("review_cards", ("pack_id", "problem_id")), ("skill_events", ("uid",))):
            self._check_unique(section, key)
        if self.card_problem is not None:
            raise ProgressImportError(self.card_problem)

    def _check_unique(self, section: str, key: tuple[str, ...]) -> None:
        table = _STAGING[section][0]
        same = " AND ".join(f"first.{column} = later.{column}" for column in key)
        self.connection.execute(f"CREATE INDEX temp.{table}_key ON {table} ({', '.join(key)})")
        row = self.connection.execute(
            f"SELECT later.idx, (SELECT MIN(first.idx) FROM {table} first WHERE {same}), "
            f"{', '.join('later.' + column for column in key)} FROM {table} later "
            f"WHERE EXISTS (SELECT 1 FROM {table} first WHERE {same} AND first.idx < later.idx) "
            "ORDER BY later.idx LIMIT 1").fetchone()
        if row is not None:
            index, seen, *values = row
            what = "/".join(key)
            raise ProgressImportError(f"{self.source}: {section}[{index}].{key[0]}: {what} {'/'.join(values)!r} "
                                      f"repeats {section}[{seen}]")


def _canonical(text: str) -> str:
    """The stored form of a validated timestamp (exports already hold it, so it is usually kept as it is)."""
    if len(text) == 32 and text.endswith("+00:00") and text[10] == "T" and text[19] == ".":
        return text  # what format_timestamp writes: YYYY-MM-DDTHH:MM:SS.ffffff+00:00
    return format_timestamp(parse_timestamp(text))


def drop_staging(connection: sqlite3.Connection) -> None:
    for table, _ in _STAGING.values():
        connection.execute(f"DROP TABLE IF EXISTS temp.{table}")


def stage(connection: sqlite3.Connection, events: Iterable[Event], *, source: str) -> None:
    """Validate a whole document into TEMP tables (the caller drops them); ProgressImportError on any problem."""
    staging = _Staging(connection, source)
    for event in events:
        staging.feed(event)
    staging.finish()


def merge_staged(store: ProgressStore, connection: sqlite3.Connection) -> ImportSummary:
    """Merge what ``stage`` left in the TEMP tables, inside the caller's write transaction."""
    columns = ", ".join(_ATTEMPT_KEYS)
    staged = connection.execute("SELECT count(*) FROM temp.import_attempts").fetchone()[0]
    added = connection.execute(
        f"INSERT INTO main.attempts ({columns}) SELECT {columns} FROM temp.import_attempts staged "
        "WHERE NOT EXISTS (SELECT 1 FROM main.attempts known WHERE known.uid = staged.uid) ORDER BY idx").rowcount
    cards_added = cards_updated = 0
    for pack_id, problem_id, lesson_id, card_json, due_at, last_review in _staged_cards(connection):
        existing_json = store.card_row(connection, pack_id, problem_id)
        if existing_json is not None:
            existing_last = json.loads(existing_json).get("last_review")
            if last_review is None or (existing_last is not None
                                       and parse_timestamp(existing_last) >= parse_timestamp(last_review)):
                continue
            cards_updated += 1
        else:
            cards_added += 1
        store.put_card(connection, pack_id=pack_id, problem_id=problem_id, lesson_id=lesson_id,
                       card_json=card_json, due_at=parse_timestamp(due_at))
    columns = ", ".join(_REVIEW_KEYS)
    entries_added = connection.execute(
        f"INSERT OR IGNORE INTO main.review_log ({columns}) SELECT {columns} FROM temp.import_reviews "
        "ORDER BY idx").rowcount
    columns = ", ".join(_SKILL_EVENT_KEYS)
    skill_events_added = connection.execute(
        f"INSERT INTO main.skill_events ({columns}) SELECT {columns} FROM temp.import_skill_events staged "
        "WHERE NOT EXISTS (SELECT 1 FROM main.skill_events known WHERE known.uid = staged.uid) ORDER BY idx").rowcount
    return ImportSummary(attempts_added=added, attempts_already_present=staged - added, cards_added=cards_added,
                         cards_updated=cards_updated, review_entries_added=entries_added,
                         skill_events_added=skill_events_added)


def _staged_cards(connection: sqlite3.Connection) -> Iterator[tuple[Any, ...]]:
    """Staged cards in file order, a page at a time (the loop writes to the same connection meanwhile)."""
    last = -1
    while True:
        page = connection.execute("SELECT idx, pack_id, problem_id, lesson_id, card_json, due_at, last_review "
                                  "FROM temp.import_cards WHERE idx > ? ORDER BY idx LIMIT ?", (last, BATCH_ROWS)).fetchall()
        if not page:
            return
        for row in page:
            yield row[1:]
        last = page[-1][0]


def _card_from_entry(entry: CardEntry, where: str) -> Any:
    from fsrs import Card

    try:
        card = Card.from_dict(entry.card)  # type: ignore[arg-type]
    except (KeyError, TypeError, ValueError) as error:
        detail = f"missing field {error}" if isinstance(error, KeyError) else str(error)
        raise ProgressImportError(f"{where}: not a valid review card: {detail}") from None
    extra = set(entry.card) - {"card_id", "state", "step", "stability", "difficulty", "due", "last_review"}
    if extra:
        raise ProgressImportError(f"{where}: unknown field {sorted(extra)[0]!r}")
    for name in ("due", "last_review"):
        moment = getattr(card, name)
        if moment is not None and moment.tzinfo is None:
            raise ProgressImportError(f"{where}.{name}: date-time has no timezone")
        if moment is not None:
            try:
                _check_in_range(moment, moment.isoformat())
            except ValueError as error:
                raise ProgressImportError(f"{where}.{name}: {error}") from None
    card.due = card.due.astimezone(UTC)
    if card.last_review is not None:
        card.last_review = card.last_review.astimezone(UTC)
    return card
