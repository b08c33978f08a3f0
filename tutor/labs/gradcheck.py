"""Gradient-check lab: the engine's gradients against central differences.

For a target function f (one op, or a small 2-3-1 tanh network's squared error) the lab compares,
for every input, the analytic gradient from the engine's backward pass with the numerical one::

    numerical = (f(x + eps) - f(x - eps)) / (2 * eps)
    relative error = |analytic - numerical| / max(|analytic|, |numerical|, 1e-12)

Two sources of error pull the numerical estimate in opposite directions as eps changes:
truncation (the difference quotient is only exact up to a term in eps^2) dominates for large eps,
rounding (f is stored to about 16 digits, and the difference of two nearly equal numbers loses
them) dominates for tiny eps -- so the error against eps is U-shaped with its floor in between.
Functions whose third derivative is zero (add, sub, mul) have no truncation term, so for them only
the rounding arm appears.

"Plant a bug" replaces one local derivative with a classic mistake. It edits the ``local_grads``
of one node of the graph this lab has just built for itself (nothing in ``tutor.engine``, no
shared state), before running backward, so only that analytic gradient is wrong; the forward
values the numerical estimate uses are untouched.
"""

from __future__ import annotations

import functools
import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from pydantic import Field

from tutor.engine import Value, dot
from tutor.labs.base import (
    LabQuestion,
    LabSettings,
    QuestionOption,
    format_expected,
    last_digit_tolerance,
    relative_error,
    updated_settings,
    validate_settings,
)

AGREEMENT_THRESHOLD = 1e-6  # below this the gradients agree
WRONG_THRESHOLD = 1e-2  # above this the analytic gradient is wrong, not just imprecise
SWEEP_EPSILONS: tuple[float, ...] = tuple(10.0 ** -exponent for exponent in range(1, 15))

Target = Literal["add", "sub", "mul", "div", "pow", "tanh", "sigmoid", "exp", "log", "relu", "network"]


class GradcheckSettings(LabSettings):
    target: Target = Field("tanh", description="the op (or the small network) whose gradient is checked")
    # The default is not the best epsilon (a question asks which is): the learner sweeps down from it.
    epsilon: float = Field(1e-2, ge=1e-15, le=0.1, description="finite-difference step")
    plant_bug: bool = Field(False, description="replace one local derivative with a classic mistake")
    seed: int = Field(0, ge=0, le=2**32 - 1, description="seed of the point where the gradient is checked")


# ------------------------------------------------------------------------------ targets


@dataclass(frozen=True)
class _TargetSpec:
    formula: str
    input_names: tuple[str, ...]
    sample: Callable[[random.Random], tuple[float, ...]]
    build: Callable[[Sequence[Value]], Value]
    bug_op: str  # op name of the node whose local derivative the bug replaces
    bug_text: str
    buggy_local_grads: Callable[[Value], tuple[float, ...]]


def _uniform_pair_apart(rng: random.Random) -> tuple[float, float]:
    # a and b at least 0.5 apart, so swapping them in a derivative makes a visible difference.
    while True:
        a, b = rng.uniform(-2, 2), rng.uniform(-2, 2)
        if abs(a - b) >= 0.5:
            return a, b


def _away_from_zero(rng: random.Random, low: float, high: float) -> float:
    return rng.choice((-1.0, 1.0)) * rng.uniform(low, high)


def _child(node: Value, index: int = 0) -> float:
    return node.children[index].data


# Network: 2 inputs -> 3 tanh units -> 1 tanh output, squared error against a target.
_NETWORK_HIDDEN = 3
_NETWORK_PARAMETERS = tuple(
    [f"w{unit}{i}" for unit in range(1, _NETWORK_HIDDEN + 1) for i in (1, 2)]
    + [f"b{unit}" for unit in range(1, _NETWORK_HIDDEN + 1)]
    + [f"v{unit}" for unit in range(1, _NETWORK_HIDDEN + 1)]
    + ["c"]
)


