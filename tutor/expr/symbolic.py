"""sigmoid and relu as sympy functions that know their own derivatives.

Writing sigmoid as 1/(1 + exp(-x)) would work, but then every gradient a learner sees is
printed as exp(-x)/(1 + exp(-x))^2 instead of sigmoid(x)*(1 - sigmoid(x)). Both functions
can be rewritten into plain sympy (``rewrite(sympy.exp)``, ``rewrite(sympy.Piecewise)``) when
an algebraic comparison needs it.
"""

from __future__ import annotations

import math
from typing import Any

import sympy

# sympy ships no type hints, so sympy objects are Any here and subclassing sympy.Function is
# subclassing Any (the two `type: ignore[misc]` below).


class sigmoid(sympy.Function):  # type: ignore[misc]  # noqa: N801 - sympy functions are lower-case by convention
    is_real = True

    @classmethod
    def eval(cls, argument: Any) -> Any:
        if argument.is_zero:
            return sympy.Rational(1, 2)
        if isinstance(argument, sympy.Float):
            x = float(argument)
            if x >= 0:
                return sympy.Float(1.0 / (1.0 + math.exp(-x)))
            z = math.exp(x)
            return sympy.Float(z / (1.0 + z))
        return None

    def fdiff(self, argindex: int = 1) -> Any:
        value = sigmoid(self.args[0])
        return value * (1 - value)

    def _eval_rewrite_as_exp(self, argument: Any, **kwargs: Any) -> Any:
        return 1 / (1 + sympy.exp(-argument))

    def _eval_evalf(self, precision: int) -> Any:
        return self.rewrite(sympy.exp)._eval_evalf(precision)


class relu(sympy.Function):  # type: ignore[misc]  # noqa: N801
    @classmethod
    def eval(cls, argument: Any) -> Any:
        if argument.is_number and argument.is_real:
            return argument if argument.is_positive else sympy.S.Zero
        if argument.is_nonpositive:
            return sympy.S.Zero
        if argument.is_positive:
            return argument
        return None

    def fdiff(self, argindex: int = 1) -> Any:
        # Slope 0 at x = 0, the same convention as the engine (and PyTorch).
        return sympy.Heaviside(self.args[0], 0)

    def _eval_rewrite_as_Piecewise(self, argument: Any, **kwargs: Any) -> Any:
        return sympy.Piecewise((argument, argument > 0), (0, True))

    def _eval_evalf(self, precision: int) -> Any:
        return self.rewrite(sympy.Piecewise)._eval_evalf(precision)

    def _eval_is_real(self) -> bool | None:
        return self.args[0].is_real


def numeric_sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def numeric_relu(x: float) -> float:
    return x if x > 0 else 0.0


def numeric_heaviside(x: float, at_zero: float = 0.0) -> float:
    return 1.0 if x > 0 else (at_zero if x == 0 else 0.0)


# For sympy.lambdify: how the custom functions are computed on floats.
LAMBDIFY_MODULES = [
    {"sigmoid": numeric_sigmoid, "relu": numeric_relu, "Heaviside": numeric_heaviside},
    "math",
]


def to_text(expression: Any) -> str:
    """A sympy expression written the way learners type it: ^ for powers."""
    return sympy.sstr(expression).replace("**", "^")
