"""Gradient-flow lab: per-parameter gradient statistics of a 784-256-128-10 network (Exercise 5).

The reference module's exercise builds ``Linear(784, 256) -> ReLU -> Linear(256, 128) -> ReLU ->
Linear(128, 10)``, feeds it one random batch of 32 (inputs from N(0, 1), classes 0-9), takes the
cross-entropy, runs one backward pass and plots three bar charts on a log axis, one bar per
parameter: the mean of |grad|, the standard deviation of grad and the max of |grad|. This lab
does the same on :mod:`tutor.engine.tensor`, and adds switches to answer the exercise's questions
("more layers? sigmoid instead of ReLU? BatchNorm?") and to reproduce each row of the module's
table of patterns:

=========================== ============================ ==========================================
pattern                     what the bars show           made here by
=========================== ============================ ==========================================
vanishing                   first layer ≥ 100× smaller   sigmoid, or many extra ReLU layers
                            than the output layer
exploding                   first layer ≥ 100× larger    ReLU, batch-norm, 30 extra layers
dead neurons                units whose gradient is      a negative bias shift (ReLU)
                            exactly 0 for the batch
NaN                         a gradient is not a number   naive softmax (log of exp / sum exp) with
                                                         large weights: exp underflows, log(0)
=========================== ============================ ==========================================

Network. Hidden sizes 256, 128, then ``extra_layers`` more of 128, then the 10-way output
layer. Each hidden layer is ``h @ W + b``, or with batch-norm ``BN(h @ W)`` (training mode, γ = 1,
β = 0, both trained parameters; β takes the bias's place), then the activation. Weights and biases start uniform in
±1/sqrt(fan_in) (PyTorch's default for ``nn.Linear``) times ``weight_scale``; ``bias_shift`` is
added to every hidden bias.

Random numbers. The batch comes from ``numpy.random.default_rng([seed, 0])`` and hidden layer k
from ``default_rng([seed, 1, k])``, the output layer from its own stream, so adding layers only
inserts layers: the batch, the first layers and the output layer stay the same numbers.

One recompute (a forward and a backward pass) takes a few milliseconds; it is cached per settings.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field

from tutor.engine.tensor import Tensor, batch_norm, cross_entropy
from tutor.labs.base import (
    LabQuestion,
    LabSettings,
    QuestionOption,
    format_expected,
    updated_settings,
    validate_settings,
)

INPUT_FEATURES = 784
HIDDEN_SIZES = (256, 128)
EXTRA_WIDTH = 128
CLASSES = 10
BATCH_SIZE = 32
MAX_EXTRA_LAYERS = 30
OUTPUT_STREAM = 10_000  # the output layer's random stream, the same for every depth
PATTERN_RATIO = 100.0  # the module's table: "100x larger in early layers"
DEAD_FRACTION = 0.5  # a hidden layer with at least this share of dead units shows the dead pattern

Activation = Literal["relu", "sigmoid"]
Softmax = Literal["log-sum-exp", "naive"]
Pattern = Literal["healthy", "vanishing", "exploding", "dead", "nan"]

PATTERNS: dict[str, str] = {
    "healthy": "no pattern: first and output layer within 100× of each other",
    "vanishing": "vanishing gradients: near 0 in the early layers",
    "exploding": "exploding gradients: 100× larger in the early layers",
    "dead": "dead neurons: some parameters' gradients exactly 0",
    "nan": "NaN gradients: numerical instability",
}
PATTERN_ACTIONS: dict[str, str] = {
    "healthy": "nothing to fix",
    "vanishing": "change the activation, add batch-norm or skip connections",
    "exploding": "clip the gradients, lower the learning rate, fewer layers",
    "dead": "leaky ReLU, or check the initialisation (no large negative biases)",
    "nan": "look for log(0) and division by 0 (a stable log-sum-exp)",
}


class GradientFlowSettings(LabSettings):
    activation: Activation = Field("relu", description="nonlinearity after every hidden layer")
    extra_layers: int = Field(0, ge=0, le=MAX_EXTRA_LAYERS, description="extra hidden layers of 128 before the output")
    batch_norm: bool = Field(False, description="batch-normalise every hidden layer before its activation")
    weight_scale: float = Field(1.0, gt=0, le=1000, description="multiplies PyTorch's default initial weights")
    bias_shift: float = Field(0.0, ge=-10, le=10, description="added to every hidden layer's initial bias")
    softmax: Softmax = Field("log-sum-exp", description="how the loss takes log(softmax): stable, or log(exp/sum exp)")
    parameters: Literal["weights", "all"] = Field("weights", description="bars for the weight matrices only, or all")
    seed: int = Field(0, ge=0, le=2**32 - 1, description="seed of the batch and the initial weights")


@dataclass(frozen=True)
class ParameterStats:
    name: str  # "fc1.weight", "fc1.bias", "bn1.weight" (γ), "bn1.bias" (β), ...
    layer: int  # 1-based, the input side first; the output layer is the last
    kind: Literal["weight", "bias", "bn-gamma", "bn-beta"]
    shape: tuple[int, ...]
    mean_abs: float  # mean of |grad|
    std: float  # standard deviation of grad (numpy's, over every entry), as the module's code takes it
    max_abs: float  # max of |grad|
    zero_fraction: float  # share of entries whose gradient is exactly 0

    @property
    def finite(self) -> bool:
        return all(math.isfinite(value) for value in (self.mean_abs, self.std, self.max_abs))


@dataclass(frozen=True)
class GradientFlowResult:
    settings: GradientFlowSettings
    loss: float
    parameters: tuple[ParameterStats, ...]  # every parameter, in the network's order
    dead_units: tuple[int, ...]  # per hidden layer: units that output 0 for every example
    hidden_widths: tuple[int, ...]

    @property
    def weights(self) -> tuple[ParameterStats, ...]:
        return tuple(stats for stats in self.parameters if stats.kind == "weight")

    @property
    def shown(self) -> tuple[ParameterStats, ...]:
        """The bars the settings ask for."""
        return self.weights if self.settings.parameters == "weights" else self.parameters

    @property
    def finite(self) -> bool:
        return math.isfinite(self.loss) and all(stats.finite for stats in self.parameters)

    @property
    def first_to_last(self) -> float:
        """mean|grad| of the first weight matrix over that of the output layer's (inf/nan possible)."""
        first, last = self.weights[0].mean_abs, self.weights[-1].mean_abs
        if last == 0.0:
            return math.inf if first > 0 else math.nan
        return first / last

    @property
    def dead_fractions(self) -> tuple[float, ...]:
        return tuple(dead / width for dead, width in zip(self.dead_units, self.hidden_widths))

    def patterns(self) -> tuple[Pattern, ...]:
        """Every row of the module's table the bars show: NaN alone, else dead, exploding, vanishing, or healthy.

        Two can show at once: a deep ReLU stack at PyTorch's default init has half its deep units
        dead (their bias outweighs their input) *and* a vanishing first layer.
        """
        if not self.finite:
            return ("nan",)
        found: list[Pattern] = []
        if any(fraction >= DEAD_FRACTION for fraction in self.dead_fractions) or self.weights[-1].mean_abs == 0.0:
            found.append("dead")
        ratio = self.first_to_last
        if math.isfinite(ratio) and ratio >= PATTERN_RATIO:
            found.append("exploding")
        elif math.isfinite(ratio) and ratio <= 1.0 / PATTERN_RATIO:
            found.append("vanishing")
        return tuple(found) or ("healthy",)

    def pattern(self) -> Pattern:
        """The first of :meth:`patterns`."""
        return self.patterns()[0]

    def as_dict(self) -> dict[str, Any]:
        return {
            "settings": self.settings.model_dump(),
            "loss": self.loss,
            "parameters": [vars(stats) | {"shape": list(stats.shape)} for stats in self.parameters],
            "shown": [stats.name for stats in self.shown],
            "dead_units": list(self.dead_units),
            "hidden_widths": list(self.hidden_widths),
            "first_to_last": self.first_to_last,
            "pattern": self.pattern(),
            "patterns": list(self.patterns()),
            "pattern_text": PATTERNS[self.pattern()],
            "action": PATTERN_ACTIONS[self.pattern()],
        }


