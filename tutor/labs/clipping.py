"""Clipping lab: tame an exploding gradient by value or by global norm, and see what each does to it.

The exploding gradient is a vector with one entry per layer of a deep stack, made the way
explosion makes it: entry i is N(0, 1) * growth ** (dimension - 1 - i), so the gradient grows by
``growth`` per layer towards the input and the first entries dwarf the last.

* Clip by value: every entry is clamped to [-threshold, threshold] independently. Large entries
  are cut more than small ones, so the vector turns: its direction changes.
* Clip by global norm: if ||g|| > threshold, the whole vector is multiplied by threshold / ||g||.
  Every entry shrinks by the same factor, so the direction is exactly kept. (PyTorch divides by
  ||g|| + 1e-6; the lab leaves that guard out so the scaled norm is exactly the threshold.)
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field

from tutor.labs.base import (
    LabQuestion,
    LabSettings,
    QuestionOption,
    format_expected,
    last_digit_tolerance,
    updated_settings,
    validate_settings,
)

DIRECTION_TOLERANCE = 1e-12  # cosine within this of 1 counts as "same direction"


class ClippingSettings(LabSettings):
    dimension: int = Field(8, ge=2, le=64, description="entries in the gradient vector (one per layer)")
    growth: float = Field(3.0, ge=1.0, le=10.0, description="how much larger each layer's gradient is than the next")
    seed: int = Field(0, ge=0, le=2**32 - 1, description="seed of the random signs and sizes")
    method: Literal["value", "norm"] = Field("norm", description="clip each entry, or rescale the whole vector")
    threshold: float = Field(1.0, gt=0.0, le=1e6, description="clip value (by value) or maximum norm (by norm)")


def exploding_gradient(dimension: int, growth: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.standard_normal(dimension) * growth ** np.arange(dimension - 1, -1, -1, dtype=float)


def clip_by_value(gradient: Sequence[float] | np.ndarray, clip_value: float) -> np.ndarray:
    return np.clip(np.asarray(gradient, dtype=float), -clip_value, clip_value)


def clip_by_norm(gradient: Sequence[float] | np.ndarray, max_norm: float) -> np.ndarray:
    vector = np.asarray(gradient, dtype=float)
    norm = float(np.linalg.norm(vector))
    if norm <= max_norm:
        return vector.copy()
    return vector * (max_norm / norm)


def cosine(first: np.ndarray, second: np.ndarray) -> float:
    """cos of the angle between two vectors (1 = same direction); nan if either is zero."""
    norms = float(np.linalg.norm(first)) * float(np.linalg.norm(second))
    if norms == 0.0:
        return math.nan
    return float(np.dot(first, second)) / norms


@dataclass(frozen=True)
class ClipResult:
    method: str
    threshold: float
    original: tuple[float, ...]
    clipped: tuple[float, ...]
    norm_before: float
    norm_after: float
    cosine: float

    @property
    def angle_degrees(self) -> float:
        return math.degrees(math.acos(min(1.0, max(-1.0, self.cosine))))

    @property
    def keeps_direction(self) -> bool:
        return abs(1.0 - self.cosine) <= DIRECTION_TOLERANCE

    @property
    def entries_changed(self) -> int:
        return sum(before != after for before, after in zip(self.original, self.clipped))

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": self.method, "threshold": self.threshold, "original": list(self.original),
            "clipped": list(self.clipped), "norm_before": self.norm_before, "norm_after": self.norm_after,
            "cosine": self.cosine, "angle_degrees": self.angle_degrees, "keeps_direction": self.keeps_direction,
            "entries_changed": self.entries_changed,
        }


def clip(gradient: Sequence[float] | np.ndarray, method: str, threshold: float) -> ClipResult:
    original = np.asarray(gradient, dtype=float)
    if method == "value":
        clipped = clip_by_value(original, threshold)
    elif method == "norm":
        clipped = clip_by_norm(original, threshold)
    else:
        raise ValueError(f"clipping method must be 'value' or 'norm', got {method!r}")
    return ClipResult(
        method, threshold, tuple(original.tolist()), tuple(clipped.tolist()),
        float(np.linalg.norm(original)), float(np.linalg.norm(clipped)), cosine(original, clipped),
    )


class ClippingLab:
    """:meth:`result` clips with the chosen method; :meth:`compare` gives both methods side by side."""

    name: ClassVar[str] = "clipping"
    title: ClassVar[str] = "Clip an exploding gradient"
    Settings: ClassVar[type[ClippingSettings]] = ClippingSettings

    def __init__(self, settings: Mapping[str, Any] | ClippingSettings | None = None) -> None:
        self._settings = validate_settings(self.name, ClippingSettings, settings)

    @property
    def settings(self) -> ClippingSettings:
        return self._settings

    def configure(self, **changes: Any) -> None:
        self._settings = updated_settings(self.name, self._settings, changes)

    def reset(self) -> None:
        """Nothing to reset: results are pure functions of the settings."""

    def gradient(self) -> np.ndarray:
        s = self._settings
        return exploding_gradient(s.dimension, s.growth, s.seed)

    def result(self) -> ClipResult:
        return clip(self.gradient(), self._settings.method, self._settings.threshold)

    def compare(self) -> dict[str, ClipResult]:
        gradient = self.gradient()
        return {method: clip(gradient, method, self._settings.threshold) for method in ("value", "norm")}

    def snapshot(self) -> dict[str, Any]:
        return {
            "lab": self.name, "settings": self._settings.model_dump(), **self.result().as_dict(),
            "comparison": {method: result.as_dict() for method, result in self.compare().items()},
        }

    def questions(self) -> tuple[LabQuestion, ...]:
        return clipping_questions()


QUESTION_SETTINGS = ClippingSettings()


@functools.lru_cache(maxsize=1)
def clipping_questions() -> tuple[LabQuestion, ...]:
    results = ClippingLab(QUESTION_SETTINGS).compare()
    keepers = [method for method, result in results.items() if result.keeps_direction]
    expected_choice = {(): "neither", ("value",): "value", ("norm",): "norm"}.get(tuple(keepers), "both")
    by_value = results["value"]
    described = (
        f"the default gradient ({QUESTION_SETTINGS.dimension} entries, growth {QUESTION_SETTINGS.growth:g}, "
        f"seed {QUESTION_SETTINGS.seed})"
    )
    return (
        LabQuestion(
            id="clipping.keeps-direction",
            text=f"Clip {described} at threshold {QUESTION_SETTINGS.threshold:g}. Which clipping keeps its direction?",
            kind="choice",
            expected=expected_choice,
            options=(
                QuestionOption("value", "clipping by value"),
                QuestionOption("norm", "clipping by global norm"),
                QuestionOption("both", "both"),
                QuestionOption("neither", "neither"),
            ),
            explanation="Norm clipping multiplies every entry by one factor; value clipping cuts big entries more.",
            settings=QUESTION_SETTINGS.model_dump(exclude={"method"}),
        ),
        LabQuestion(
            id="clipping.value-clipped-norm",
            text=(
                f"Clip {described} by value at {QUESTION_SETTINGS.threshold:g}. What is the norm of the clipped "
                "vector (4 significant digits)?"
            ),
            kind="numeric",
            expected=format_expected(by_value.norm_after, 4),
            tolerance=last_digit_tolerance(by_value.norm_after, 4),
            explanation="Every entry bigger than the clip value becomes exactly ± the clip value; the rest stay as they were.",
            settings=QUESTION_SETTINGS.model_dump() | {"method": "value"},
        ),
        LabQuestion(
            id="clipping.value-clipped-cosine",
            text=(
                f"Clip {described} by value at {QUESTION_SETTINGS.threshold:g}. What is the cosine between the "
                "original and the clipped vector (3 significant digits)?"
            ),
            kind="numeric",
            expected=format_expected(by_value.cosine, 3),
            tolerance=last_digit_tolerance(by_value.cosine, 3),
            explanation="A cosine below 1 means the update now points somewhere else.",
            settings=QUESTION_SETTINGS.model_dump() | {"method": "value"},
        ),
    )


__all__ = [
    "ClipResult", "ClippingLab", "ClippingSettings", "clip", "clip_by_norm", "clip_by_value", "cosine",
    "exploding_gradient",
]