def _network_sample(rng: random.Random) -> tuple[float, ...]:
    return tuple(rng.uniform(-1, 1) for _ in _NETWORK_PARAMETERS)


def _network_point(seed: int) -> tuple[float, float, float]:
    """The fixed sample (x1, x2, target) the network's loss is measured on."""
    rng = random.Random(seed + 1_000_003)
    return rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(-0.5, 0.5)


def _network_builder(seed: int) -> Callable[[Sequence[Value]], Value]:
    x1, x2, target = _network_point(seed)

    def build(parameters: Sequence[Value]) -> Value:
        h = _NETWORK_HIDDEN
        weights, biases, output_weights, output_bias = parameters[: 2 * h], parameters[2 * h : 3 * h], parameters[3 * h : 4 * h], parameters[4 * h]
        hidden = [(dot((x1, x2), weights[2 * unit : 2 * unit + 2]) + biases[unit]).tanh() for unit in range(h)]
        prediction = (dot(hidden, output_weights) + output_bias).tanh()
        return (prediction - target) ** 2

    return build


_OP_TARGETS: dict[str, _TargetSpec] = {
    "add": _TargetSpec("f(a, b) = a + b", ("a", "b"), _uniform_pair_apart, lambda v: v[0] + v[1], "add",
                       "forgot the second input: d/db = 0", lambda node: (1.0, 0.0)),
    "sub": _TargetSpec("f(a, b) = a - b", ("a", "b"), _uniform_pair_apart, lambda v: v[0] - v[1], "sub",
                       "lost the minus sign: d/db = +1", lambda node: (1.0, 1.0)),
    "mul": _TargetSpec("f(a, b) = a * b", ("a", "b"), _uniform_pair_apart, lambda v: v[0] * v[1], "mul",
                       "swapped the partials: d/da = a, d/db = b", lambda node: (_child(node, 0), _child(node, 1))),
    "div": _TargetSpec("f(a, b) = a / b", ("a", "b"),
                       lambda rng: (_away_from_zero(rng, 0.5, 2.0), rng.uniform(0.5, 2.0)),
                       lambda v: v[0] / v[1], "div",
                       "lost the minus sign: d/db = +a/b^2",
                       lambda node: (1.0 / _child(node, 1), _child(node, 0) / _child(node, 1) ** 2)),
    "pow": _TargetSpec("f(x) = x^3", ("x",), lambda rng: (rng.uniform(1.5, 2.5),), lambda v: v[0] ** 3, "pow",
                       "kept the exponent: d/dx = 3x^3", lambda node: (3.0 * _child(node) ** 3,)),
    "tanh": _TargetSpec("f(x) = tanh(x)", ("x",), lambda rng: (_away_from_zero(rng, 0.3, 2.0),), lambda v: v[0].tanh(),
                        "tanh", "tanh' = 1 - t instead of 1 - t^2", lambda node: (1.0 - node.data,)),
    "sigmoid": _TargetSpec("f(z) = sigmoid(z)", ("z",), lambda rng: (_away_from_zero(rng, 1.0, 3.0),),
                           lambda v: v[0].sigmoid(), "sigmoid",
                           "used the input: z(1 - z) instead of s(1 - s)",
                           lambda node: (_child(node) * (1.0 - _child(node)),)),
    "exp": _TargetSpec("f(x) = exp(x)", ("x",), lambda rng: (rng.uniform(-2, 2),), lambda v: v[0].exp(), "exp",
                       "power rule on e^x: x * e^(x-1)", lambda node: (_child(node) * math.exp(_child(node) - 1.0),)),
    "log": _TargetSpec("f(x) = log(x)", ("x",), lambda rng: (rng.uniform(0.5, 2.0),), lambda v: v[0].log(), "log",
                       "differentiated once too often: -1/x^2", lambda node: (-1.0 / _child(node) ** 2,)),
    "relu": _TargetSpec("f(x) = relu(x)", ("x",), lambda rng: (-rng.uniform(0.5, 2.0),), lambda v: v[0].relu(), "relu",
                        "forgot the gate: slope 1 even for negative x", lambda node: (1.0,)),
}

