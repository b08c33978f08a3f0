"""Is this number the right one? Exact when the right answer is rational, within a tolerance otherwise.

The rules, in a learner's terms:

* If the right answer is a rational number (every input and operation was rational), an exact
  answer must be exactly right: 42, 42.0, 84/2 and 2*z2*b are correct, 42.01 is not.
* A decimal is accepted as *rounded* only when the right answer can't be written exactly with
  that many decimals: 0.333 for 1/3 is correct (rounded); 42.01 for 42 is wrong. Float noise
  (0.010000000000000002 for 1/100, agreeing to twelve digits) is rounded, not wrong.
* If the right answer is irrational (tanh(1)), anything within the tolerance is correct, and
  said to be rounded unless it agrees to about twelve digits (for example ``tanh(1)`` itself).
* An explicit per-question tolerance is applied as given, even to rational answers.
"""

from __future__ import annotations

import math
from fractions import Fraction

from tutor.check.models import DEFAULT_TOLERANCE, Tolerance
from tutor.check.numbers import Num, format_approx, format_exact, is_finite, terminating_decimals, to_float

EXACT = "exact"
ROUNDED = "rounded"
WRONG = "wrong"

_FLOAT_AGREEMENT = 1e-12
_MAX_LITERAL_DIGITS = 30  # what the answer language accepts in one number
_MAX_LITERAL_MAGNITUDE = 1e30
_MAX_POWER_OF_TEN = 30  # the answer language folds 10^30 but refuses 10^31 as too large


def compare_numbers(answer: Num, expected: Num, tolerance: Tolerance | None) -> str:
    """EXACT, ROUNDED or WRONG (see the module docstring)."""
    if not is_finite(answer) or not is_finite(expected):
        return WRONG
    explicit = tolerance is not None
    allowed = tolerance or DEFAULT_TOLERANCE
    answer_float, expected_float = to_float(answer), to_float(expected)
    if isinstance(expected, Fraction):
        if isinstance(answer, Fraction):
            if answer == expected:
                return EXACT
            if _floats_agree(answer_float, expected_float):
                return ROUNDED  # 0.010000000000000002 for 1/100: float noise copied from a calculator
            if explicit:
                return ROUNDED if allowed.allows(answer_float, expected_float) else WRONG
            decimals = terminating_decimals(answer)
            could_be_exact = decimals is not None and (expected * 10**decimals).denominator == 1
            if decimals is not None and not could_be_exact and allowed.allows(answer_float, expected_float):
                return ROUNDED
            return WRONG
        if _floats_agree(answer_float, expected_float):
            return EXACT
        return ROUNDED if explicit and allowed.allows(answer_float, expected_float) else WRONG
    if _floats_agree(answer_float, expected_float):
        return EXACT
    return ROUNDED if allowed.allows(answer_float, expected_float) else WRONG


def _floats_agree(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=_FLOAT_AGREEMENT, abs_tol=1e-15)


def matches(answer: Num, expected: Num, tolerance: Tolerance | None) -> bool:
    return compare_numbers(answer, expected, tolerance) != WRONG


def same_number(a: Num, b: Num, tolerance: Tolerance | None) -> bool:
    """For telling a wrong rule's result from the right answer: equal, or too close to tell apart."""
    if isinstance(a, Fraction) and isinstance(b, Fraction):
        return a == b
    if not (is_finite(a) and is_finite(b)):
        return False
    allowed = tolerance or DEFAULT_TOLERANCE
    return allowed.allows(to_float(a), to_float(b)) or allowed.allows(to_float(b), to_float(a))


def number_text(value: Num, tolerance: Tolerance | None = None) -> str:
    """The right answer as text in the answer language that itself grades correct:
    exact (42, 0.25, 1/3) when rational and short, else the shortest decimal well inside the tolerance."""
    if isinstance(value, Fraction):
        if (len(str(abs(value.numerator))) <= _MAX_LITERAL_DIGITS and len(str(value.denominator)) <= _MAX_LITERAL_DIGITS
                and abs(value) < _MAX_LITERAL_MAGNITUDE):
            return format_exact(value, max_decimals=10)
    number = to_float(value)
    if not math.isfinite(number):
        return format_approx(number)
    allowed = tolerance or DEFAULT_TOLERANCE
    margin = max(allowed.abs, allowed.rel * abs(number)) / 10
    for digits in range(4, 18):
        mantissa_text = f"{number:.{digits}g}"
        if abs(float(mantissa_text) - number) <= margin:
            break
    if abs(number) >= _MAX_LITERAL_MAGNITUDE and "e+" in mantissa_text:
        # Too large for one literal (and 10^40 for one folded power): 1.5*10^30*10^10.
        mantissa, exponent_text = mantissa_text.split("e+")
        exponent, powers = int(exponent_text), []
        while exponent > 0:
            powers.append(f"10^{min(exponent, _MAX_POWER_OF_TEN)}")
            exponent -= _MAX_POWER_OF_TEN
        return "*".join([mantissa, *powers])
    return mantissa_text.replace("e+", "e")


def precise_text(value: Num) -> str:
    """The right answer for a "correct (rounded)" message: 1/3, 0.76159416."""
    if isinstance(value, Fraction):
        exact = format_exact(value, max_decimals=10)
        return exact if len(exact) <= 24 else f"{to_float(value):.8g}"
    return f"{value:.8g}"