def layer_sizes(settings: GradientFlowSettings) -> tuple[int, ...]:
    return (INPUT_FEATURES, *HIDDEN_SIZES, *(EXTRA_WIDTH,) * settings.extra_layers, CLASSES)


def batch(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The random batch: 32 inputs from N(0, 1) and 32 classes from 0-9."""
    rng = np.random.default_rng([seed, 0])
    return rng.standard_normal((BATCH_SIZE, INPUT_FEATURES)), rng.integers(0, CLASSES, BATCH_SIZE)


def initial_layer(settings: GradientFlowSettings, index: int, fan_in: int, fan_out: int, output: bool) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng([settings.seed, 1, OUTPUT_STREAM if output else index])
    bound = 1.0 / math.sqrt(fan_in)
    weight = rng.uniform(-bound, bound, (fan_in, fan_out)) * settings.weight_scale
    bias = rng.uniform(-bound, bound, (1, fan_out)) * settings.weight_scale
    if not output:
        bias = bias + settings.bias_shift
    return weight, bias


def naive_cross_entropy(logits: Tensor, classes: np.ndarray) -> Tensor:
    """-mean(log(softmax)) written out: exp, divide by the row sums, log, pick each row's class.

    Correct on paper, unstable in floating point: a logit 750 below its row's largest makes its
    probability exactly 0, the log of it -inf, and -inf times the one-hot's 0 is NaN.
    """
    rows, columns = logits.shape
    exps = logits.exp()
    probabilities = exps / exps.sum(axis=1).reshape(rows, 1)
    one_hot = np.zeros((rows, columns))
    one_hot[np.arange(rows), classes] = 1.0
    return -((probabilities.log() * one_hot).sum()) * (1.0 / rows)


def _stats(name: str, layer: int, kind: Any, grad: np.ndarray) -> ParameterStats:
    with np.errstate(invalid="ignore", over="ignore"):
        magnitude = np.abs(grad)
        return ParameterStats(
            name, layer, kind, tuple(grad.shape),
            mean_abs=float(magnitude.mean()), std=float(grad.std()), max_abs=float(magnitude.max()),
            zero_fraction=float(np.mean(grad == 0.0)),
        )


def gradient_flow(settings: GradientFlowSettings) -> GradientFlowResult:
    """One forward and backward pass of the batch; the statistics of every parameter's gradient."""
    inputs, classes = batch(settings.seed)
    sizes = layer_sizes(settings)
    last = len(sizes) - 2
    hidden = Tensor(inputs)
    named: list[tuple[str, int, str, Tensor]] = []
    activations: list[np.ndarray] = []
    with np.errstate(all="ignore"):
        for index, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:])):
            layer = index + 1
            output = index == last
            weight_data, bias_data = initial_layer(settings, index, fan_in, fan_out, output)
            weight = Tensor(weight_data, label=f"fc{layer}.weight")
            named.append((f"fc{layer}.weight", layer, "weight", weight))
            z = hidden @ weight
            # A bias just before a batch-norm is cancelled by its mean subtraction (its gradient is 0 up
            # to rounding noise), so such layers have none, as written in practice (bias=False).
            if output or not settings.batch_norm:
                bias = Tensor(bias_data, label=f"fc{layer}.bias")
                named.append((f"fc{layer}.bias", layer, "bias", bias))
                z = z + bias
            if output:
                hidden = z
                break
            if settings.batch_norm:
                gamma, beta = Tensor(np.ones((1, fan_out))), Tensor(np.zeros((1, fan_out)))
                named += [(f"bn{layer}.weight", layer, "bn-gamma", gamma), (f"bn{layer}.bias", layer, "bn-beta", beta)]
                z = batch_norm(z, gamma, beta)
            hidden = z.relu() if settings.activation == "relu" else z.sigmoid()
            activations.append(hidden.data)
        if settings.softmax == "naive":
            loss = naive_cross_entropy(hidden, classes)
        else:
            loss = cross_entropy(hidden, classes)
        loss.backward()
        stats = tuple(_stats(name, layer, kind, tensor.grad) for name, layer, kind, tensor in named)
    dead = tuple(int(np.sum(np.all(values == 0.0, axis=0))) for values in activations)
    return GradientFlowResult(settings, float(loss.data), stats, dead, tuple(sizes[1:-1]))