TARGETS: tuple[str, ...] = (*_OP_TARGETS, "network")


def _target_spec(target: str, seed: int) -> _TargetSpec:
    if target == "network":
        return _TargetSpec(
            "L = (tanh(v . tanh(W x + b) + c) - t)^2, a 2-3-1 tanh network on one sample",
            _NETWORK_PARAMETERS, _network_sample, _network_builder(seed), "tanh",
            "one hidden unit's tanh' = 1 - t instead of 1 - t^2", lambda node: (1.0 - node.data,),
        )
    return _OP_TARGETS[target]


def _node_to_corrupt(output: Value, op: str) -> Value:
    """The node of kind ``op`` where a wrong slope shows most (for tanh: the one farthest from 0)."""
    candidates = [node for node in output.topological_order() if node.op == op]
    return max(candidates, key=lambda node: abs(node.data))


# ------------------------------------------------------------------------------ checking


@dataclass(frozen=True)
class GradientComparison:
    name: str
    value: float
    analytic: float
    numerical: float
    relative_error: float


@dataclass(frozen=True)
class GradcheckResult:
    settings: GradcheckSettings
    formula: str
    bug_text: str  # the planted mistake ("" when plant_bug is off)
    output: float
    comparisons: tuple[GradientComparison, ...]

    @property
    def max_relative_error(self) -> float:
        return max(comparison.relative_error for comparison in self.comparisons)

    @property
    def verdict(self) -> Literal["agree", "imprecise", "wrong"]:
        error = self.max_relative_error
        if error < AGREEMENT_THRESHOLD:
            return "agree"
        return "imprecise" if error < WRONG_THRESHOLD else "wrong"

    def as_dict(self) -> dict[str, Any]:
        return {
            "settings": self.settings.model_dump(),
            "formula": self.formula,
            "bug": self.bug_text,
            "output": self.output,
            "comparisons": [vars(comparison) for comparison in self.comparisons],
            "max_relative_error": self.max_relative_error,
            "verdict": self.verdict,
        }


def check_point(settings: GradcheckSettings) -> tuple[float, ...]:
    """The input values the check uses (deterministic for the seed)."""
    return _target_spec(settings.target, settings.seed).sample(random.Random(settings.seed))


def gradient_check(settings: GradcheckSettings) -> GradcheckResult:
    spec = _target_spec(settings.target, settings.seed)
    point = check_point(settings)
    inputs = [Value(value, label=name) for name, value in zip(spec.input_names, point)]
    output = spec.build(inputs)
    if settings.plant_bug:
        node = _node_to_corrupt(output, spec.bug_op)
        node.local_grads = spec.buggy_local_grads(node)
    output.backward()

    def evaluate(values: Sequence[float]) -> float:
        return spec.build([Value(value) for value in values]).data

    epsilon = settings.epsilon
    comparisons = []
    for index, (name, value, leaf) in enumerate(zip(spec.input_names, point, inputs)):
        above = list(point)
        below = list(point)
        above[index] = value + epsilon
        below[index] = value - epsilon
        numerical = (evaluate(above) - evaluate(below)) / (2.0 * epsilon)
        comparisons.append(GradientComparison(name, value, leaf.grad, numerical, relative_error(leaf.grad, numerical)))
    return GradcheckResult(settings, spec.formula, spec.bug_text if settings.plant_bug else "", output.data, tuple(comparisons))


@functools.lru_cache(maxsize=256)
def _cached_gradient_check(settings: GradcheckSettings) -> GradcheckResult:
    return gradient_check(settings)


def epsilon_sweep(settings: GradcheckSettings, epsilons: Sequence[float] = SWEEP_EPSILONS) -> tuple[tuple[float, float], ...]:
    """(epsilon, max relative error) for each epsilon, largest epsilon first."""
    return tuple(
        (epsilon, _cached_gradient_check(settings.model_copy(update={"epsilon": epsilon})).max_relative_error)
        for epsilon in epsilons
    )


