"""Vanishing-gradient lab: how the gradient's size changes as it flows back through a deep stack.

The model is a stack of ``depth`` square layers of ``width`` units, no biases::

    h_0 = x                     (a batch of 8 inputs drawn from N(0, 1))
    z_l = h_{l-1} @ W_l
    h_l = act(z_l)              or, with residual connections, h_l = h_{l-1} + act(z_l)
    loss = sum(h_depth) / 8

The input and then the weights, layer by layer, come from ``numpy.random.default_rng(seed)``, so
a deeper stack with the same seed starts with exactly the layers of a shallower one. Matrices,
not scalar Values, because a 50-layer stack of 256 units has 3 million weights; the tests check
this numpy backward pass against the engine on a small stack.

Initialisations (each weight drawn from N(0, 1) and multiplied by a scale):

* ``naive``: scale 0.01 for every layer, the "small random numbers" recipe of early tutorials. It
  ignores the width, so each layer multiplies the backward signal by about
  0.01 * sqrt(width) * (activation slope); with sigmoid (slope at most 0.25) that shrinks the
  gradient at least 4x per layer (typically 25x or more) for every width up to 256.
* ``xavier``: scale sqrt(2 / (fan_in + fan_out)) = sqrt(1 / width) (Glorot), keeping the signal's
  size for activations with slope about 1 near 0.
* ``he``: scale sqrt(2 / fan_in), which makes up for ReLU zeroing half of its inputs.

The reported per-layer number is the Frobenius norm of d loss / d W_l, layer 1 nearest the input:
the bar chart of a "gradient flow" plot. For sigmoid each weight gradient passes through
``depth - l + 1`` sigmoid derivatives, each at most 0.25, so ``0.25 ** (depth - l + 1)`` bounds
that product (it ignores the weights, which can shrink or grow it further).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field

from tutor.labs.base import (
    LabQuestion,
    LabSettings,
    QuestionOption,
    updated_settings,
    validate_settings,
)

BATCH_SIZE = 8
MAX_DEPTH = 50
NAIVE_SCALE = 0.01
LEAKY_SLOPE = 0.01
SIGMOID_SLOPE_BOUND = 0.25

Activation = Literal["sigmoid", "tanh", "relu", "leaky_relu"]
Initialisation = Literal["naive", "xavier", "he"]


class VanishingSettings(LabSettings):
    depth: int = Field(10, ge=1, le=MAX_DEPTH, description="number of layers")
    width: int = Field(16, ge=1, le=256, description="units per layer")
    activation: Activation = Field("sigmoid", description="nonlinearity after every layer")
    init: Initialisation = Field("naive", description="how the weights are scaled")
    residual: bool = Field(False, description="add each layer's input to its output (skip connections)")
    seed: int = Field(0, ge=0, le=2**32 - 1, description="seed of the inputs and weights")


def _activate(activation: str, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Activation values and their derivatives with respect to z."""
    if activation == "sigmoid":
        # 1/(1+exp(-z)) written through tanh so large |z| cannot overflow exp.
        s = 0.5 * (1.0 + np.tanh(0.5 * z))
        return s, s * (1.0 - s)
    if activation == "tanh":
        t = np.tanh(z)
        return t, 1.0 - t * t
    if activation == "relu":
        return np.maximum(z, 0.0), (z > 0.0).astype(float)
    if activation == "leaky_relu":
        return np.where(z > 0.0, z, LEAKY_SLOPE * z), np.where(z > 0.0, 1.0, LEAKY_SLOPE)
    raise ValueError(f"unknown activation {activation!r}")


def init_scale(init: str, width: int) -> float:
    if init == "naive":
        return NAIVE_SCALE
    if init == "xavier":
        return float(np.sqrt(2.0 / (width + width)))
    if init == "he":
        return float(np.sqrt(2.0 / width))
    raise ValueError(f"unknown initialisation {init!r}")


def activation_slope_bound(activation: str) -> float:
    """The largest the activation's derivative can be (sigmoid 0.25, the others 1)."""
    return SIGMOID_SLOPE_BOUND if activation == "sigmoid" else 1.0


