"""Headless quiz sessions: choose problems, ask them one at a time, summarise.

The quiz never sees pack models. Callers describe their problems with
:class:`tutor.progress.model.ProblemRef` (pack id, lesson id, problem id, tags, pack version) and
grade answers themselves; the session only keeps score and time.

Choosing problems::

    selection = QuizSelection.lesson("basics", "chain-rule")   # or .pack(id), .with_tags({"relu"}),
                                                              #    .mixed_review()  (due cards first)
    problems = select_problems(catalog, selection, length=5, rng=random.Random(seed),
                               store=store, review=review, now=now)

``catalog`` is every ProblemRef the loaded packs offer. Lesson/pack/tag quizzes prefer problems the
learner has not solved yet (when ``store`` is given) and shuffle within that preference. Mixed review
takes due cards, most overdue first, then tops up with the cards due soonest; problems never answered
are not review material, so a learner with no history gets an empty mixed review.

Running::

    session = QuizSession(problems, started_at=now, record=review.record_attempt)   # record is optional
    while not session.is_finished:
        problem = session.current
        session.take_hint()                                      # optional, any number of times
        feedback = session.answer(verdict, at=now, answer_text=text, diagnosis=code)
        # correct / gave-up / unchecked -> next question; incorrect -> same question again (retry)
        # unless max_tries is reached; invalid -> not counted, same question.
        session.skip(at=now)                                     # leave the current question
    summary = session.summary()    # or session.finish(at=now) to stop early

From loaded packs (duck-typed, so this module never imports tutor.packs)::

    catalog = refs_from_packs(pack_catalog.usable)       # [ProblemRef]; tags = problem tags + lesson tags
    lessons = lessons_from_packs(pack_catalog.usable)    # [LessonProblems] for store.continue_target()

``record`` receives one :class:`Attempt` per answer (invalid ones included, flagged by their verdict)
before the session changes state, so if it raises, the answer can simply be submitted again.
"""

from __future__ import annotations

import enum
import random
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tutor.progress.model import (
    Attempt,
    DiagnosisCount,
    LessonProblems,
    ProblemRef,
    ProblemStatus,
    Verdict,
    as_utc,
)

_ANY_PACK = None


def _problems_of(lesson: Any) -> list[Any]:
    problems = getattr(lesson, "problems", None)
    return list(problems() if callable(problems) else problems or [])


def refs_from_packs(packs: Iterable[Any]) -> list[ProblemRef]:
    """ProblemRefs for packs with ``.id``, ``.version`` and ``.lessons`` (lessons with ``.id``, ``.tags`` and
    ``.problems`` as a list or method; problems with ``.id`` and ``.tags``), in pack order."""
    refs = []
    for pack in packs:
        for lesson in getattr(pack, "lessons", None) or []:
            lesson_tags = frozenset(getattr(lesson, "tags", None) or ())
            for problem in _problems_of(lesson):
                refs.append(ProblemRef(pack.id, lesson.id, problem.id,
                                       lesson_tags | frozenset(getattr(problem, "tags", None) or ()),
                                       str(getattr(pack, "version", "") or "")))
    return refs


def lessons_from_packs(packs: Iterable[Any]) -> list[LessonProblems]:
    """The packs' lessons with their current problem ids, for completion and "continue"."""
    return [LessonProblems(pack.id, lesson.id, [problem.id for problem in _problems_of(lesson)])
            for pack in packs for lesson in getattr(pack, "lessons", None) or []]