@functools.lru_cache(maxsize=128)
def cached_gradient_flow(settings: GradientFlowSettings) -> GradientFlowResult:
    return gradient_flow(settings)


class GradientFlowLab:
    """Change settings with :meth:`configure`; :meth:`result` is a pure function of them (cached)."""

    name: ClassVar[str] = "gradient-flow"
    title: ClassVar[str] = "Gradient flow through a 784-256-128-10 network"
    Settings: ClassVar[type[GradientFlowSettings]] = GradientFlowSettings

    def __init__(self, settings: Mapping[str, Any] | GradientFlowSettings | None = None) -> None:
        self._settings = validate_settings(self.name, GradientFlowSettings, settings)

    @property
    def settings(self) -> GradientFlowSettings:
        return self._settings

    def configure(self, **changes: Any) -> None:
        self._settings = updated_settings(self.name, self._settings, changes)

    def reset(self) -> None:
        """Nothing to reset: the result is a pure function of the settings."""

    def result(self) -> GradientFlowResult:
        return cached_gradient_flow(self._settings)

    def snapshot(self) -> dict[str, Any]:
        return {"lab": self.name, **self.result().as_dict()}

    def questions(self) -> tuple[LabQuestion, ...]:
        return gradient_flow_questions()


# ------------------------------------------------------------------------------------ questions