def stack_parameters(settings: VanishingSettings) -> tuple[np.ndarray, list[np.ndarray]]:
    """The input batch and the weight matrices, drawn in that order from the seed."""
    rng = np.random.default_rng(settings.seed)
    inputs = rng.standard_normal((BATCH_SIZE, settings.width))
    scale = init_scale(settings.init, settings.width)
    weights = [rng.standard_normal((settings.width, settings.width)) * scale for _ in range(settings.depth)]
    return inputs, weights


@dataclass(frozen=True)
class VanishingResult:
    settings: VanishingSettings
    weight_gradient_norms: tuple[float, ...]  # ||d loss / d W_l||, l = 1 (input side) .. depth
    output_gradient_norms: tuple[float, ...]  # ||d loss / d h_l||, same order
    derivative_bounds: tuple[float, ...]  # slope_bound ** (depth - l + 1): sigmoid's 0.25^k bound per layer
    loss: float

    @property
    def first_layer_gradient(self) -> float:
        return self.weight_gradient_norms[0]

    @property
    def sigmoid_bound(self) -> float:
        """0.25 ** depth: the most that ``depth`` sigmoid derivatives in a row can multiply to."""
        return SIGMOID_SLOPE_BOUND ** self.settings.depth

    def shrink_factors(self) -> tuple[float, ...]:
        """norm(layer l+1) / norm(layer l): how much smaller each layer's gradient is than the next one's."""
        norms = self.weight_gradient_norms
        return tuple(
            (upper / lower) if lower > 0.0 else float("inf") for lower, upper in zip(norms, norms[1:])
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "settings": self.settings.model_dump(),
            "weight_gradient_norms": list(self.weight_gradient_norms),
            "output_gradient_norms": list(self.output_gradient_norms),
            "derivative_bounds": list(self.derivative_bounds),
            "sigmoid_bound": self.sigmoid_bound,
            "shrink_factors": list(self.shrink_factors()),
            "loss": self.loss,
        }


def gradient_norms(settings: VanishingSettings) -> VanishingResult:
    """Forward the batch through the stack, backpropagate, and measure each layer's gradient."""
    inputs, weights = stack_parameters(settings)
    layer_inputs: list[np.ndarray] = []
    slopes: list[np.ndarray] = []
    hidden = inputs
    for weight in weights:
        layer_inputs.append(hidden)
        activated, slope = _activate(settings.activation, hidden @ weight)
        slopes.append(slope)
        hidden = hidden + activated if settings.residual else activated
    loss = float(hidden.sum() / BATCH_SIZE)

    upstream = np.full_like(hidden, 1.0 / BATCH_SIZE)  # d loss / d h_depth
    weight_norms: list[float] = []
    output_norms: list[float] = []
    for layer_input, slope, weight in zip(reversed(layer_inputs), reversed(slopes), reversed(weights)):
        output_norms.append(float(np.linalg.norm(upstream)))
        pre_activation_grad = upstream * slope
        weight_norms.append(float(np.linalg.norm(layer_input.T @ pre_activation_grad)))
        through_layer = pre_activation_grad @ weight.T
        upstream = upstream + through_layer if settings.residual else through_layer
    bound = activation_slope_bound(settings.activation)
    depth = settings.depth
    return VanishingResult(
        settings=settings,
        weight_gradient_norms=tuple(reversed(weight_norms)),
        output_gradient_norms=tuple(reversed(output_norms)),
        derivative_bounds=tuple(bound ** (depth - layer + 1) for layer in range(1, depth + 1)),
        loss=loss,
    )


@functools.lru_cache(maxsize=256)
def _cached_gradient_norms(settings: VanishingSettings) -> VanishingResult:
    return gradient_norms(settings)


def depth_where_first_layer_gradient_falls_below(threshold: float, settings: VanishingSettings) -> int | None:
    """Smallest depth (1-50) whose first-layer gradient norm is below ``threshold``; None if none is."""
    for depth in range(1, MAX_DEPTH + 1):
        result = _cached_gradient_norms(settings.model_copy(update={"depth": depth}))
        if result.first_layer_gradient < threshold:
            return depth
    return None


