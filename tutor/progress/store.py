"""Lasting progress: every answer the learner gives, kept in one SQLite file.

Opening::

    from tutor.progress.store import ProgressStore, ProgressError
    store = ProgressStore.open(args.data_dir)      # --data-dir > $BACKPROP_TUTOR_HOME > user data dir
    if store.recovery_notice:                       # one sentence, or None
        show(store.recovery_notice)

Recording (each call is its own committed transaction; once it returns the answer survives a crash)::

    store.record_attempt(Attempt(pack_id=..., pack_version=..., lesson_id=..., problem_id=...,
                                 answer_text=..., verdict=Verdict.CORRECT, hints_used=1, seconds=42.0,
                                 answered_at=now))
    # To also move the spaced-review schedule in the same transaction use
    # tutor.progress.review.SpacedReview(store).record_attempt(attempt) instead.

Reading:
    ``problem_status(pack_id, problem_id)`` / ``problem_statuses(pack_id, ids)`` -> ProblemStatus
    ``lesson_completion(pack_id, problem_ids)`` -> LessonCompletion (solved/attempted/total)
    ``continue_target(lessons)`` -> ContinueTarget | None: the most recently active unfinished lesson
    ``frequent_diagnoses(limit, pack_id=, lesson_id=)`` -> [DiagnosisCount]
    ``pack_stats()`` / ``lesson_stats(pack_id=)`` -> [ActivityStats]
    ``attempts(...)`` -> [StoredAttempt] (full history, oldest first)
Maintenance: ``reset(lesson_id=, pack_id=)``, ``reset_preview(...)``, ``export_json(path)``,
``import_json(path)`` (merge; see tutor/progress/transfer.py), ``close()``.

Decisions worth knowing:

* Invalid answers (verdict ``invalid``) are stored, flagged by that verdict, so an export is a complete
  log; every derived figure ignores them, so the product never counts them as attempts.
* History is keyed by pack id + problem id, never by pack version or lesson: a new pack version keeps the
  history of every problem whose id still exists, and a problem moved to another lesson keeps its record.
* Several instances may share the file (WAL journal, busy timeout, short ``BEGIN IMMEDIATE`` writes).
* A file that is not SQLite, is damaged, lacks our application id, or has a schema newer than this code
  knows is renamed to ``progress.db.corrupt-YYYYmmddTHHMMSS`` (with its -wal/-shm files), a fresh
  database is started, and ``recovery_notice`` says so in one sentence. Nothing is ever deleted.
* Schema changes are appended to ``MIGRATIONS``; ``PRAGMA user_version`` records how many have run.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from tutor.progress.model import (
    ActivityStats,
    Attempt,
    ContinueTarget,
    DiagnosisCount,
    ImportSummary,
    LessonCompletion,
    LessonProblems,
    ProblemStatus,
    ResetSummary,
    StoredAttempt,
    Verdict,
    utc_now,
)

# Errors and timestamp text live with the model (transfer.py needs them without the store); re-exported here.
from tutor.progress.model import ProgressError as ProgressError
from tutor.progress.model import ProgressImportError as ProgressImportError
from tutor.progress.model import format_timestamp as format_timestamp
from tutor.progress.model import parse_timestamp as parse_timestamp
from tutor.progress.paths import database_path, resolve_data_dir

if TYPE_CHECKING:
    from tutor.progress.transfer import ExportSummary

# Written into the SQLite header; it is how we tell our file from another program's database.
APPLICATION_ID = 0x42505455  # "BPTU"

# Each entry moves the schema up one version; never edit a released entry, append a new one.
MIGRATIONS: list[tuple[str, ...]] = [
    # v1: the attempt log.
    (
        """CREATE TABLE attempts (
            id INTEGER PRIMARY KEY,
            pack_id TEXT NOT NULL,
            pack_version TEXT NOT NULL,
            lesson_id TEXT NOT NULL,
            problem_id TEXT NOT NULL,
            variant_seed INTEGER,
            answer_text TEXT NOT NULL,
            verdict TEXT NOT NULL CHECK (verdict IN ('correct', 'incorrect', 'invalid', 'unchecked', 'gave-up')),
            diagnosis TEXT,
            hints_used INTEGER NOT NULL CHECK (hints_used >= 0),
            seconds REAL NOT NULL CHECK (seconds >= 0),
            answered_at TEXT NOT NULL
        )""",
        "CREATE INDEX attempts_by_problem ON attempts (pack_id, problem_id)",
        "CREATE INDEX attempts_by_lesson ON attempts (pack_id, lesson_id)",
    ),
    # v2: stable attempt ids (so imports can merge without duplicates) and spaced-review state.
    (
        "ALTER TABLE attempts ADD COLUMN uid TEXT",
        "UPDATE attempts SET uid = lower(hex(randomblob(16))) WHERE uid IS NULL",
        "CREATE UNIQUE INDEX attempts_by_uid ON attempts (uid)",
        """CREATE TABLE review_cards (
            pack_id TEXT NOT NULL,
            problem_id TEXT NOT NULL,
            lesson_id TEXT NOT NULL,
            card_json TEXT NOT NULL,
            due_at TEXT NOT NULL,
            PRIMARY KEY (pack_id, problem_id)
        )""",
        "CREATE INDEX review_cards_by_due ON review_cards (due_at)",
        """CREATE TABLE review_log (
            id INTEGER PRIMARY KEY,
            uid TEXT NOT NULL UNIQUE,
            pack_id TEXT NOT NULL,
            problem_id TEXT NOT NULL,
            lesson_id TEXT NOT NULL,
            rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 4),
            reviewed_at TEXT NOT NULL,
            duration_ms INTEGER,
            attempt_uid TEXT
        )""",
        "CREATE INDEX review_log_by_problem ON review_log (pack_id, problem_id)",
    ),
    # v3: evidence about gradient skills (tutor/practice/mastery.py replays it into ratings).
    (
        """CREATE TABLE skill_events (
            id INTEGER PRIMARY KEY,
            uid TEXT NOT NULL UNIQUE,
            skill_id TEXT NOT NULL,
            correct INTEGER NOT NULL CHECK (correct IN (0, 1)),
            level INTEGER NOT NULL CHECK (level BETWEEN 1 AND 5),
            diagnosis TEXT,
            answered_at TEXT NOT NULL
        )""",
        "CREATE INDEX skill_events_by_time ON skill_events (answered_at)",
    ),
]
LATEST_SCHEMA_VERSION = len(MIGRATIONS)

COUNTED = "verdict != 'invalid'"
_ATTEMPT_COLUMNS = ("id, uid, pack_id, pack_version, lesson_id, problem_id, variant_seed, answer_text, verdict, "
                    "diagnosis, hints_used, seconds, answered_at")
_SQLITE_HEADER = b"SQLite format 3\x00"
_CORRUPTION_CODES = {getattr(sqlite3, "SQLITE_CORRUPT", 11), getattr(sqlite3, "SQLITE_NOTADB", 26)}


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        status = path.stat()
    except FileNotFoundError:
        return None
    return (status.st_dev, status.st_ino)


def _writable(path: Path) -> bool:
    """Whether we may write the progress file (and create its -wal/-shm files beside it)."""
    if not os.access(path.parent, os.W_OK):
        return False
    return not path.exists() or os.access(path, os.W_OK)


def _is_corruption(error: sqlite3.DatabaseError) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return (code & 0xFF) in _CORRUPTION_CODES
    message = str(error).lower()
    return "not a database" in message or "malformed" in message


class ProgressStore:
    """The learner's progress database. See the module docstring for the tour.

    Safe to share between threads (one lock guards the connection) and between processes (SQLite locking).
    """

    def __init__(self, path: str | os.PathLike[str], *, clock: Callable[[], datetime] = utc_now,
                 busy_timeout_seconds: float = 10.0, read_only: bool | None = None) -> None:
        self.path = Path(path)
        # None: decided on opening. A folder or file we may not write is opened read-only (SQLite mode=ro):
        # everything can be read, and writes raise ProgressError instead of "no progress".
        self.read_only = read_only
        self.immutable = False  # read-only and opened without locks (see _connect_read_only)
        self._clock = clock
        self._busy_timeout_seconds = busy_timeout_seconds
        self._lock = threading.RLock()
        self._connection: sqlite3.Connection | None = None
        self.recovery_notice: str | None = None
        self.moved_aside_to: Path | None = None
        self._open()

    @classmethod
    def open(cls, data_dir: str | os.PathLike[str] | None = None, **options: Any) -> ProgressStore:
        """Open (creating if needed) ``progress.db`` in the resolved data folder (see tutor/progress/paths.py)."""
        return cls(database_path(resolve_data_dir(data_dir)), **options)

    # ----------------------------------------------------------------------------------------- opening

    def _open(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ProgressError(f"cannot create the progress folder {self.path.parent}: {error.strerror or error}") from None
        if self.path.is_dir():
            raise ProgressError(f"cannot use {self.path} as the progress file: it is a folder")
        if self.read_only is None:
            self.read_only = not _writable(self.path)
        if self.read_only:
            self._open_read_only()
            return
        for _ in range(3):
            inspected = _identity(self.path)
            problem = self._inspect()
            if problem is None:
                break
            self._close_quietly()
            if _identity(self.path) != inspected:
                continue  # another instance replaced the file while we looked: look at the new one
            self._move_aside(problem)
            try:
                self._connection = self._connect()
            except sqlite3.DatabaseError as error:
                self._close_quietly()
                raise self._as_progress_error(error) from None
            break
        if self._connection is None:
            raise ProgressError(f"the progress file {self.path} kept changing while it was being opened; try again")
        try:
            self._migrate()
        except ProgressError:
            self._close_quietly()
            raise

    def _open_read_only(self) -> None:
        left = "the folder is read-only, so it was left as it is"
        if not self.path.exists():
            raise ProgressError(f"the progress folder {self.path.parent} is read-only and holds no progress file")
        problem = self._file_problem()
        if problem is None:
            try:
                self._connection = self._connect_read_only()
                problem = self._schema_problem()
                if problem is None and self.schema_version < LATEST_SCHEMA_VERSION:
                    problem = "needs upgrading to this version of backprop-tutor"
            except sqlite3.DatabaseError as error:
                self._close_quietly()
                if not _is_corruption(error):
                    raise self._as_progress_error(error) from None
                problem = "was damaged"
        if problem is not None:
            self._close_quietly()
            raise ProgressError(f"the progress file {self.path} {problem}; {left}")

    def _connect_read_only(self) -> sqlite3.Connection:
        uri = f"{self.path.absolute().as_uri()}?mode=ro"
        connection = sqlite3.connect(uri, uri=True, timeout=self._busy_timeout_seconds, isolation_level=None,
                                     check_same_thread=False)
        try:
            connection.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_seconds * 1000)}")
            connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return connection
        except sqlite3.OperationalError:
            connection.close()
            wal = self.path.with_name(self.path.name + "-wal")
            if wal.exists() and wal.stat().st_size > 0:
                raise
        # A WAL database needs a -shm file beside it, which a read-only folder cannot hold. With no
        # write-ahead log left over, the file itself is the whole database: read it as immutable (no locks).
        connection = sqlite3.connect(f"{uri}&immutable=1", uri=True, isolation_level=None, check_same_thread=False)
        self.immutable = True
        return connection

    def _refuse_if_read_only(self) -> None:
        if self.read_only:
            raise ProgressError(f"the progress folder {self.path.parent} is read-only: progress can be shown "
                                "but not saved")

    def _inspect(self) -> str | None:
        """None when the file is usable (then it is open and configured), else why it is not."""
        problem = self._file_problem()
        if problem is not None:
            return problem
        try:
            # Inspect before configuring: switching to WAL would modify another program's file.
            self._connection = self._connect(configure=False)
            problem = self._schema_problem()
            if problem is None:
                self._configure(self._connection)
            return problem
        except sqlite3.DatabaseError as error:
            if not _is_corruption(error):
                self._close_quietly()
                raise self._as_progress_error(error) from None
            return "was damaged"

    def _file_problem(self) -> str | None:
        try:
            # A FIFO or device at this path would block open() or read() forever: look before opening.
            if not stat.S_ISREG(os.stat(self.path).st_mode):
                return "was not a regular file"
        except FileNotFoundError:
            return None
        except OSError as error:
            raise ProgressError(f"cannot read the progress file {self.path}: {error.strerror or error}") from None
        try:
            with self.path.open("rb") as handle:
                header = handle.read(len(_SQLITE_HEADER))
        except FileNotFoundError:
            return None
        except OSError as error:
            raise ProgressError(f"cannot read the progress file {self.path}: {error.strerror or error}") from None
        if header == b"" or header == _SQLITE_HEADER:
            return None  # empty files become fresh databases; real SQLite files are checked further
        return "was not a database"

    def _connect(self, *, configure: bool = True) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=self._busy_timeout_seconds, isolation_level=None,
                                     check_same_thread=False)
        try:
            connection.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_seconds * 1000)}")
            if configure:
                self._configure(connection)
        except BaseException:
            connection.close()
            raise
        return connection

    def _configure(self, connection: sqlite3.Connection) -> None:
        self._enable_wal(connection)
        # FULL: a commit is on disk before record_attempt returns, so an acknowledged answer survives
        # even a power cut; one fsync per answer is nothing at human answering speed.
        connection.execute("PRAGMA synchronous = FULL")

    def _enable_wal(self, connection: sqlite3.Connection) -> None:
        # Switching journal mode can report "locked" without waiting while another process is creating
        # the same file, so retry within the busy timeout instead of failing the second instance.
        import time

        deadline = time.monotonic() + self._busy_timeout_seconds
        while True:
            try:
                connection.execute("PRAGMA journal_mode = WAL").fetchone()
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error).lower() and "busy" not in str(error).lower():
                    raise
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    def _schema_problem(self) -> str | None:
        connection = self._require_connection()
        # One read transaction, so a schema being created by another instance is seen whole or not at all.
        connection.execute("BEGIN")
        try:
            object_count = connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            application_id = connection.execute("PRAGMA application_id").fetchone()[0]
            version = connection.execute("PRAGMA user_version").fetchone()[0]
        finally:
            connection.execute("COMMIT")
        if application_id == 0 and version == 0 and object_count == 0:
            return None  # an empty SQLite file: _migrate initialises it
        if application_id != APPLICATION_ID:
            return "belonged to another program"
        if version > LATEST_SCHEMA_VERSION:
            return (f"was written by a newer version of backprop-tutor (schema {version}, this version "
                    f"knows up to {LATEST_SCHEMA_VERSION})")
        if version < 1:
            return "was incomplete"
        check = [row[0] for row in connection.execute("PRAGMA quick_check").fetchall()]
        if check != ["ok"]:
            return "was damaged"
        return None

    def _move_aside(self, reason: str) -> None:
        stamp = self._clock().strftime("%Y%m%dT%H%M%S")
        target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        counter = 2
        while target.exists():
            target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{counter}")
            counter += 1
        try:
            os.rename(self.path, target)
            # A stale WAL beside a fresh database would be replayed into it, so its sidecars go too.
            for suffix in ("-wal", "-shm", "-journal"):
                sidecar = self.path.with_name(self.path.name + suffix)
                if sidecar.exists():
                    os.rename(sidecar, target.with_name(target.name + suffix))
        except OSError as error:
            raise ProgressError(f"the progress file {self.path} {reason} and could not be moved aside: "
                                f"{error.strerror or error}") from None
        self.moved_aside_to = target
        self.recovery_notice = (f"Your progress file {reason}, so it was moved to {target} "
                                "and a fresh one was started.")

    def _migrate(self) -> None:
        with self.write_transaction() as connection:
            # Re-read under the write lock: another instance may have initialised the file meanwhile.
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            if version == 0:
                connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            for statements in MIGRATIONS[version:]:
                for statement in statements:
                    connection.execute(statement)
            if version != LATEST_SCHEMA_VERSION:
                connection.execute(f"PRAGMA user_version = {LATEST_SCHEMA_VERSION}")

    def _as_progress_error(self, error: sqlite3.Error) -> ProgressError:
        message = str(error)
        if "locked" in message or "busy" in message:
            return ProgressError(f"the progress file {self.path} is busy (another backprop-tutor is writing); try again")
        return ProgressError(f"cannot use the progress file {self.path}: {message}")

    def _close_quietly(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(sqlite3.Error):
                self._connection.close()
            self._connection = None

    def _require_connection(self) -> sqlite3.Connection:
        if self._connection is None:
            raise ProgressError("the progress store is closed")
        return self._connection

    def close(self) -> None:
        with self._lock:
            self._close_quietly()

    def __enter__(self) -> ProgressStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        with self._lock:
            return self._require_connection().execute("PRAGMA user_version").fetchone()[0]

    # ------------------------------------------------------------------------------------ transactions

    @contextlib.contextmanager
    def write_transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on any exception). For collaborating modules."""
        with self._lock:
            connection = self._require_connection()
            self._refuse_if_read_only()
            try:
                connection.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as error:
                raise self._as_progress_error(error) from None
            try:
                yield connection
                connection.execute("COMMIT")
            except sqlite3.Error as error:
                with contextlib.suppress(sqlite3.Error):
                    connection.execute("ROLLBACK")
                raise self._as_progress_error(error) from error
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    connection.execute("ROLLBACK")
                raise

    @contextlib.contextmanager
    def read_transaction(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot for several queries."""
        with self._lock:
            connection = self._require_connection()
            try:
                connection.execute("BEGIN")
            except sqlite3.Error as error:
                raise self._as_progress_error(error) from error
            try:
                yield connection
            except sqlite3.Error as error:
                raise self._as_progress_error(error) from error
            finally:
                with contextlib.suppress(sqlite3.Error):
                    connection.execute("COMMIT")

    def _query(self, sql: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._require_connection().execute(sql, parameters).fetchall()
            except sqlite3.Error as error:
                raise self._as_progress_error(error) from None

    # --------------------------------------------------------------------------------------- recording

    def record_attempt(self, attempt: Attempt) -> StoredAttempt:
        """Store one answer in its own committed transaction."""
        with self.write_transaction() as connection:
            return self.insert_attempt(connection, attempt)

    def insert_attempt(self, connection: sqlite3.Connection, attempt: Attempt, uid: str | None = None) -> StoredAttempt:
        """Insert inside a caller's ``write_transaction`` (used by SpacedReview and imports)."""
        if not isinstance(attempt, Attempt):
            raise TypeError(f"expected an Attempt, got {type(attempt).__name__}")
        uid = uid or uuid.uuid4().hex
        cursor = connection.execute(
            "INSERT INTO attempts (uid, pack_id, pack_version, lesson_id, problem_id, variant_seed, answer_text, "
            "verdict, diagnosis, hints_used, seconds, answered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (uid, attempt.pack_id, attempt.pack_version, attempt.lesson_id, attempt.problem_id, attempt.variant_seed,
             attempt.answer_text, attempt.verdict.value, attempt.diagnosis, attempt.hints_used, attempt.seconds,
             format_timestamp(attempt.answered_at)),
        )
        return StoredAttempt(id=int(cursor.lastrowid or 0), uid=uid, attempt=attempt)

    # ------------------------------------------------------------------------------------------ skills

    def record_skill_events(self, events: Sequence[Any]) -> None:
        """Store evidence about skills (``tutor.practice.mastery.SkillEvent``-like: skill, correct, level,
        diagnosis, answered_at) in one transaction."""
        # A uid per event, as for attempts, so that a future export/import can merge without duplicates.
        rows = [(uuid.uuid4().hex, event.skill, int(bool(event.correct)), int(event.level), event.diagnosis,
                 format_timestamp(event.answered_at)) for event in events]
        if not rows:
            return
        with self.write_transaction() as connection:
            connection.executemany("INSERT INTO skill_events (uid, skill_id, correct, level, diagnosis, answered_at) "
                                   "VALUES (?, ?, ?, ?, ?, ?)", rows)

    def skill_event_rows(self) -> list[tuple[str, bool, int, str | None, datetime]]:
        """Every skill event, oldest first, as (skill, correct, level, diagnosis, answered_at)."""
        rows = self._query("SELECT skill_id, correct, level, diagnosis, answered_at FROM skill_events "
                           "ORDER BY answered_at, id")
        return [(skill, bool(correct), int(level), diagnosis, parse_timestamp(at))
                for skill, correct, level, diagnosis, at in rows]

    # ------------------------------------------------------------------------------------------ history

    def attempts(self, *, pack_id: str | None = None, lesson_id: str | None = None, problem_id: str | None = None,
                 include_invalid: bool = True) -> list[StoredAttempt]:
        """The attempt log, oldest first, optionally filtered."""
        conditions, parameters = self._filters(pack_id=pack_id, lesson_id=lesson_id, problem_id=problem_id)
        if not include_invalid:
            conditions.append(COUNTED)
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        rows = self._query(f"SELECT {_ATTEMPT_COLUMNS} FROM attempts {where} ORDER BY answered_at, id", parameters)
        return [_stored_attempt(row) for row in rows]

    @staticmethod
    def _filters(**values: str | None) -> tuple[list[str], list[Any]]:
        conditions, parameters = [], []
        for column, value in values.items():
            if value is not None:
                conditions.append(f"{column} = ?")
                parameters.append(value)
        return conditions, parameters

    def problem_statuses(self, pack_id: str, problem_ids: Iterable[str]) -> dict[str, ProblemStatus]:
        """Status of each given problem of a pack (new / attempted / solved)."""
        rows = self._query(
            f"SELECT problem_id, MAX(verdict = 'correct') FROM attempts WHERE pack_id = ? AND {COUNTED} "
            "GROUP BY problem_id", (pack_id,))
        solved_by_problem = {problem: bool(solved) for problem, solved in rows}
        statuses = {}
        for problem_id in problem_ids:
            if problem_id not in solved_by_problem:
                statuses[problem_id] = ProblemStatus.NEW
            else:
                statuses[problem_id] = ProblemStatus.SOLVED if solved_by_problem[problem_id] else ProblemStatus.ATTEMPTED
        return statuses

    def problem_status(self, pack_id: str, problem_id: str) -> ProblemStatus:
        return self.problem_statuses(pack_id, [problem_id])[problem_id]

    def lesson_completion(self, pack_id: str, problem_ids: Iterable[str]) -> LessonCompletion:
        """Completion of a lesson as the pack defines it *now* (its current problem ids)."""
        statuses = list(self.problem_statuses(pack_id, dict.fromkeys(problem_ids)).values())
        return LessonCompletion(
            total=len(statuses),
            attempted=sum(status is not ProblemStatus.NEW for status in statuses),
            solved=sum(status is ProblemStatus.SOLVED for status in statuses),
        )

    def continue_target(self, lessons: Iterable[LessonProblems] | None = None) -> ContinueTarget | None:
        """The lesson to continue: the most recently active one that is started but not complete.

        With ``lessons`` (the packs' current lessons) completion is judged on their problem ids and
        lessons no longer in any pack are skipped; ties go to the earlier lesson in the given order.
        Without it, the lesson of the most recent counted attempt is returned (completion unknown).
        """
        if lessons is None:
            rows = self._query(f"SELECT pack_id, lesson_id, MAX(answered_at) AS last FROM attempts WHERE {COUNTED} "
                               "GROUP BY pack_id, lesson_id ORDER BY last DESC, pack_id, lesson_id LIMIT 1")
            if not rows:
                return None
            pack_id, lesson_id, last = rows[0]
            return ContinueTarget(pack_id, lesson_id, parse_timestamp(last), None)
        activity = {
            (pack_id, problem_id): (last, bool(solved))
            for pack_id, problem_id, last, solved in self._query(
                f"SELECT pack_id, problem_id, MAX(answered_at), MAX(verdict = 'correct') FROM attempts "
                f"WHERE {COUNTED} GROUP BY pack_id, problem_id")
        }
        best: ContinueTarget | None = None
        for lesson in lessons:
            touched = [activity[(lesson.pack_id, problem)] for problem in lesson.problem_ids
                       if (lesson.pack_id, problem) in activity]
            if not touched:
                continue
            unsolved = [problem for problem in lesson.problem_ids
                        if not activity.get((lesson.pack_id, problem), ("", False))[1]]
            if not unsolved:
                continue
            last = parse_timestamp(max(last for last, _ in touched))
            if best is None or last > best.last_activity:
                best = ContinueTarget(lesson.pack_id, lesson.lesson_id, last, unsolved[0])
        return best

    def frequent_diagnoses(self, limit: int = 5, *, pack_id: str | None = None,
                           lesson_id: str | None = None) -> list[DiagnosisCount]:
        """The most frequent mistake codes among counted attempts, most frequent first (ties by name)."""
        conditions, parameters = self._filters(pack_id=pack_id, lesson_id=lesson_id)
        conditions += [COUNTED, "diagnosis IS NOT NULL", "diagnosis != ''"]
        rows = self._query(
            f"SELECT diagnosis, COUNT(*) AS n FROM attempts WHERE {' AND '.join(conditions)} "
            "GROUP BY diagnosis ORDER BY n DESC, diagnosis LIMIT ?", [*parameters, max(0, limit)])
        return [DiagnosisCount(diagnosis, count) for diagnosis, count in rows]

    def lesson_stats(self, pack_id: str | None = None) -> list[ActivityStats]:
        """Figures per (pack, recorded lesson), sorted by pack then lesson id."""
        return self._activity(("pack_id", "lesson_id"), pack_id)

    def pack_stats(self) -> list[ActivityStats]:
        """Figures per pack, sorted by pack id."""
        return self._activity(("pack_id",), None)

    def _activity(self, group: tuple[str, ...], pack_id: str | None) -> list[ActivityStats]:
        conditions, parameters = self._filters(pack_id=pack_id)
        conditions.append(COUNTED)
        columns = ", ".join(group)
        rows = self._query(
            f"SELECT {columns}, COUNT(*), SUM(verdict = 'correct'), SUM(verdict = 'incorrect'), "
            "SUM(verdict = 'gave-up'), SUM(verdict = 'unchecked'), "
            "COUNT(DISTINCT problem_id), COUNT(DISTINCT CASE WHEN verdict = 'correct' THEN problem_id END), "
            f"SUM(hints_used), SUM(seconds), MAX(answered_at) FROM attempts WHERE {' AND '.join(conditions)} "
            f"GROUP BY {columns} ORDER BY {columns}", parameters)
        result = []
        for row in rows:
            keys, figures = row[:len(group)], row[len(group):]
            result.append(ActivityStats(
                pack_id=keys[0], lesson_id=keys[1] if len(keys) > 1 else None,
                attempts=figures[0], correct=figures[1], incorrect=figures[2], gave_up=figures[3],
                unchecked=figures[4], problems_attempted=figures[5], problems_solved=figures[6],
                hints_used=figures[7], seconds_spent=float(figures[8]), last_activity=parse_timestamp(figures[9]),
            ))
        return result

    def is_empty(self) -> bool:
        return not self._query("SELECT 1 FROM attempts LIMIT 1") and not self._query("SELECT 1 FROM review_cards LIMIT 1")

    # ---------------------------------------------------------------------------- spaced-review storage
    # Card JSON is fsrs.Card.to_json(); tutor/progress/review.py owns its meaning.

    def card_row(self, connection: sqlite3.Connection, pack_id: str, problem_id: str) -> str | None:
        row = connection.execute("SELECT card_json FROM review_cards WHERE pack_id = ? AND problem_id = ?",
                                 (pack_id, problem_id)).fetchone()
        return None if row is None else row[0]

    def put_card(self, connection: sqlite3.Connection, *, pack_id: str, problem_id: str, lesson_id: str,
                 card_json: str, due_at: datetime) -> None:
        connection.execute(
            "INSERT INTO review_cards (pack_id, problem_id, lesson_id, card_json, due_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (pack_id, problem_id) DO UPDATE SET lesson_id = excluded.lesson_id, "
            "card_json = excluded.card_json, due_at = excluded.due_at",
            (pack_id, problem_id, lesson_id, card_json, format_timestamp(due_at)))

    def insert_review_entry(self, connection: sqlite3.Connection, *, pack_id: str, problem_id: str, lesson_id: str,
                            rating: int, reviewed_at: datetime, duration_ms: int | None,
                            attempt_uid: str | None, uid: str | None = None) -> bool:
        """Append to the review log; returns False if an entry with this uid already exists."""
        cursor = connection.execute(
            "INSERT OR IGNORE INTO review_log (uid, pack_id, problem_id, lesson_id, rating, reviewed_at, duration_ms, "
            "attempt_uid) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (uid or uuid.uuid4().hex, pack_id, problem_id, lesson_id, rating, format_timestamp(reviewed_at),
             duration_ms, attempt_uid))
        return cursor.rowcount == 1

    def card_rows(self, *, due_before: datetime | None = None, pack_id: str | None = None
                  ) -> list[tuple[str, str, str, str, str]]:
        """(pack_id, problem_id, lesson_id, card_json, due_at) rows, soonest due first."""
        conditions, parameters = self._filters(pack_id=pack_id)
        if due_before is not None:
            conditions.append("due_at <= ?")
            parameters.append(format_timestamp(due_before))
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        return self._query("SELECT pack_id, problem_id, lesson_id, card_json, due_at FROM review_cards "
                           f"{where} ORDER BY due_at, pack_id, problem_id", parameters)

    def review_entries(self, pack_id: str | None = None, problem_id: str | None = None) -> list[dict[str, Any]]:
        conditions, parameters = self._filters(pack_id=pack_id, problem_id=problem_id)
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        rows = self._query("SELECT uid, pack_id, problem_id, lesson_id, rating, reviewed_at, duration_ms, attempt_uid "
                           f"FROM review_log {where} ORDER BY reviewed_at, id", parameters)
        keys = ("uid", "pack_id", "problem_id", "lesson_id", "rating", "reviewed_at", "duration_ms", "attempt_uid")
        return [dict(zip(keys, row)) for row in rows]

    # -------------------------------------------------------------------------------------------- reset

    def reset_preview(self, *, lesson_id: str | None = None, pack_id: str | None = None) -> ResetSummary:
        """What ``reset`` with the same arguments would remove, without removing it."""
        with self.read_transaction() as connection:
            return self._reset(connection, lesson_id, pack_id, apply=False)

    def reset(self, *, lesson_id: str | None = None, pack_id: str | None = None) -> ResetSummary:
        """Forget progress: everything, one pack's, or one lesson's (in every pack unless ``pack_id``).

        A lesson reset also forgets the review cards of the problems it touched.
        """
        with self.write_transaction() as connection:
            return self._reset(connection, lesson_id, pack_id, apply=True)

    def _reset(self, connection: sqlite3.Connection, lesson_id: str | None, pack_id: str | None,
               *, apply: bool) -> ResetSummary:
        attempt_conditions, attempt_parameters = self._filters(pack_id=pack_id, lesson_id=lesson_id)
        attempt_where = f"WHERE {' AND '.join(attempt_conditions)}" if attempt_conditions else ""
        if lesson_id is None:
            card_where, card_parameters = attempt_where, attempt_parameters
            keys = None
        else:
            keys = {tuple(row) for row in connection.execute(
                f"SELECT pack_id, problem_id FROM attempts {attempt_where} UNION "
                f"SELECT pack_id, problem_id FROM review_cards {attempt_where}", attempt_parameters * 2)}
        attempts_removed = connection.execute(f"SELECT count(*) FROM attempts {attempt_where}",
                                              attempt_parameters).fetchone()[0]
        if keys is None:
            cards = connection.execute(f"SELECT count(*) FROM review_cards {card_where}", card_parameters).fetchone()[0]
            entries = connection.execute(f"SELECT count(*) FROM review_log {card_where}", card_parameters).fetchone()[0]
            if apply:
                for table in ("attempts", "review_cards", "review_log"):
                    connection.execute(f"DELETE FROM {table} {card_where}", card_parameters)
            return ResetSummary(attempts_removed, cards, entries)
        cards = entries = 0
        for key in sorted(keys):
            cards += connection.execute("SELECT count(*) FROM review_cards WHERE pack_id = ? AND problem_id = ?",
                                        key).fetchone()[0]
            entries += connection.execute("SELECT count(*) FROM review_log WHERE pack_id = ? AND problem_id = ?",
                                          key).fetchone()[0]
            if apply:
                connection.execute("DELETE FROM review_cards WHERE pack_id = ? AND problem_id = ?", key)
                connection.execute("DELETE FROM review_log WHERE pack_id = ? AND problem_id = ?", key)
        if apply:
            connection.execute(f"DELETE FROM attempts {attempt_where}", attempt_parameters)
        return ResetSummary(attempts_removed, cards, entries)

    # ----------------------------------------------------------------------------------- export/import

    def export_data(self) -> dict[str, Any]:
        """All progress as one dict (held in memory whole; files and standard output are streamed instead)."""
        from tutor.progress import transfer  # deferred: it imports pydantic (~0.2 s), only export/import need it

        with self.read_transaction() as connection:
            return transfer.collect(connection, exported_at=self._clock())

    def export_json(self, path: str | os.PathLike[str]) -> ExportSummary:
        """Write all progress as JSON, row by row from one snapshot, atomically (temporary file renamed)."""
        from tutor.progress import transfer

        with self.read_transaction() as connection:
            return transfer.export_file(connection, Path(path), exported_at=self._clock())

    def export_to(self, handle: TextIO) -> ExportSummary:
        """Stream all progress as JSON to an open text handle (standard output)."""
        from tutor.progress import transfer

        with self.read_transaction() as connection:
            return transfer.stream(connection, handle, exported_at=self._clock())

    def import_data(self, data: Any, *, source: str = "import data") -> ImportSummary:
        """Merge exported progress in one transaction; on any problem raise ProgressImportError, change nothing."""
        from tutor.progress import transfer

        return self._import(transfer.events_from_data(data, source=source), source)

    def import_json(self, path: str | os.PathLike[str]) -> ImportSummary:
        """Merge an export file, read and validated a chunk at a time (memory does not grow with its size)."""
        from tutor.progress import transfer

        with transfer.open_for_import(Path(path)) as handle:
            return self.import_stream(handle, source=str(path))

    def import_stream(self, handle: TextIO, *, source: str) -> ImportSummary:
        from tutor.progress import transfer

        return self._import(transfer.events_from_file(handle, source=source), source)

    def _import(self, events: Iterable[tuple[Any, ...]], source: str) -> ImportSummary:
        from tutor.progress import transfer

        with self._lock:
            connection = self._require_connection()
            self._refuse_if_read_only()
            try:
                # Validation and staging write only TEMP tables, so the progress file is not locked meanwhile;
                # the merge after it is one short write transaction.
                connection.execute("BEGIN")
                try:
                    transfer.stage(connection, events, source=source)
                except BaseException:
                    with contextlib.suppress(sqlite3.Error):
                        connection.execute("ROLLBACK")
                    raise
                connection.execute("COMMIT")
                with self.write_transaction() as writing:
                    return transfer.merge_staged(self, writing)
            except sqlite3.Error as error:
                raise self._as_progress_error(error) from None
            finally:
                with contextlib.suppress(sqlite3.Error):
                    transfer.drop_staging(connection)


def _stored_attempt(row: Sequence[Any]) -> StoredAttempt:
    (row_id, uid, pack_id, pack_version, lesson_id, problem_id, variant_seed, answer_text, verdict, diagnosis,
     hints_used, seconds, answered_at) = row
    attempt = Attempt(pack_id=pack_id, pack_version=pack_version, lesson_id=lesson_id, problem_id=problem_id,
                      answer_text=answer_text, verdict=Verdict(verdict), variant_seed=variant_seed,
                      diagnosis=diagnosis, hints_used=hints_used, seconds=seconds,
                      answered_at=parse_timestamp(answered_at))
    return StoredAttempt(id=row_id, uid=uid, attempt=attempt)
