"""Comparing formulas as functions: sample both at the same points and classify each pair.

Shared by the ``derivative:`` and ``derivative2:`` graders and by the coincidence checks of
``validate``: exact rationals where possible, so ``(x+1)^2 - x^2`` is not fooled by rounding;
floats are compared relative to the largest number met while evaluating.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from tutor.check.numbers import Num, evaluate_tree, is_finite, to_float
from tutor.check.problem import PointState
from tutor.expr.convert import EvaluationError
from tutor.expr.tree import Expression

AGREE = "agree"
DISAGREE = "disagree"
UNDEFINED = "undefined"
UNSURE = "unsure"

_AGREEMENT = 1e-9  # relative to the largest number met while evaluating
_DISAGREEMENT = 1e-6


@dataclass(frozen=True)
class Sample:
    value: Num | None  # None where the formula has no value
    largest: float
    error: str | None = None


def sample(tree: Expression, state: PointState) -> Sample:
    try:
        value, largest = evaluate_tree(tree, state.values)
    except EvaluationError as error:
        return Sample(None, 0.0, error.message)
    return Sample(value, largest)


def classify(sample: Sample, expected: Num) -> str:
    if sample.value is None:
        return UNDEFINED
    value = sample.value
    if not is_finite(value) or not is_finite(expected):
        return UNSURE  # overflow in floats tells nothing either way
    if isinstance(value, Fraction) and isinstance(expected, Fraction):
        return AGREE if value == expected else DISAGREE
    a, b = to_float(value), to_float(expected)
    scale = max(1.0, abs(a), abs(b), sample.largest)
    difference = abs(a - b)
    if difference <= _AGREEMENT * scale:
        return AGREE
    if difference > _DISAGREEMENT * scale:
        return DISAGREE
    return UNSURE


def same_function(samples: Sequence[Sample], expected: Sequence[Num]) -> bool:
    """Agrees wherever both have a value, at least once."""
    verdicts = [classify(sample, value) for sample, value in zip(samples, expected)]
    return DISAGREE not in verdicts and AGREE in verdicts
