"""Plain value types shared by the progress store, spaced review and quizzes.

Nothing here touches the disk. The types the UI builds itself are :class:`Attempt` (one submitted
answer) and :class:`ProblemRef` (which problem, as the caller's lesson packs name it); everything else
comes back from queries.

Timestamps are always timezone-aware UTC ``datetime`` objects; naive datetimes are refused because
a local wall-clock time silently shifts review schedules by hours.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime


def utc_now() -> datetime:
    """The default clock. Every API that needs "now" also accepts it as a parameter."""
    return datetime.now(UTC)


def as_utc(moment: datetime, what: str = "timestamp") -> datetime:
    """``moment`` converted to UTC; naive datetimes are rejected with a ValueError naming ``what``."""
    if not isinstance(moment, datetime):
        raise TypeError(f"{what} must be a datetime, got {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware (use datetime.now(timezone.utc)), got naive {moment!r}")
    return moment.astimezone(UTC)


class ProgressError(Exception):
    """A problem with the progress file, worded for the learner (one line, no traceback needed)."""


class ProgressImportError(ProgressError):
    """An import file was rejected; nothing was changed."""


def format_timestamp(moment: datetime) -> str:
    """Fixed-width UTC ISO text, so SQL string order is time order."""
    return as_utc(moment).isoformat(timespec="microseconds")


def parse_timestamp(text: str) -> datetime:
    return as_utc(datetime.fromisoformat(text))


class Verdict(str, enum.Enum):
    """How an answer was judged.

    ``INVALID`` means the answer could not be read (syntax error, empty input): the product does not
    count it as an attempt. It is stored, flagged by this verdict, so exports stay complete, but every
    derived figure (status, completion, stats, reviews, quiz tries) ignores it.
    ``UNCHECKED`` means it was read but could not be judged; it counts as an attempt, never as solved,
    and does not move the review schedule.
    """

    CORRECT = "correct"
    INCORRECT = "incorrect"
    INVALID = "invalid"
    UNCHECKED = "unchecked"
    GAVE_UP = "gave-up"

    @property
    def counts_as_attempt(self) -> bool:
        return self is not Verdict.INVALID


class ProblemStatus(str, enum.Enum):
    NEW = "new"              # no counted attempt yet
    ATTEMPTED = "attempted"  # counted attempts, none correct
    SOLVED = "solved"        # at least one correct attempt


@dataclass(frozen=True)
class Attempt:
    """One submitted answer, as the UI or a quiz hands it to the store.

    ``variant_seed`` is the seed of the randomised numbers shown (None for fixed problems);
    ``diagnosis`` is the checker's mistake code, if any; ``seconds`` is the time the learner spent.
    """

    pack_id: str
    pack_version: str
    lesson_id: str
    problem_id: str
    answer_text: str
    verdict: Verdict
    variant_seed: int | None = None
    diagnosis: str | None = None
    hints_used: int = 0
    seconds: float = 0.0
    answered_at: datetime = field(default_factory=utc_now)

    def __post_init__(self) -> None:
        for name in ("pack_id", "pack_version", "lesson_id", "problem_id", "answer_text"):
            if not isinstance(getattr(self, name), str):
                raise TypeError(f"Attempt.{name} must be a string, got {type(getattr(self, name)).__name__}")
        for name in ("pack_id", "lesson_id", "problem_id"):
            if not getattr(self, name):
                raise ValueError(f"Attempt.{name} must not be empty")
        object.__setattr__(self, "verdict", Verdict(self.verdict))
        if self.variant_seed is not None and (isinstance(self.variant_seed, bool) or not isinstance(self.variant_seed, int)):
            raise TypeError(f"Attempt.variant_seed must be an int or None, got {self.variant_seed!r}")
        if self.variant_seed is not None and not -(2**63) <= self.variant_seed < 2**63:
            raise ValueError(f"Attempt.variant_seed must fit in 64 bits, got {self.variant_seed}")
        if self.diagnosis is not None and not isinstance(self.diagnosis, str):
            raise TypeError(f"Attempt.diagnosis must be a string or None, got {type(self.diagnosis).__name__}")
        if isinstance(self.hints_used, bool) or not isinstance(self.hints_used, int) or self.hints_used < 0:
            raise ValueError(f"Attempt.hints_used must be a whole number >= 0, got {self.hints_used!r}")
        if not isinstance(self.seconds, (int, float)) or isinstance(self.seconds, bool) or not 0 <= self.seconds < float("inf"):
            raise ValueError(f"Attempt.seconds must be a finite number >= 0, got {self.seconds!r}")
        object.__setattr__(self, "seconds", float(self.seconds))
        object.__setattr__(self, "answered_at", as_utc(self.answered_at, "Attempt.answered_at"))


@dataclass(frozen=True)
class StoredAttempt:
    """An attempt as read back from the store: the attempt plus its row id and stable unique id."""

    id: int
    uid: str
    attempt: Attempt


@dataclass(frozen=True)
class ProblemRef:
    """The small protocol between lesson packs and this package: which problem, and its tags.

    The progress package never imports the pack models; callers describe their problems with this.
    """

    pack_id: str
    lesson_id: str
    problem_id: str
    tags: frozenset[str] = frozenset()
    pack_version: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "tags", frozenset(self.tags))

    @property
    def key(self) -> tuple[str, str]:
        """History is keyed by pack id + problem id, so it survives new pack versions and lesson moves."""
        return (self.pack_id, self.problem_id)


@dataclass(frozen=True)
class LessonProblems:
    """A lesson as the caller's pack defines it now: used for completion and "continue"."""

    pack_id: str
    lesson_id: str
    problem_ids: tuple[str, ...]

    def __init__(self, pack_id: str, lesson_id: str, problem_ids: Iterable[str]) -> None:
        object.__setattr__(self, "pack_id", pack_id)
        object.__setattr__(self, "lesson_id", lesson_id)
        object.__setattr__(self, "problem_ids", tuple(problem_ids))


@dataclass(frozen=True)
class LessonCompletion:
    total: int
    attempted: int  # problems with a counted attempt (solved ones included)
    solved: int

    @property
    def fraction_solved(self) -> float:
        return self.solved / self.total if self.total else 0.0

    @property
    def is_complete(self) -> bool:
        return self.total > 0 and self.solved == self.total

    @property
    def is_started(self) -> bool:
        return self.attempted > 0


@dataclass(frozen=True)
class ContinueTarget:
    """Where "continue" should take the learner."""

    pack_id: str
    lesson_id: str
    last_activity: datetime
    next_problem_id: str | None  # first unsolved problem in lesson order, when the lesson list was given


@dataclass(frozen=True)
class DiagnosisCount:
    diagnosis: str
    count: int


@dataclass(frozen=True)
class ActivityStats:
    """Counted attempts (invalid answers excluded) for one pack, or one lesson of a pack.

    Lesson figures group attempts by the lesson id recorded with them.
    """

    pack_id: str
    lesson_id: str | None  # None for a whole pack
    attempts: int
    correct: int
    incorrect: int
    gave_up: int
    unchecked: int
    problems_attempted: int
    problems_solved: int
    hints_used: int
    seconds_spent: float
    last_activity: datetime

    @property
    def accuracy(self) -> float:
        judged = self.correct + self.incorrect + self.gave_up
        return self.correct / judged if judged else 0.0


@dataclass(frozen=True)
class ResetSummary:
    attempts_removed: int
    cards_removed: int
    review_entries_removed: int


@dataclass(frozen=True)
class ImportSummary:
    attempts_added: int
    attempts_already_present: int
    cards_added: int
    cards_updated: int
    review_entries_added: int
    skill_events_added: int = 0