@dataclass(frozen=True)
class QuizSelection:
    kind: str  # "lesson", "pack", "tags" or "mixed-review"
    pack_id: str | None = None
    lesson_id: str | None = None
    tags: frozenset[str] = frozenset()
    match_all_tags: bool = False
    # Only lessons the learner has started (a counted answer in them): a quiz on a pack or a topic
    # should test what was studied, not open lessons the learner has not reached yet.
    studied_only: bool = False

    @classmethod
    def lesson(cls, pack_id: str, lesson_id: str) -> QuizSelection:
        return cls("lesson", pack_id=pack_id, lesson_id=lesson_id)

    @classmethod
    def pack(cls, pack_id: str, *, studied_only: bool = False) -> QuizSelection:
        return cls("pack", pack_id=pack_id, studied_only=studied_only)

    @classmethod
    def with_tags(cls, tags: Iterable[str], *, pack_id: str | None = _ANY_PACK, match_all: bool = False,
                  studied_only: bool = False) -> QuizSelection:
        """Problems carrying any of ``tags`` (all of them with ``match_all``), optionally in one pack."""
        tag_set = frozenset(tags)
        if not tag_set:
            raise ValueError("a tag quiz needs at least one tag")
        return cls("tags", pack_id=pack_id, tags=tag_set, match_all_tags=match_all, studied_only=studied_only)

    @classmethod
    def mixed_review(cls, pack_id: str | None = _ANY_PACK) -> QuizSelection:
        return cls("mixed-review", pack_id=pack_id)

    def matches(self, problem: ProblemRef) -> bool:
        if self.pack_id is not None and problem.pack_id != self.pack_id:
            return False
        if self.kind == "lesson":
            return problem.lesson_id == self.lesson_id
        if self.kind == "tags":
            return self.tags <= problem.tags if self.match_all_tags else bool(self.tags & problem.tags)
        return True


def select_problems(catalog: Iterable[ProblemRef], selection: QuizSelection, *, length: int,
                    rng: random.Random | None = None, store: object | None = None, review: object | None = None,
                    now: datetime | None = None) -> list[ProblemRef]:
    """Up to ``length`` problems from ``catalog`` for ``selection`` (see the module docstring).

    ``store`` is a ProgressStore and ``review`` a SpacedReview; typed loosely so this module stays free of SQLite.
    """
    if length < 1:
        raise ValueError(f"a quiz needs at least one question, got length {length}")
    rng = rng or random.Random()
    candidates: dict[tuple[str, str], ProblemRef] = {}
    for problem in catalog:
        if selection.matches(problem):
            candidates.setdefault(problem.key, problem)
    if selection.kind == "mixed-review":
        if review is None or now is None:
            raise ValueError("a mixed review needs the SpacedReview and the current time")
        due = review.due_cards(now, pack_id=selection.pack_id, only=candidates)  # type: ignore[attr-defined]
        chosen = [candidates[card.key] for card in due]
        if len(chosen) < length:
            due_keys = {card.key for card in due}
            upcoming = review.upcoming_cards(pack_id=selection.pack_id, only=candidates)  # type: ignore[attr-defined]
            chosen += [candidates[card.key] for card in upcoming if card.key not in due_keys]
        return chosen[:length]
    ordered = list(candidates.values())
    rng.shuffle(ordered)
    if store is not None:
        preference = {ProblemStatus.ATTEMPTED: 0, ProblemStatus.NEW: 1, ProblemStatus.SOLVED: 2}
        status: dict[tuple[str, str], ProblemStatus] = {}
        for pack_id in sorted({problem.pack_id for problem in ordered}):
            problem_ids = [problem.problem_id for problem in ordered if problem.pack_id == pack_id]
            for problem_id, problem_status in store.problem_statuses(pack_id, problem_ids).items():  # type: ignore[attr-defined]
                status[(pack_id, problem_id)] = problem_status
        if selection.studied_only:
            studied = {(problem.pack_id, problem.lesson_id) for problem in ordered
                       if status[problem.key] is not ProblemStatus.NEW}
            ordered = [problem for problem in ordered if (problem.pack_id, problem.lesson_id) in studied]
        ordered.sort(key=lambda problem: preference[status[problem.key]])  # stable: shuffle survives within groups
    return ordered[:length]


