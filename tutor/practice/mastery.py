"""Mastery per gradient skill: an Elo-style rating that every graded entry moves.

The model, with its published parameters (a one-parameter logistic, as in Elo ratings for
learners and problems; Pelánek 2016, "Applications of the Elo rating system in adaptive educational
systems"):

* each skill *s* has a rating θ_s, starting at ``INITIAL_RATING`` = 0;
* an entry at level ℓ (1–5) has difficulty b_ℓ = (ℓ − 3) · ``LEVEL_STEP``, ``LEVEL_STEP`` = 0.7:
  level 3 is the average problem;
* the expected chance of a right answer is p = 1 / (1 + e^−(θ − b));
* after the answer θ ← θ + K · (y − p), with y = 1 for right and 0 for wrong; K = ``K_NEW`` = 0.8
  for a skill's first ``NEW_ANSWERS`` = 5 answers (so the estimate moves quickly at first), then
  ``K_SETTLED`` = 0.4.

**Mastery** shown to a learner is p at level 3: the estimated chance of answering an average entry
of that skill right. A skill is *mastered* at ``MASTERED`` = 0.85. The **level** practice offers
is the highest one whose p is at least ``TARGET_CHANCE`` = 0.7 (hard enough to learn from, easy
enough to succeed), one lower after ``SLIP_RUN`` = 2 wrong answers in a row, and never below 1.

A **leech** is a diagnosis seen ``LEECH_COUNT`` = 3 times among a learner's last ``LEECH_WINDOW`` = 12
diagnosed mistakes: the same misconception, not bad luck. It is found when it happens, on the newest
event being its third (or later) slip, and the tutor then says so and offers the lesson. The window
counts mistakes, not events: one traced graph gives some 25 events (a right entry supports every
skill it exercises), so a window of 12 events held half a graph, and a learner who forgot the upstream
factor once per graph, three graphs running, was never told.

Everything here is pure: events in, ratings out (``ratings(events)`` replays them in order), so the
store keeps only events and the numbers can always be recomputed with new parameters.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tutor.practice.skills import SKILLS, entry_skills, skill_for_diagnosis

INITIAL_RATING = 0.0
LEVEL_STEP = 0.7
K_NEW = 0.8
K_SETTLED = 0.4
NEW_ANSWERS = 5
MASTERED = 0.85
TARGET_CHANCE = 0.7
SLIP_RUN = 2
LEECH_COUNT = 3
LEECH_WINDOW = 12
LESSON_LEVEL = 2  # entries of the built-in lessons count as level 2 (small integers, few nodes)


@dataclass(frozen=True)
class SkillEvent:
    """One graded entry's evidence about one skill."""

    skill: str
    correct: bool
    level: int
    answered_at: datetime
    diagnosis: str | None = None


@dataclass
class SkillRating:
    skill: str
    rating: float = INITIAL_RATING
    answers: int = 0
    right: int = 0
    wrong_run: int = 0  # wrong answers in a row, up to now
    last_at: datetime | None = None

    @property
    def mastery(self) -> float:
        return chance(self.rating, 3)

    @property
    def mastered(self) -> bool:
        return self.mastery >= MASTERED


@dataclass
class Ratings:
    by_skill: dict[str, SkillRating] = field(default_factory=dict)

    def get(self, skill: str) -> SkillRating:
        return self.by_skill.get(skill) or SkillRating(skill)


def difficulty(level: int) -> float:
    return (level - 3) * LEVEL_STEP


def chance(rating: float, level: int) -> float:
    """The model's chance of a right answer at ``level`` for a skill rated ``rating``."""
    return 1.0 / (1.0 + math.exp(-(rating - difficulty(level))))


def update(current: SkillRating, event: SkillEvent) -> SkillRating:
    expected = chance(current.rating, event.level)
    step = K_NEW if current.answers < NEW_ANSWERS else K_SETTLED
    outcome = 1.0 if event.correct else 0.0
    return SkillRating(
        skill=current.skill,
        rating=current.rating + step * (outcome - expected),
        answers=current.answers + 1,
        right=current.right + int(event.correct),
        wrong_run=0 if event.correct else current.wrong_run + 1,
        last_at=event.answered_at,
    )


def ratings(events: Iterable[SkillEvent]) -> Ratings:
    """Replay ``events`` (oldest first) into one rating per skill."""
    result = Ratings()
    for event in events:
        result.by_skill[event.skill] = update(result.get(event.skill), event)
    return result


def level_for(rating: SkillRating) -> int:
    """The level to practise a skill at: the hardest with a fair chance, one lower after a slip."""
    level = 1
    for candidate in range(1, 6):
        if chance(rating.rating, candidate) >= TARGET_CHANCE:
            level = candidate
    if rating.wrong_run >= SLIP_RUN:
        level -= 1
    return max(1, level)


def next_skill(current: Ratings, *, allowed: Sequence[str] | None = None, due: Sequence[str] = ()) -> str:
    """The skill that most needs work: a due review first, else the lowest mastery among skills met
    so far (ties: the one practised least recently), else the first skill not yet met."""
    pool = [skill.id for skill in SKILLS if allowed is None or skill.id in allowed]
    for skill_id in due:
        if skill_id in pool:
            return skill_id
    met = [skill_id for skill_id in pool if current.get(skill_id).answers and not current.get(skill_id).mastered]
    if met:
        return min(met, key=lambda skill_id: (current.get(skill_id).mastery,
                                              current.get(skill_id).last_at or datetime.min))
    fresh = [skill_id for skill_id in pool if not current.get(skill_id).answers]
    if fresh:
        return fresh[0]
    return min(pool, key=lambda skill_id: current.get(skill_id).mastery)


def leech(events: Sequence[SkillEvent]) -> tuple[str, str] | None:
    """(diagnosis, skill) of the newest event when it is a mistake seen ``LEECH_COUNT`` times among the
    last ``LEECH_WINDOW`` diagnosed mistakes, else None."""
    if not events or events[-1].correct or not events[-1].diagnosis:
        return None
    newest = events[-1]
    recent = [event for event in events if not event.correct and event.diagnosis][-LEECH_WINDOW:]
    counts = Counter((event.diagnosis, event.skill) for event in recent)
    if newest.diagnosis is not None and counts[(newest.diagnosis, newest.skill)] >= LEECH_COUNT:
        return newest.diagnosis, newest.skill
    return None


def events_for_answer(graph: Any, ask: str, verdict: str, diagnosis: str | None, *, level: int,
                      answered_at: datetime) -> list[SkillEvent]:
    """The evidence one graded entry gives: a right answer supports every skill the entry exercises;
    a diagnosed mistake counts against the skill it reveals; an undiagnosed wrong one against the
    entry's skills. Invalid and unchecked answers say nothing."""
    if verdict not in ("correct", "incorrect") or graph is None or ask.startswith("layer:"):
        return []  # layer entries: see layer_entry_skills (not yet fed into mastery)
    if verdict == "correct":
        return [SkillEvent(skill_id, True, level, answered_at) for skill_id in entry_skills(graph, ask)]
    revealed = skill_for_diagnosis(diagnosis, ask, graph) if diagnosis else None
    skills = (revealed,) if revealed else entry_skills(graph, ask)
    return [SkillEvent(skill_id, False, level, answered_at, diagnosis) for skill_id in skills]