class VanishingLab:
    """Change settings with :meth:`configure`; read the bars from :meth:`result` (cheap, cached)."""

    name: ClassVar[str] = "vanishing"
    title: ClassVar[str] = "Watch gradients vanish"
    Settings: ClassVar[type[VanishingSettings]] = VanishingSettings

    def __init__(self, settings: Mapping[str, Any] | VanishingSettings | None = None) -> None:
        self._settings = validate_settings(self.name, VanishingSettings, settings)

    @property
    def settings(self) -> VanishingSettings:
        return self._settings

    def configure(self, **changes: Any) -> None:
        self._settings = updated_settings(self.name, self._settings, changes)

    def reset(self) -> None:
        """Nothing to reset: the result is a pure function of the settings."""

    def result(self) -> VanishingResult:
        return _cached_gradient_norms(self._settings)

    def snapshot(self) -> dict[str, Any]:
        return {"lab": self.name, **self.result().as_dict()}

    def questions(self) -> tuple[LabQuestion, ...]:
        return vanishing_questions()


QUESTION_THRESHOLD = 1e-6
QUESTION_SETTINGS = VanishingSettings(activation="sigmoid", init="xavier", width=16, seed=0, residual=False)
REMEDY_DEPTH = 30
REMEDIES: dict[str, tuple[str, dict[str, Any]]] = {
    "residual": ("add residual connections", {"residual": True}),
    "naive": ("switch to naive init (0.01 * N(0, 1))", {"init": "naive"}),
    "he": ("switch to He init", {"init": "he"}),
}


def remedy_first_layer_gradients() -> dict[str, float]:
    """First-layer gradient norm of the 30-layer sigmoid/Xavier stack under each single change."""
    base = QUESTION_SETTINGS.model_copy(update={"depth": REMEDY_DEPTH})
    return {
        option: _cached_gradient_norms(base.model_copy(update=change)).first_layer_gradient
        for option, (_, change) in REMEDIES.items()
    }


@functools.lru_cache(maxsize=1)
def vanishing_questions() -> tuple[LabQuestion, ...]:
    settings_text = (
        f"sigmoid, {QUESTION_SETTINGS.init} init, width {QUESTION_SETTINGS.width}, seed {QUESTION_SETTINGS.seed}, "
        "no residual connections"
    )
    depth = depth_where_first_layer_gradient_falls_below(QUESTION_THRESHOLD, QUESTION_SETTINGS)
    bound_depth = 10
    questions = []
    if depth is not None:
        questions.append(
            LabQuestion(
                id="vanishing.depth-below-1e-6",
                text=(
                    f"With {settings_text}: at what depth does the first layer's gradient norm first fall "
                    f"below {QUESTION_THRESHOLD:g}?"
                ),
                kind="numeric",
                expected=str(depth),
                tolerance=0.0,
                explanation="Raise the depth one layer at a time and watch the leftmost bar.",
                settings=QUESTION_SETTINGS.model_dump(exclude={"depth"}),
            )
        )
    questions.append(
        LabQuestion(
            id="vanishing.sigmoid-bound",
            text=(
                f"The sigmoid's slope is never more than {SIGMOID_SLOPE_BOUND}. What is the largest value the product "
                f"of {bound_depth} sigmoid slopes in a row can take?"
            ),
            kind="numeric",
            expected=f"{SIGMOID_SLOPE_BOUND}^{bound_depth}",
            tolerance=1e-12,
            explanation="Each layer multiplies by at most 0.25, so ten layers multiply by at most 0.25^10, about 1e-6.",
            settings={"activation": "sigmoid", "depth": bound_depth},
        )
    )
    gradients = remedy_first_layer_gradients()
    best = max(gradients, key=gradients.__getitem__)
    questions.append(
        LabQuestion(
            id="vanishing.best-remedy",
            text=(
                f"A {REMEDY_DEPTH}-layer stack with {settings_text}: which single change leaves the first layer "
                "with the largest gradient?"
            ),
            kind="choice",
            expected=best,
            options=tuple(QuestionOption(option, text) for option, (text, _) in REMEDIES.items()),
            explanation=(
                "A residual connection gives the gradient a path around every sigmoid, so it no longer has "
                f"to pass through {REMEDY_DEPTH} slopes of at most 0.25."
            ),
            settings=QUESTION_SETTINGS.model_dump(exclude={"depth"}) | {"depth": REMEDY_DEPTH},
        )
    )
    return tuple(questions)


__all__ = [
    "VanishingLab", "VanishingResult", "VanishingSettings", "depth_where_first_layer_gradient_falls_below",
    "gradient_norms", "init_scale", "remedy_first_layer_gradients", "stack_parameters",
]