class QuestionOutcome(enum.StrEnum):
    PENDING = "pending"
    CORRECT = "correct"
    INCORRECT = "incorrect"    # ran out of tries, or the quiz ended after wrong tries
    SKIPPED = "skipped"
    GAVE_UP = "gave-up"
    UNCHECKED = "unchecked"
    UNANSWERED = "unanswered"  # the quiz ended before it was tried


@dataclass
class QuestionResult:
    problem: ProblemRef
    outcome: QuestionOutcome = QuestionOutcome.PENDING
    tries: int = 0  # counted answers (invalid ones excluded)
    hints_used: int = 0
    seconds: float = 0.0
    diagnoses: list[str] = field(default_factory=list)

    @property
    def first_try_correct(self) -> bool:
        return self.outcome is QuestionOutcome.CORRECT and self.tries == 1


@dataclass(frozen=True)
class AnswerFeedback:
    attempt: Attempt
    counted: bool         # False for invalid answers
    tries: int            # counted tries on this question so far
    question_done: bool   # True if the session moved on to the next question
    outcome: QuestionOutcome


@dataclass(frozen=True)
class QuizSummary:
    results: tuple[QuestionResult, ...]
    seconds: float
    frequent_diagnoses: tuple[DiagnosisCount, ...]

    def _count(self, outcome: QuestionOutcome) -> int:
        return sum(result.outcome is outcome for result in self.results)

    @property
    def total(self) -> int:
        return len(self.results)

    @property
    def correct(self) -> int:
        return self._count(QuestionOutcome.CORRECT)

    @property
    def correct_first_try(self) -> int:
        return sum(result.first_try_correct for result in self.results)

    @property
    def incorrect(self) -> int:
        return self._count(QuestionOutcome.INCORRECT)

    @property
    def skipped(self) -> int:
        return self._count(QuestionOutcome.SKIPPED)

    @property
    def gave_up(self) -> int:
        return self._count(QuestionOutcome.GAVE_UP)

    @property
    def unanswered(self) -> int:
        return self._count(QuestionOutcome.UNANSWERED) + self._count(QuestionOutcome.PENDING)

    @property
    def score(self) -> float:
        """Fraction of questions answered correctly (on any try)."""
        return self.correct / self.total if self.total else 0.0

    @property
    def hints_used(self) -> int:
        return sum(result.hints_used for result in self.results)


class QuizFinishedError(RuntimeError):
    pass


