"""The checker's requests and results: plain frozen dataclasses, no sympy."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tutor.diagnosis_ids import BUILTIN_DIAGNOSES

CORRECT = "correct"
INCORRECT = "incorrect"
INVALID = "invalid"
UNCHECKED = "unchecked"
VERDICTS = (CORRECT, INCORRECT, INVALID, UNCHECKED)

# The built-in diagnoses, in the order they are tried when an answer is wrong (one vocabulary: diagnosis_ids).
DIAGNOSES = BUILTIN_DIAGNOSES


class RequestError(ValueError):
    """The request itself is unusable: a program that doesn't parse, an unknown node in the ask,
    an author mistake that isn't an expression. The author's fault, never the learner's."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Tolerance:
    """How close a number must be when the exact value can't be typed (tanh(1) ≈ 0.7616)."""

    rel: float = 1e-3
    abs: float = 1e-9
    # Significant figures: the answer must round to the right one at this many digits
    # (within half a unit in the last place). None: not used.
    digits: int | None = None

    def __post_init__(self) -> None:
        for name in ("rel", "abs"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise RequestError(f"tolerance {name} must be a number >= 0, not {value!r}")
        if self.digits is not None and (isinstance(self.digits, bool) or not isinstance(self.digits, int)
                                        or not 1 <= self.digits <= 15):
            raise RequestError(f"tolerance digits must be a whole number from 1 to 15, not {self.digits!r}")

    def allows(self, answer: float, expected: float) -> bool:
        if not (math.isfinite(answer) and math.isfinite(expected)):
            return False
        allowed = max(self.abs, self.rel * abs(expected))
        if self.digits is not None and expected != 0:
            last_place = 10.0 ** (math.floor(math.log10(abs(expected))) - self.digits + 1)
            # A hair over half a unit, so 0.762 is three digits of 0.76159 however floats round.
            allowed = max(allowed, 0.5 * last_place * (1 + 1e-9))
        return abs(answer - expected) <= allowed


DEFAULT_TOLERANCE = Tolerance()


@dataclass(frozen=True)
class AuthorMistake:
    """A wrong answer a pack author expects, with the feedback to show when a learner gives it."""

    answer: str
    feedback: str
    id: str | None = None
    rule: str = ""  # the general rule for a second try; empty: the ask's own rule (a numeric answer's general advice)


@dataclass(frozen=True)
class GradeRequest:
    program: str
    at: Mapping[str, float]
    ask: str  # "value:NODE" | "grad:NODE" | "local:NODE/INPUT" | "derivative:VAR"
    answer: str
    tolerance: Tolerance | None = None  # None: exact when rational, else the default tolerance
    mistakes: Sequence[AuthorMistake] = field(default_factory=tuple)
    # Seconds the algebra may take on a formula before the answer is "unchecked"; None: the default
    # (tutor.check.worker.DEFAULT_BUDGET_SECONDS). Tests of verdicts pass a long one so that a loaded
    # machine cannot turn a right answer into "unchecked"; how fast it is belongs in benchmarks/.
    time_budget: float | None = None


@dataclass(frozen=True)
class GradeResult:
    verdict: str  # correct | incorrect | invalid | unchecked
    expected: str  # the right answer as text that itself grades correct
    diagnosis: str | None  # a built-in id, an author mistake's id, "author", or None
    # Fit to show a learner at once: names the mistake and where, with no number or formula that is, or
    # gives in one step, the right answer.
    message: str
    column: int | None = None  # where an invalid answer goes wrong (1-based)
    rounded: bool = False  # correct, but only within the tolerance
    # The right answer worked out on this graph ("dL/da = dL/dz1 · ∂z1/∂a = 14 · 3 = 42."). It gives the
    # answer away, so a tutor shows it only once the learner has had their tries; "" when there is none.
    worked: str = ""
    # The general rule in symbols, for a second try ("dL/da = dL/dz1 · ∂z1/∂a: the gradient from above times
    # the local derivative"; "d(uⁿ)/du = n·uⁿ⁻¹"), with no number of this instance. Between message and
    # worked: it says how, not what. "" where no rule applies (correct, invalid and unchecked answers).
    rule: str = ""

    def to_json(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "verdict": self.verdict,
            "expected": self.expected,
            "diagnosis": self.diagnosis,
            "message": self.message,
            "rule": self.rule,
            "worked": self.worked,
        }
        if self.column is not None:
            record["column"] = self.column
        if self.rounded:
            record["rounded"] = True
        return record