DEFAULTS = GradientFlowSettings()
MORE_LAYERS = 8
# One configuration per row of the module's table (each checked by the tests to show its row).
PATTERN_SETTINGS: dict[str, dict[str, Any]] = {
    "vanishing": {"activation": "sigmoid", "extra_layers": 3},
    "exploding": {"activation": "relu", "batch_norm": True, "extra_layers": 30},
    "dead": {"activation": "relu", "bias_shift": -0.5},
    "nan": {"activation": "relu", "weight_scale": 20.0, "softmax": "naive"},
}
PATTERN_WORDS = {
    "vanishing": "sigmoid with 3 extra layers",
    "exploding": "ReLU, batch-norm on, 30 extra layers",
    "dead": "ReLU with every hidden bias shifted by -0.5",
    "nan": "ReLU, weight scale 20 and the naive softmax",
}


def result_for(**changes: Any) -> GradientFlowResult:
    return cached_gradient_flow(DEFAULTS.model_copy(update=changes))


def _change_options() -> tuple[QuestionOption, ...]:
    return (
        QuestionOption("shrinks", "the first layer's mean |grad| shrinks more than 10×"),
        QuestionOption("same", "it stays within 10× of what it was"),
        QuestionOption("grows", "it grows more than 10×"),
    )


def change_word(before: float, after: float) -> str:
    ratio = after / before
    if ratio < 0.1:
        return "shrinks"
    if ratio > 10.0:
        return "grows"
    return "same"


def _gap_options() -> tuple[QuestionOption, ...]:
    return (
        QuestionOption("similar", "similar: within 10× of each other"),
        QuestionOption("apart", "10× to 100× apart"),
        QuestionOption("wild", "wildly different: more than 100× apart"),
    )


def gap_word(ratio: float) -> str:
    spread = max(ratio, 1.0 / ratio) if ratio > 0 else math.inf
    if spread <= 10.0:
        return "similar"
    if spread <= 100.0:
        return "apart"
    return "wild"