class QuizSession:
    def __init__(self, problems: Sequence[ProblemRef], *, started_at: datetime,
                 record: Callable[[Attempt], object] | None = None, max_tries: int | None = None) -> None:
        if max_tries is not None and max_tries < 1:
            raise ValueError(f"max_tries must be at least 1, got {max_tries}")
        self.started_at = as_utc(started_at, "started_at")
        self._results = [QuestionResult(problem) for problem in problems]
        self._record = record
        self._max_tries = max_tries
        self._index = 0
        self._last_event = self.started_at
        self._finished_at: datetime | None = None
        self._diagnoses: Counter[str] = Counter()
        if not self._results:
            self._finished_at = self.started_at

    # ------------------------------------------------------------------------------------------- state

    @property
    def current(self) -> ProblemRef | None:
        return None if self.is_finished else self._results[self._index].problem

    @property
    def position(self) -> int:
        """0-based index of the current question (== total once finished)."""
        return self._index

    @property
    def total(self) -> int:
        return len(self._results)

    @property
    def is_finished(self) -> bool:
        return self._finished_at is not None

    @property
    def current_tries(self) -> int:
        return 0 if self.is_finished else self._results[self._index].tries

    @property
    def results(self) -> tuple[QuestionResult, ...]:
        return tuple(self._results)

    # ----------------------------------------------------------------------------------------- actions

    def _require_question(self) -> QuestionResult:
        if self.is_finished:
            raise QuizFinishedError("the quiz is over; there is no current question")
        return self._results[self._index]

    def _elapsed(self, at: datetime) -> float:
        # A clock stepping backwards must not produce negative durations.
        return max(0.0, (at - self._last_event).total_seconds())

    def take_hint(self) -> int:
        """Note that a hint was shown for the current question; returns the hints used on it so far."""
        question = self._require_question()
        question.hints_used += 1
        return question.hints_used

    def answer(self, verdict: Verdict | str, *, at: datetime, answer_text: str = "", diagnosis: str | None = None,
               variant_seed: int | None = None) -> AnswerFeedback:
        question = self._require_question()
        verdict = Verdict(verdict)
        at = as_utc(at, "at")
        seconds = self._elapsed(at)
        problem = question.problem
        attempt = Attempt(pack_id=problem.pack_id, pack_version=problem.pack_version, lesson_id=problem.lesson_id,
                          problem_id=problem.problem_id, answer_text=answer_text, verdict=verdict,
                          variant_seed=variant_seed, diagnosis=diagnosis, hints_used=question.hints_used,
                          seconds=seconds, answered_at=at)
        if self._record is not None:
            self._record(attempt)
        question.seconds += seconds
        self._last_event = max(self._last_event, at)
        if not verdict.counts_as_attempt:
            return AnswerFeedback(attempt, False, question.tries, False, question.outcome)
        question.tries += 1
        if diagnosis:
            question.diagnoses.append(diagnosis)
            self._diagnoses[diagnosis] += 1
        final = {Verdict.CORRECT: QuestionOutcome.CORRECT, Verdict.GAVE_UP: QuestionOutcome.GAVE_UP,
                 Verdict.UNCHECKED: QuestionOutcome.UNCHECKED}.get(verdict)
        if final is None and self._max_tries is not None and question.tries >= self._max_tries:
            final = QuestionOutcome.INCORRECT
        if final is None:
            return AnswerFeedback(attempt, True, question.tries, False, question.outcome)
        self._close_question(final, at)
        return AnswerFeedback(attempt, True, question.tries, True, final)

    def give_up(self, *, at: datetime, answer_text: str = "") -> AnswerFeedback:
        return self.answer(Verdict.GAVE_UP, at=at, answer_text=answer_text)

    def skip(self, *, at: datetime) -> None:
        """Move on without answering (no attempt is recorded)."""
        question = self._require_question()
        at = as_utc(at, "at")
        question.seconds += self._elapsed(at)
        self._close_question(QuestionOutcome.SKIPPED, at)

    def _close_question(self, outcome: QuestionOutcome, at: datetime) -> None:
        self._results[self._index].outcome = outcome
        self._last_event = max(self._last_event, at)
        self._index += 1
        if self._index >= len(self._results):
            self._finished_at = self._last_event

    def finish(self, *, at: datetime) -> QuizSummary:
        """End the quiz now; questions not reached count as unanswered."""
        if not self.is_finished:
            at = as_utc(at, "at")
            current = self._results[self._index]
            current.seconds += self._elapsed(at)
            current.outcome = QuestionOutcome.INCORRECT if current.tries else QuestionOutcome.UNANSWERED
            for later in self._results[self._index + 1:]:
                later.outcome = QuestionOutcome.UNANSWERED
            self._last_event = max(self._last_event, at)
            self._index = len(self._results)
            self._finished_at = self._last_event
        return self.summary()

    def summary(self) -> QuizSummary:
        """Score, time and frequent diagnoses so far (final once the quiz is finished)."""
        end = self._finished_at or self._last_event
        ranked = sorted(self._diagnoses.items(), key=lambda item: (-item[1], item[0]))
        return QuizSummary(
            results=tuple(QuestionResult(r.problem, r.outcome, r.tries, r.hints_used, r.seconds, list(r.diagnoses))
                          for r in self._results),
            seconds=max(0.0, (end - self.started_at).total_seconds()),
            frequent_diagnoses=tuple(DiagnosisCount(name, count) for name, count in ranked),
        )
