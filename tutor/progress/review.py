"""Spaced review of solved problems, scheduled by FSRS (the ``fsrs`` package).

Each problem the learner has answered is one FSRS card, keyed by pack id + problem id and kept in the
progress database as ``fsrs.Card.to_json()`` text (never pickled). Every counted answer is a review:

=================================  ==============  =====================================
answer                             rating          effect with the default settings
=================================  ==============  =====================================
correct, no hints                  ``Good``        next review in ~2 days, then longer
correct after one or more hints    ``Hard``        next review in ~1 day
incorrect, or gave up              ``Again``       next review tomorrow
invalid (unreadable) or unchecked  (none)          schedule unchanged
=================================  ==============  =====================================

FSRS's default learning steps (1 and 10 minutes) suit flash cards, not multi-minute problems, so by
default there are none: a problem is never re-asked within the same sitting and the schedule moves in
whole days. Pass ``learning_steps=`` / ``relearning_steps=`` to change that.

Usage (``now`` is always a parameter, so tests and the UI control the clock)::

    review = SpacedReview(store)                         # SpacedReview(store, enable_fuzzing=False) in tests
    review.record_attempt(attempt)                       # attempt + schedule in ONE transaction
    review.record_outcome(pack_id=..., lesson_id=..., problem_id=..., verdict=Verdict.CORRECT,
                          hints_used=0, at=now)          # schedule only (the answer is stored elsewhere)
    review.due_cards(now)  -> [DueCard(pack_id, problem_id, lesson_id, due, card)]   most overdue first
    review.count_due(now)  -> int
    review.next_due()      -> datetime | None
    review.card(pack_id, problem_id) -> fsrs.Card | None

Skills are scheduled too (issue 16 §3, review by skill): :func:`skill_cards` replays the learner's skill
events (``tutor.practice.mastery.SkillEvent``-like: skill, correct, answered_at) through the same FSRS
scheduler, one card per skill. Events of one skill less than :data:`SKILL_SESSION_GAP` apart are one
review (a traced graph grades many entries at once): ``Good`` when every entry was right, ``Again`` when
any was wrong. Nothing is stored: the schedule follows from the events, so it is exported, imported and
reset with them. :func:`due_skills` lists the skills due at ``now``, most overdue first; Practice takes
a due skill before the weakest one, and the problem it generates is a fresh graph (a new seed each time).
The mixed review does the same: :func:`skill_review_refs` turns the first due skills into questions
(pseudo-pack :data:`SKILL_REVIEW_PACK`) that :func:`mixed_with_skills` takes in turn with the due
problems, and the review screen generates a new graph for each when it comes up.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fsrs import Card, Rating, Scheduler

from tutor.progress.model import Attempt, ProblemRef, StoredAttempt, Verdict, as_utc, parse_timestamp
from tutor.progress.store import ProgressStore


@dataclass(frozen=True)
class DueCard:
    pack_id: str
    problem_id: str
    lesson_id: str  # the lesson the problem was last reviewed in
    due: datetime
    card: Card

    @property
    def key(self) -> tuple[str, str]:
        return (self.pack_id, self.problem_id)


@dataclass(frozen=True)
class ReviewOutcome:
    rating: Rating
    card: Card  # the card after this review; card.due is when it comes back

    @property
    def due(self) -> datetime:
        return self.card.due


@dataclass(frozen=True)
class RecordedAttempt:
    stored: StoredAttempt
    review: ReviewOutcome | None  # None when the verdict does not move the schedule


def rating_for(verdict: Verdict | str, hints_used: int) -> Rating | None:
    """The FSRS rating for an answer, or None when the answer should not count as a review."""
    verdict = Verdict(verdict)
    if verdict is Verdict.CORRECT:
        return Rating.Good if hints_used == 0 else Rating.Hard
    if verdict in (Verdict.INCORRECT, Verdict.GAVE_UP):
        return Rating.Again
    return None


def card_id_for(pack_id: str, problem_id: str) -> int:
    """A stable card id (FSRS defaults to creation time, which makes exports differ run to run)."""
    digest = hashlib.blake2b(f"{pack_id}\x00{problem_id}".encode(), digest_size=6).digest()
    return int.from_bytes(digest, "big")


SKILL_SESSION_GAP = timedelta(minutes=30)


def skill_cards(events: Iterable[Any], *, desired_retention: float = 0.9) -> dict[str, Card]:
    """One FSRS card per skill, replayed from ``events`` (oldest first; see the module docstring)."""
    scheduler = Scheduler(desired_retention=desired_retention, learning_steps=(), relearning_steps=(),
                          enable_fuzzing=False)
    sessions: dict[str, tuple[datetime, datetime, bool]] = {}  # skill -> (first, last, all right) of the open one
    cards: dict[str, Card] = {}

    def close(skill: str) -> None:
        first, last, right = sessions.pop(skill)
        card = cards.get(skill) or Card(card_id=card_id_for("skill", skill), due=first)
        at = last if card.last_review is None or last >= card.last_review else card.last_review
        cards[skill], _ = scheduler.review_card(card, Rating.Good if right else Rating.Again, review_datetime=at)

    for event in events:
        at = as_utc(event.answered_at, "skill event time")
        open_session = sessions.get(event.skill)
        if open_session is not None and at - open_session[1] > SKILL_SESSION_GAP:
            close(event.skill)
            open_session = None
        if open_session is None:
            sessions[event.skill] = (at, at, bool(event.correct))
        else:
            sessions[event.skill] = (open_session[0], max(at, open_session[1]), open_session[2] and bool(event.correct))
    for skill in list(sessions):
        close(skill)
    return cards


def due_skills(events: Iterable[Any], now: datetime) -> list[str]:
    """Skills whose card is due at ``now``, most overdue first."""
    now = as_utc(now, "now")
    due = [(card.due, skill) for skill, card in skill_cards(events).items() if card.due <= now]
    return [skill for _, skill in sorted(due)]


# The mixed review brings due skills in as questions of their own: a ProblemRef in this pseudo-pack
# stands for "a freshly generated graph on this skill" (problem id ``skill:SKILL``), never a stored problem.
SKILL_REVIEW_PACK = "skill-review"
SKILLS_PER_REVIEW = 3  # at most this many skill questions in one review sitting


def skill_review_refs(due: Sequence[str], *, limit: int = SKILLS_PER_REVIEW) -> list[ProblemRef]:
    """Questions for the first ``limit`` due skills (most overdue first), for :func:`mixed_with_skills`."""
    return [ProblemRef(SKILL_REVIEW_PACK, "skills", f"skill:{skill}", frozenset({skill})) for skill in due[:limit]]


def review_skill_of(ref: Any) -> str | None:
    """The skill a review question stands for, or None for a stored problem."""
    if getattr(ref, "pack_id", None) != SKILL_REVIEW_PACK:
        return None
    return str(ref.problem_id).removeprefix("skill:")


def mixed_with_skills(problems: Sequence[ProblemRef], skills: Sequence[ProblemRef]) -> list[ProblemRef]:
    """The review's questions: due problems and due skills taken in turn (a problem first), so a short
    review still meets both."""
    mixed: list[ProblemRef] = []
    for index in range(max(len(problems), len(skills))):
        mixed += [*problems[index:index + 1], *skills[index:index + 1]]
    return mixed


class SpacedReview:
    def __init__(self, store: ProgressStore, *, enable_fuzzing: bool = True, desired_retention: float = 0.9,
                 learning_steps: Sequence[timedelta] = (), relearning_steps: Sequence[timedelta] = (),
                 maximum_interval_days: int = 36500) -> None:
        self.store = store
        self.scheduler = Scheduler(desired_retention=desired_retention, learning_steps=tuple(learning_steps),
                                   relearning_steps=tuple(relearning_steps), maximum_interval=maximum_interval_days,
                                   enable_fuzzing=enable_fuzzing)

    def record_attempt(self, attempt: Attempt) -> RecordedAttempt:
        """Store the answer and update its card in one committed transaction."""
        with self.store.write_transaction() as connection:
            stored = self.store.insert_attempt(connection, attempt)
            outcome = self._review(connection, pack_id=attempt.pack_id, lesson_id=attempt.lesson_id,
                                   problem_id=attempt.problem_id, verdict=attempt.verdict,
                                   hints_used=attempt.hints_used, at=attempt.answered_at,
                                   duration_seconds=attempt.seconds, attempt_uid=stored.uid)
        return RecordedAttempt(stored, outcome)

    def record_outcome(self, *, pack_id: str, lesson_id: str, problem_id: str, verdict: Verdict | str,
                       hints_used: int, at: datetime, duration_seconds: float | None = None) -> ReviewOutcome | None:
        """Move one problem's schedule as if it had just been answered at ``at`` (own transaction)."""
        with self.store.write_transaction() as connection:
            return self._review(connection, pack_id=pack_id, lesson_id=lesson_id, problem_id=problem_id,
                                verdict=verdict, hints_used=hints_used, at=at, duration_seconds=duration_seconds,
                                attempt_uid=None)

    def _review(self, connection: sqlite3.Connection, *, pack_id: str, lesson_id: str, problem_id: str,
                verdict: Verdict | str, hints_used: int, at: datetime, duration_seconds: float | None,
                attempt_uid: str | None) -> ReviewOutcome | None:
        rating = rating_for(verdict, hints_used)
        if rating is None:
            return None
        at = as_utc(at, "review time")
        asked_at = at
        existing = self.store.card_row(connection, pack_id, problem_id)
        card = Card.from_json(existing) if existing is not None else Card(card_id=card_id_for(pack_id, problem_id),
                                                                          due=at)
        if card.last_review is not None and at < card.last_review:
            # A clock that went backwards would make FSRS compute negative elapsed time; treat it as "same moment".
            at = card.last_review
        duration_ms = None if duration_seconds is None else int(round(duration_seconds * 1000))
        try:
            card, _log = self.scheduler.review_card(card, rating, review_datetime=at, review_duration=duration_ms)
        except OverflowError:
            # A stored card dated near the end of the calendar (year 9999) leaves no room for the next
            # interval; start that card afresh rather than let the answer fail.
            at = asked_at
            fresh = Card(card_id=card_id_for(pack_id, problem_id), due=at)
            card, _log = self.scheduler.review_card(fresh, rating, review_datetime=at, review_duration=duration_ms)
        self.store.put_card(connection, pack_id=pack_id, problem_id=problem_id, lesson_id=lesson_id,
                            card_json=card.to_json(), due_at=card.due)
        self.store.insert_review_entry(connection, pack_id=pack_id, problem_id=problem_id, lesson_id=lesson_id,
                                       rating=int(rating), reviewed_at=at, duration_ms=duration_ms,
                                       attempt_uid=attempt_uid)
        return ReviewOutcome(rating, card)

    def due_cards(self, now: datetime, *, pack_id: str | None = None,
                  only: Collection[tuple[str, str]] | None = None, limit: int | None = None) -> list[DueCard]:
        """Cards due at ``now``, most overdue first. ``only`` keeps (pack_id, problem_id) keys still in the packs."""
        rows = self.store.card_rows(due_before=as_utc(now, "now"), pack_id=pack_id)
        return self._to_due_cards(rows, only, limit)

    def count_due(self, now: datetime, *, pack_id: str | None = None,
                  only: Collection[tuple[str, str]] | None = None) -> int:
        return len(self.due_cards(now, pack_id=pack_id, only=only))

    def upcoming_cards(self, *, pack_id: str | None = None, only: Collection[tuple[str, str]] | None = None,
                       limit: int | None = None) -> list[DueCard]:
        """All cards, soonest due first (due or not)."""
        return self._to_due_cards(self.store.card_rows(pack_id=pack_id), only, limit)

    def next_due(self, *, pack_id: str | None = None) -> datetime | None:
        cards = self.upcoming_cards(pack_id=pack_id, limit=1)
        return cards[0].due if cards else None

    def card(self, pack_id: str, problem_id: str) -> Card | None:
        with self.store.read_transaction() as connection:
            card_json = self.store.card_row(connection, pack_id, problem_id)
        return None if card_json is None else Card.from_json(card_json)

    @staticmethod
    def _to_due_cards(rows: list[tuple[str, str, str, str, str]], only: Collection[tuple[str, str]] | None,
                      limit: int | None) -> list[DueCard]:
        result = []
        for pack_id, problem_id, lesson_id, card_json, due_at in rows:
            if only is not None and (pack_id, problem_id) not in only:
                continue
            result.append(DueCard(pack_id, problem_id, lesson_id, parse_timestamp(due_at), Card.from_json(card_json)))
            if limit is not None and len(result) >= limit:
                break
        return result