def best_epsilon(sweep: Sequence[tuple[float, float]]) -> float:
    return min(sweep, key=lambda pair: pair[1])[0]


class GradcheckLab:
    """Pick a target, an epsilon and the bug switch with :meth:`configure`; read :meth:`result` and :meth:`sweep`."""

    name: ClassVar[str] = "gradcheck"
    title: ClassVar[str] = "Check a gradient numerically"
    Settings: ClassVar[type[GradcheckSettings]] = GradcheckSettings

    def __init__(self, settings: Mapping[str, Any] | GradcheckSettings | None = None) -> None:
        self._settings = validate_settings(self.name, GradcheckSettings, settings)

    @property
    def settings(self) -> GradcheckSettings:
        return self._settings

    def configure(self, **changes: Any) -> None:
        self._settings = updated_settings(self.name, self._settings, changes)

    def reset(self) -> None:
        """Nothing to reset: results are pure functions of the settings."""

    def result(self) -> GradcheckResult:
        return _cached_gradient_check(self._settings)

    def sweep(self) -> tuple[tuple[float, float], ...]:
        return epsilon_sweep(self._settings)

    def snapshot(self) -> dict[str, Any]:
        return {"lab": self.name, **self.result().as_dict(), "sweep": [list(pair) for pair in self.sweep()]}

    def questions(self) -> tuple[LabQuestion, ...]:
        return gradcheck_questions()


QUESTION_SETTINGS = GradcheckSettings(target="tanh", seed=0, epsilon=1e-5)  # a good epsilon: the bug, not the step, is the error
QUESTION_EPSILONS = {"large": 1e-1, "middle": 1e-5, "tiny": 1e-12}


@functools.lru_cache(maxsize=1)
def gradcheck_questions() -> tuple[LabQuestion, ...]:
    (x,) = check_point(QUESTION_SETTINGS)
    sweep = epsilon_sweep(QUESTION_SETTINGS, tuple(QUESTION_EPSILONS.values()))
    best = best_epsilon(sweep)
    best_option = next(option for option, epsilon in QUESTION_EPSILONS.items() if epsilon == best)
    buggy = _cached_gradient_check(QUESTION_SETTINGS.model_copy(update={"plant_bug": True}))
    return (
        LabQuestion(
            id="gradcheck.best-epsilon",
            text=f"Checking tanh at x = {x:.4f} (seed {QUESTION_SETTINGS.seed}): which epsilon gives the smallest relative error?",
            kind="choice",
            expected=best_option,
            options=tuple(QuestionOption(option, f"{epsilon:g}") for option, epsilon in QUESTION_EPSILONS.items()),
            explanation=(
                "A large step is hurt by truncation (the curve bends inside the step); a tiny one by rounding "
                "(f(x+eps) and f(x-eps) agree in almost every stored digit). The floor lies in between."
            ),
            settings=QUESTION_SETTINGS.model_dump(exclude={"epsilon"}),
        ),
        LabQuestion(
            id="gradcheck.bug-error",
            text=(
                f"Plant the bug in tanh ({buggy.bug_text}) and check at x = {x:.4f} with epsilon "
                f"{QUESTION_SETTINGS.epsilon:g}. What relative error does the check report (3 significant digits)?"
            ),
            kind="numeric",
            expected=format_expected(buggy.max_relative_error, 3),
            tolerance=last_digit_tolerance(buggy.max_relative_error, 3),
            explanation="Far above 1e-2: a wrong local derivative, not a numerical wobble.",
            settings=buggy.settings.model_dump(),
        ),
    )


__all__ = [
    "AGREEMENT_THRESHOLD", "GradcheckLab", "GradcheckResult", "GradcheckSettings", "GradientComparison", "SWEEP_EPSILONS",
    "TARGETS", "WRONG_THRESHOLD", "best_epsilon", "check_point", "epsilon_sweep", "gradient_check",
]
