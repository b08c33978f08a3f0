"""Forward-mode differentiation with dual numbers, for forward-versus-reverse lessons.

A :class:`Dual` carries a value and a *tangent*: how fast that value changes when the inputs
move in one chosen direction. Each operation updates both at once by the chain rule, so the
derivative arrives together with the result in a single forward sweep -- no graph is stored
and nothing runs backwards.

The trade-off the lessons show: one forward sweep gives the derivative along *one* input
direction, so a full gradient of n inputs takes n sweeps, while reverse mode
(:class:`tutor.engine.Value`) gets all n partials from one backward pass.

Dual supports exactly the operations of Value, with the same domain errors and overflow
rules (shared through :mod:`tutor.engine.scalar_math`).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence

from tutor.engine.scalar_math import (
    checked_divide,
    checked_log,
    checked_power,
    overflowing_exp,
    power_base_derivative,
    power_exponent_derivative,
    stable_sigmoid,
)

__all__ = ["Dual", "directional_derivative", "forward_gradient"]


class Dual:
    """A number ``value`` together with its derivative ``tangent`` along a chosen direction."""

    __slots__ = ("value", "tangent")

    def __init__(self, value: float, tangent: float = 0.0) -> None:
        self.value = float(value)
        self.tangent = float(tangent)

    def __repr__(self) -> str:
        return f"Dual(value={self.value!r}, tangent={self.tangent!r})"

    def __add__(self, other: Dual | float) -> Dual:
        other = _as_dual(other)
        if other is NotImplemented:
            return NotImplemented
        return Dual(self.value + other.value, self.tangent + other.tangent)

    def __radd__(self, other: float) -> Dual:
        left = _as_dual(other)
        return NotImplemented if left is NotImplemented else left.__add__(self)

    def __sub__(self, other: Dual | float) -> Dual:
        other = _as_dual(other)
        if other is NotImplemented:
            return NotImplemented
        return Dual(self.value - other.value, self.tangent - other.tangent)

    def __rsub__(self, other: float) -> Dual:
        left = _as_dual(other)
        return NotImplemented if left is NotImplemented else left.__sub__(self)

    def __mul__(self, other: Dual | float) -> Dual:
        other = _as_dual(other)
        if other is NotImplemented:
            return NotImplemented
        return Dual(
            self.value * other.value,
            self.tangent * other.value + self.value * other.tangent,  # product rule
        )

    def __rmul__(self, other: float) -> Dual:
        left = _as_dual(other)
        return NotImplemented if left is NotImplemented else left.__mul__(self)

    def __truediv__(self, other: Dual | float) -> Dual:
        other = _as_dual(other)
        if other is NotImplemented:
            return NotImplemented
        quotient = checked_divide(self.value, other.value)
        # Quotient rule, (a' - q b') / b with q = a / b.
        return Dual(quotient, (self.tangent - quotient * other.tangent) / other.value)

    def __rtruediv__(self, other: float) -> Dual:
        left = _as_dual(other)
        return NotImplemented if left is NotImplemented else left.__truediv__(self)

    def __pow__(self, other: Dual | float) -> Dual:
        base = self.value
        if isinstance(other, Dual):
            exponent = other.value
            result = checked_power(base, exponent, "pow")
            tangent = 0.0
            # A term whose input does not move contributes nothing, even where its partial is
            # nan (a negative base with a constant exponent is fine, as in reverse mode).
            if self.tangent != 0.0:
                tangent += power_base_derivative(base, exponent) * self.tangent
            if other.tangent != 0.0:
                tangent += power_exponent_derivative(base, exponent, result) * other.tangent
            return Dual(result, tangent)
        if not isinstance(other, numbers.Real):
            return NotImplemented
        exponent = float(other)
        result = checked_power(base, exponent, "pow")
        if self.tangent == 0.0:
            return Dual(result, 0.0)
        return Dual(result, power_base_derivative(base, exponent) * self.tangent)

    def __rpow__(self, other: float) -> Dual:
        left = _as_dual(other)
        return NotImplemented if left is NotImplemented else left.__pow__(self)

    def __neg__(self) -> Dual:
        return Dual(-self.value, -self.tangent)

    def relu(self) -> Dual:
        if self.value > 0.0:
            return Dual(self.value, self.tangent)
        return Dual(0.0, 0.0)

    def tanh(self) -> Dual:
        t = math.tanh(self.value)
        return Dual(t, (1.0 - t * t) * self.tangent)

    def exp(self) -> Dual:
        e = overflowing_exp(self.value)
        return Dual(e, e * self.tangent)

    def log(self) -> Dual:
        return Dual(checked_log(self.value), self.tangent / self.value)

    def sigmoid(self) -> Dual:
        s = stable_sigmoid(self.value)
        return Dual(s, s * (1.0 - s) * self.tangent)


def _as_dual(number: object) -> Dual:
    """Numbers are constants: their tangent is 0."""
    if isinstance(number, Dual):
        return number
    if isinstance(number, numbers.Real):
        return Dual(float(number), 0.0)
    return NotImplemented


def directional_derivative(
    function: Callable[..., Dual], point: Sequence[float], direction: Sequence[float]
) -> tuple[float, float]:
    """One forward sweep: ``(f(point), derivative of f along direction)``.

    ``function`` takes one argument per coordinate and uses Dual-compatible operations.
    """
    if len(point) != len(direction):
        raise ValueError(
            f"point and direction need the same length, got {len(point)} and {len(direction)}"
        )
    result = function(*(Dual(x, dx) for x, dx in zip(point, direction)))
    result = _as_dual(result)
    if result is NotImplemented:
        raise TypeError("the function must return a Dual or a number")
    return result.value, result.tangent


def forward_gradient(function: Callable[..., Dual], point: Sequence[float]) -> list[float]:
    """The full gradient by forward mode: one sweep per input (n sweeps for n inputs)."""
    gradient = []
    for index in range(len(point)):
        unit = [1.0 if position == index else 0.0 for position in range(len(point))]
        gradient.append(directional_derivative(function, point, unit)[1])
    return gradient