@functools.lru_cache(maxsize=1)
def gradient_flow_questions() -> tuple[LabQuestion, ...]:
    """The module's four questions after running, then one per row of its table of patterns."""
    base = result_for()
    deeper = result_for(extra_layers=MORE_LAYERS)
    sigmoid = result_for(activation="sigmoid")
    sigmoid_deep = result_for(activation="sigmoid", extra_layers=MORE_LAYERS)
    sigmoid_deep_bn = result_for(activation="sigmoid", extra_layers=MORE_LAYERS, batch_norm=True)
    questions = [
        LabQuestion(
            id="gradient-flow.similar-across-layers",
            text=(
                "Run the exercise's network as written (ReLU, no extra layers, seed 0). How do the mean |grad| of "
                "the first layer (fc1.weight) and of the output layer (fc3.weight) compare?"
            ),
            kind="choice",
            expected=gap_word(base.first_to_last),
            options=_gap_options(),
            explanation=(
                f"fc1 {base.weights[0].mean_abs:.2g} against fc3 {base.weights[-1].mean_abs:.2g}: "
                f"a ratio of {base.first_to_last:.2g}, so three layers of ReLU pass the gradient back nearly intact."
            ),
            settings=DEFAULTS.model_dump(),
        ),
        LabQuestion(
            id="gradient-flow.more-layers",
            text=(
                f"Still ReLU: add {MORE_LAYERS} extra layers. What happens to the first layer's mean |grad| "
                "compared with the network as written?"
            ),
            kind="choice",
            expected=change_word(base.weights[0].mean_abs, deeper.weights[0].mean_abs),
            options=_change_options(),
            explanation=(
                f"It goes from {base.weights[0].mean_abs:.2g} to {deeper.weights[0].mean_abs:.2g}: PyTorch's default "
                "init scales each layer's weights by 1/sqrt(fan_in)/sqrt(3), and ReLU halves the signal's variance, "
                "so every extra layer multiplies the backward signal by about 0.4."
            ),
            settings={**DEFAULTS.model_dump(), "extra_layers": MORE_LAYERS},
        ),
        LabQuestion(
            id="gradient-flow.sigmoid-ratio",
            text=(
                "Switch ReLU to sigmoid (no extra layers). The first layer's mean |grad| divided by the output "
                "layer's: what is it, to two significant figures?"
            ),
            kind="numeric",
            expected=format_expected(float(f"{sigmoid.first_to_last:.2g}")),
            tolerance=_two_figures_tolerance(sigmoid.first_to_last),
            explanation=(
                f"About {sigmoid.first_to_last:.2g} (ReLU: {base.first_to_last:.2g}). A sigmoid's slope is at most "
                "0.25, so every sigmoid the gradient passes back through shrinks it at least 4×."
            ),
            settings={**DEFAULTS.model_dump(), "activation": "sigmoid"},
        ),
        LabQuestion(
            id="gradient-flow.batch-norm",
            text=(
                f"Sigmoid with {MORE_LAYERS} extra layers leaves the first layer with almost no gradient. Switch "
                "batch-norm on: what happens to the first layer's mean |grad|?"
            ),
            kind="choice",
            expected=change_word(sigmoid_deep.weights[0].mean_abs, sigmoid_deep_bn.weights[0].mean_abs),
            options=_change_options(),
            explanation=(
                f"It goes from {sigmoid_deep.weights[0].mean_abs:.2g} to {sigmoid_deep_bn.weights[0].mean_abs:.2g}: "
                "batch-norm rescales each layer's pre-activations to unit spread, which keeps the sigmoids in "
                "their steep middle and divides the backward signal by the same small spread."
            ),
            settings={**DEFAULTS.model_dump(), "activation": "sigmoid", "extra_layers": MORE_LAYERS, "batch_norm": True},
        ),
    ]
    options = tuple(QuestionOption(pattern, text) for pattern, text in PATTERNS.items())
    for pattern, changes in PATTERN_SETTINGS.items():
        result = result_for(**changes)
        questions.append(
            LabQuestion(
                id=f"gradient-flow.pattern-{pattern}",
                text=f"Set up {PATTERN_WORDS[pattern]}. Which row of the module's table of patterns do the bars show?",
                kind="choice",
                expected=result.pattern(),
                options=options,
                explanation=f"{PATTERNS[result.pattern()]}. What to do: {PATTERN_ACTIONS[result.pattern()]}.",
                settings={**DEFAULTS.model_dump(), **changes},
            )
        )
    return tuple(questions)


def _two_figures_tolerance(value: float) -> float:
    """Half a unit in the second significant figure (and a little), so any 2-figure rounding is right."""
    if value == 0 or not math.isfinite(value):
        return 0.0
    return 0.51 * 10.0 ** (math.floor(math.log10(abs(value))) - 1)


__all__ = [
    "GradientFlowLab", "GradientFlowResult", "GradientFlowSettings", "PATTERNS", "PATTERN_SETTINGS", "ParameterStats",
    "gradient_flow", "gradient_flow_questions", "layer_sizes", "naive_cross_entropy",
]
