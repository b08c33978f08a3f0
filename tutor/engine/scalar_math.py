"""Real-number primitives shared by the reverse-mode Value and the forward-mode Dual.

Domain checks and overflow rules live here once, so both modes give the same numbers and the
same error messages (see the module docstring of :mod:`tutor.engine.value` for the rules).
"""

from __future__ import annotations

import math


class EngineDomainError(ValueError):
    """An operation was asked for a value outside its mathematical domain (e.g. log(-2))."""


def format_number(number: float) -> str:
    """Show whole numbers without a trailing ``.0`` so messages read naturally ("got -2")."""
    if math.isfinite(number) and number == int(number) and abs(number) < 1e16:
        return str(int(number))
    return repr(number)


def checked_power(base: float, exponent: float, op_text: str) -> float:
    """``base ** exponent`` for real numbers, raising EngineDomainError outside the reals."""
    if base == 0.0 and exponent < 0.0:
        raise EngineDomainError(
            f"{op_text}: 0 cannot be raised to the negative power {format_number(exponent)} "
            "(that is a division by zero)"
        )
    if base < 0.0 and not float(exponent).is_integer():
        raise EngineDomainError(
            f"{op_text}: a negative base ({format_number(base)}) cannot be raised to the "
            f"non-integer power {format_number(exponent)} (the result is not a real number)"
        )
    try:
        return base**exponent
    except OverflowError:
        negative = base < 0.0 and exponent % 2.0 == 1.0
        return -math.inf if negative else math.inf


def power_base_derivative(base: float, exponent: float) -> float:
    """d/dbase of base ** exponent, i.e. exponent * base ** (exponent - 1)."""
    if exponent == 0.0:
        return 0.0
    if base == 0.0:
        if exponent == 1.0:
            return 1.0
        # 0 < exponent < 1 (negative exponents were rejected by the forward pass).
        return 0.0 if exponent > 1.0 else math.inf
    return exponent * checked_power(base, exponent - 1.0, "pow")


def power_exponent_derivative(base: float, exponent: float, result: float) -> float:
    """d/dexponent of base ** exponent, i.e. base ** exponent * ln(base) (see module doc)."""
    if base > 0.0:
        return result * math.log(base)
    if base == 0.0 and exponent > 0.0:
        return 0.0
    return math.nan


def checked_divide(numerator: float, denominator: float) -> float:
    if denominator == 0.0:
        raise EngineDomainError(
            f"div: division by zero (tried to divide {format_number(numerator)} by 0)"
        )
    return numerator / denominator


def checked_log(x: float) -> float:
    if not x > 0.0:  # also rejects nan
        raise EngineDomainError(f"log is only defined for positive numbers, got {format_number(x)}")
    return math.log(x)


def overflowing_exp(x: float) -> float:
    """exp(x), giving inf instead of raising OverflowError for large x."""
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def stable_sigmoid(x: float) -> float:
    """1 / (1 + exp(-x)) without overflow for any x."""
    # Two algebraically equal forms, each used where its exp() cannot overflow.
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)
