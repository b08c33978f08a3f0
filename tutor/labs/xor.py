"""XOR lab: the 2-4-1 tanh network of the reference module, trained with the project's engine.

The network: two inputs, four tanh hidden units, one tanh output. Weights are drawn uniformly
from [-1, 1] by ``random.Random(seed)`` in the module's order (hidden rows first, then the
output weights); every bias starts at 0. Training is plain gradient descent on squared error.

Two settings change what "the loss" means, and that is the point of the lab:

* ``reduction``: ``"sum"`` adds the four squared errors, ``"mean"`` averages them. With full-batch
  updates the summed loss has a gradient four times larger, so ``sum`` at learning rate 0.5
  takes exactly the steps of ``mean`` at 2.0 -- large enough that most seeds stall.
* ``update_mode``: ``"full-batch"`` makes one update per epoch from the loss over all four
  samples; ``"per-sample"`` (what the module's code does) makes four updates per epoch, one per
  sample, each from that sample's squared error. A single sample's mean and sum are the same
  number, so in per-sample mode ``reduction`` only changes how the epoch's loss is reported.

The state is a pure function of (settings, epochs trained): changing any setting resets the
network, and :meth:`XorLab.restore` rebuilds a state from those two facts.
"""

from __future__ import annotations

import functools
import math
import random
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, ClassVar, Literal

from pydantic import Field

from tutor.engine import Value, dot
from tutor.labs.base import (
    LabQuestion,
    LabSettings,
    QuestionOption,
    format_expected,
    updated_settings,
    validate_settings,
)

XOR_SAMPLES: tuple[tuple[tuple[float, float], float], ...] = (
    ((0.0, 0.0), 0.0),
    ((0.0, 1.0), 1.0),
    ((1.0, 0.0), 1.0),
    ((1.0, 1.0), 0.0),
)
HIDDEN_UNITS = 4
MAX_EPOCHS_PER_STEP = 100_000


class XorSettings(LabSettings):
    learning_rate: float = Field(0.5, gt=0, le=100, description="step size of gradient descent")
    reduction: Literal["mean", "sum"] = Field("mean", description="combine the four squared errors by mean or sum")
    seed: int = Field(0, ge=0, le=2**32 - 1, description="seed of the uniform [-1, 1] weight draw")
    update_mode: Literal["full-batch", "per-sample"] = Field(
        "full-batch", description="one update per epoch from all four samples, or one update per sample"
    )


@dataclass(frozen=True)
class XorWeights:
    """Plain floats, JSON-friendly via :func:`dataclasses.asdict`."""

    hidden_weights: tuple[tuple[float, float], ...]  # one (w_x1, w_x2) row per hidden unit
    hidden_biases: tuple[float, ...]
    output_weights: tuple[float, ...]
    output_bias: float


def initial_weights(seed: int) -> XorWeights:
    """The module's initialisation: uniform [-1, 1], hidden rows first, zero biases."""
    rng = random.Random(seed)
    hidden = tuple((rng.uniform(-1, 1), rng.uniform(-1, 1)) for _ in range(HIDDEN_UNITS))
    output = tuple(rng.uniform(-1, 1) for _ in range(HIDDEN_UNITS))
    return XorWeights(hidden, (0.0,) * HIDDEN_UNITS, output, 0.0)


class XorLab:
    """Train XOR step by step. Typical UI loop: ``configure(...)``, then ``step(50)`` in a worker.

    Public state (read-only for callers): :attr:`settings`, :attr:`epochs_trained`,
    :attr:`loss_history` (one entry per epoch, see :meth:`step`), :meth:`predictions`,
    :meth:`weights`, :meth:`current_loss`. Each epoch runs under a lock that the readers also
    take, so a screen may read while a worker thread is stepping and never sees a half update.
    """

    name: ClassVar[str] = "xor"
    title: ClassVar[str] = "Train XOR with your own engine"
    Settings: ClassVar[type[XorSettings]] = XorSettings

    def __init__(self, settings: Mapping[str, Any] | XorSettings | None = None) -> None:
        self._settings = validate_settings(self.name, XorSettings, settings)
        self._lock = threading.RLock()
        self.reset()

    # ------------------------------------------------------------------ settings and state

    @property
    def settings(self) -> XorSettings:
        return self._settings

    def configure(self, **changes: Any) -> None:
        """Apply setting changes (validated; LabSettingsError on bad ones) and start over."""
        with self._lock:
            self._settings = updated_settings(self.name, self._settings, changes)
            self.reset()

    def reset(self) -> None:
        with self._lock:
            self._reset()

    def _reset(self) -> None:
        start = initial_weights(self._settings.seed)
        self._hidden_weights = [[Value(w) for w in row] for row in start.hidden_weights]
        self._hidden_biases = [Value(b) for b in start.hidden_biases]
        self._output_weights = [Value(w) for w in start.output_weights]
        self._output_bias = Value(start.output_bias)
        self._parameters = (
            [w for row in self._hidden_weights for w in row]
            + self._hidden_biases + self._output_weights + [self._output_bias]
        )
        self._loss_history: list[float] = []

    @classmethod
    def restore(cls, settings: Mapping[str, Any] | XorSettings, epochs_trained: int) -> XorLab:
        lab = cls(settings)
        lab.step(epochs_trained)
        return lab

    @property
    def epochs_trained(self) -> int:
        with self._lock:
            return len(self._loss_history)

    @property
    def loss_history(self) -> tuple[float, ...]:
        with self._lock:
            return tuple(self._loss_history)

    # ------------------------------------------------------------------------- training

    def _forward(self, x1: float, x2: float) -> Value:
        inputs = (x1, x2)
        hidden = [(dot(inputs, row) + bias).tanh() for row, bias in zip(self._hidden_weights, self._hidden_biases)]
        return (dot(hidden, self._output_weights) + self._output_bias).tanh()

    def _reduce(self, squared_errors: list[float]) -> float:
        total = math.fsum(squared_errors)
        return total / len(squared_errors) if self._settings.reduction == "mean" else total

    def _descend(self, loss: Value) -> None:
        for parameter in self._parameters:
            parameter.grad = 0.0
        loss.backward()
        rate = self._settings.learning_rate
        for parameter in self._parameters:
            parameter.data -= rate * parameter.grad

    def step(self, epochs: int = 1) -> list[float]:
        """Train ``epochs`` more epochs; return the loss recorded for each.

        Full-batch: the recorded loss is the one whose gradient made the update (the weights
        before the update). Per-sample: the reduction of the four per-sample errors met during
        the epoch, each measured just before its own update (what the module prints).
        """
        if not isinstance(epochs, int) or isinstance(epochs, bool) or not 0 <= epochs <= MAX_EPOCHS_PER_STEP:
            raise ValueError(f"xor lab: epochs must be a whole number from 0 to {MAX_EPOCHS_PER_STEP}, got {epochs!r}")
        recorded = []
        for _ in range(epochs):
            with self._lock:
                recorded.append(self._train_one_epoch())
        return recorded

    def _train_one_epoch(self) -> float:
        if self._settings.update_mode == "full-batch":
            errors = [(self._forward(x1, x2) - target) ** 2 for (x1, x2), target in XOR_SAMPLES]
            loss = errors[0] + errors[1] + errors[2] + errors[3]
            if self._settings.reduction == "mean":
                loss = loss / len(XOR_SAMPLES)
            self._descend(loss)
            value = self._reduce([error.data for error in errors])
        else:
            seen = []
            for (x1, x2), target in XOR_SAMPLES:
                error = (self._forward(x1, x2) - target) ** 2
                seen.append(error.data)
                self._descend(error)
            value = self._reduce(seen)
        self._loss_history.append(value)
        return value

    def run(self, total_epochs: int = 1000) -> tuple[float, ...]:
        """Train until ``total_epochs`` have been done in all (a UI should step in chunks instead)."""
        self.step(max(0, total_epochs - self.epochs_trained))
        return self.loss_history

    # ----------------------------------------------------------------------- inspection

    def predictions(self) -> tuple[float, float, float, float]:
        """Network output for (0,0), (0,1), (1,0), (1,1) with the current weights."""
        with self._lock:
            return tuple(self._forward(x1, x2).data for (x1, x2), _ in XOR_SAMPLES)  # type: ignore[return-value]

    def current_loss(self) -> float:
        """Loss of the current weights over all four samples, with the chosen reduction."""
        with self._lock:
            return self._reduce([(prediction - target) ** 2 for prediction, (_, target) in zip(self.predictions(), XOR_SAMPLES)])

    def weights(self) -> XorWeights:
        with self._lock:
            return XorWeights(
                tuple((row[0].data, row[1].data) for row in self._hidden_weights),
                tuple(b.data for b in self._hidden_biases),
                tuple(w.data for w in self._output_weights),
                self._output_bias.data,
            )

    def snapshot(self) -> dict[str, Any]:
        """Everything a screen shows, as JSON-friendly data (one consistent moment)."""
        with self._lock:
            return self._snapshot()

    def _snapshot(self) -> dict[str, Any]:
        return {
            "lab": self.name,
            "settings": self._settings.model_dump(),
            "epochs_trained": self.epochs_trained,
            "loss_history": list(self._loss_history),
            "current_loss": self.current_loss(),
            "predictions": list(self.predictions()),
            "targets": [target for _, target in XOR_SAMPLES],
            "weights": asdict(self.weights()),
        }

    def sample_loss_program(self, sample_index: int = 0) -> tuple[str, dict[str, float]]:
        """One sample's squared error as a program plus input values, for ``tutor.graph.build_graph``.

        Weights, biases, the two inputs and the target are all named inputs (``w11`` is hidden
        unit 1's weight on x1, ``v1`` output weight 1, ``b1``/``c`` biases, ``t`` the target),
        so the graph view shows every parameter's gradient. The program is the *single*
        sample's error ``(y - t)^2``; with mean reduction the batch loss divides the sum of
        four of these by 4, so full-batch gradients are a quarter of the ones shown.
        """
        if not isinstance(sample_index, int) or not 0 <= sample_index < len(XOR_SAMPLES):
            raise ValueError(f"xor lab: sample_index must be 0, 1, 2 or 3, got {sample_index!r}")
        lines = [f"h{unit} = tanh(w{unit}1*x1 + w{unit}2*x2 + b{unit})" for unit in range(1, HIDDEN_UNITS + 1)]
        output_sum = " + ".join(f"v{unit}*h{unit}" for unit in range(1, HIDDEN_UNITS + 1))
        lines.append(f"y = tanh({output_sum} + c)")
        lines.append("L = (y - t)^2")
        weights = self.weights()
        (x1, x2), target = XOR_SAMPLES[sample_index]
        values: dict[str, float] = {}
        for unit, ((w1, w2), bias) in enumerate(zip(weights.hidden_weights, weights.hidden_biases), start=1):
            values[f"w{unit}1"], values[f"w{unit}2"], values[f"b{unit}"] = w1, w2, bias
        for unit, weight in enumerate(weights.output_weights, start=1):
            values[f"v{unit}"] = weight
        values.update(c=weights.output_bias, x1=x1, x2=x2, t=target)
        return "\n".join(lines), values

    # ------------------------------------------------------------------------ questions

    def questions(self) -> tuple[LabQuestion, ...]:
        return xor_questions()


# ------------------------------------------------------------- the module's own exercise

# The reference module's train_xor(): random.seed(42), weights uniform [-1, 1] in this lab's order,
# one update per sample at learning rate 0.5, and it prints total_loss, the sum of the four samples'
# squared errors met during the epoch, every 100 epochs, then the four predictions.
MODULE_SETTINGS = XorSettings(learning_rate=0.5, reduction="sum", update_mode="per-sample", seed=42)
MODULE_EPOCHS = 1000
MODULE_PRINT_EVERY = 100
# What the module's text says that code prints ("Expected output (approximately)").
MODULE_CLAIMED_LOSSES: dict[int, float] = {0: 1.8234, 100: 0.9821, 200: 0.3456, 900: 0.0123}
MODULE_CLAIMED_PREDICTIONS: tuple[float, float, float, float] = (0.012, 0.987, 0.991, 0.015)


@dataclass(frozen=True)
class ModulePrintout:
    """What the module's train_xor() really prints, next to what its text claims."""

    losses: tuple[tuple[int, float, float | None], ...]  # (epoch, printed, claimed or None)
    predictions: tuple[tuple[str, float, float], ...]  # (input, printed, claimed)

    def lines(self) -> list[str]:
        """The printout as the module's code formats it."""
        out = [f"Epoch {epoch}: loss = {loss:.4f}" for epoch, loss, _ in self.losses]
        out += ["", "Final predictions:"]
        out += [f" {name} -> {value:.3f} (target: {target:g})"
                for (name, value, _), (_, target) in zip(self.predictions, XOR_SAMPLES)]
        return out


def is_module_run(settings: XorSettings) -> bool:
    return settings == MODULE_SETTINGS


def module_printout_from(loss_history: tuple[float, ...] | list[float],
                         predictions: tuple[float, ...] | list[float] | None) -> ModulePrintout:
    """The printed lines for the epochs run so far (predictions once all 1000 epochs are done)."""
    losses = tuple(
        (epoch, loss_history[epoch], MODULE_CLAIMED_LOSSES.get(epoch))
        for epoch in range(0, min(len(loss_history), MODULE_EPOCHS), MODULE_PRINT_EVERY)
    )
    names = tuple(f"({int(x1)}, {int(x2)})" for (x1, x2), _ in XOR_SAMPLES)
    shown = () if predictions is None else tuple(zip(names, predictions, MODULE_CLAIMED_PREDICTIONS))
    return ModulePrintout(losses, shown)


@functools.lru_cache(maxsize=1)
def module_printout() -> ModulePrintout:
    """Run the module's exercise as written (1000 epochs, about 0.3 s) and collect what it prints."""
    lab = XorLab(MODULE_SETTINGS)
    lab.step(MODULE_EPOCHS)
    return module_printout_from(lab.loss_history, lab.predictions())


STUCK_LOSS = 0.9  # a summed loss near 1 or 2 after 1000 epochs: one or two outputs a whole unit off
QUESTION_EPOCHS = 1000
QUESTION_SEEDS = range(10)


def final_loss(learning_rate: float, reduction: str, update_mode: str, seed: int, epochs: int = QUESTION_EPOCHS) -> float:
    """Loss of the trained weights (with the given reduction) after ``epochs`` epochs (cached)."""
    return _final_loss(float(learning_rate), reduction, update_mode, seed, epochs)


@functools.lru_cache(maxsize=128)
def _final_loss(learning_rate: float, reduction: str, update_mode: str, seed: int, epochs: int) -> float:
    lab = XorLab({"learning_rate": learning_rate, "reduction": reduction, "update_mode": update_mode, "seed": seed})
    lab.step(epochs)
    return lab.current_loss()


def seed_sweep(learning_rate: float, reduction: str, update_mode: str, epochs: int = QUESTION_EPOCHS) -> dict[int, float]:
    """Final loss for each of seeds 0-9 (about 0.1 s per seed; cached)."""
    return {seed: final_loss(learning_rate, reduction, update_mode, seed, epochs) for seed in QUESTION_SEEDS}


def summed_loss(learning_rate: float, reduction: str, update_mode: str, seed: int) -> float:
    """The final loss expressed as a sum over the four samples, so runs can be compared."""
    loss = final_loss(learning_rate, reduction, update_mode, seed)
    return loss * len(XOR_SAMPLES) if reduction == "mean" else loss


@functools.lru_cache(maxsize=1)
def xor_questions() -> tuple[LabQuestion, ...]:
    """Computed by training (about 3 s the first time; a UI should ask in a worker)."""
    stuck = sum(summed_loss(0.5, "sum", "full-batch", seed) > STUCK_LOSS for seed in QUESTION_SEEDS)
    recipes = {
        "sum-full": ("sum", "full-batch", "summed error, one full-batch update per epoch"),
        "mean-full": ("mean", "full-batch", "mean error, one full-batch update per epoch"),
        "per-sample": ("sum", "per-sample", "one update per sample, as the module's code does"),
    }
    all_trained = [
        option_id for option_id, (reduction, mode, _) in recipes.items()
        if all(summed_loss(0.5, reduction, mode, seed) < 0.01 * len(XOR_SAMPLES) for seed in QUESTION_SEEDS)
    ]
    questions = [
        LabQuestion(
            id="xor.stuck-seeds",
            text=(
                f"Full batch, summed error, learning rate 0.5, {QUESTION_EPOCHS} epochs: for how many of the "
                f"seeds 0-9 is the summed squared error still above {STUCK_LOSS} at the end?"
            ),
            kind="numeric",
            expected=str(stuck),
            tolerance=0.0,
            explanation="Run each seed with those settings and count the runs whose loss curve flattens out high.",
            settings={"learning_rate": 0.5, "reduction": "sum", "update_mode": "full-batch"},
        ),
        LabQuestion(
            id="xor.equivalent-rate",
            text=(
                "With full-batch updates, summed error at learning rate 0.5 takes exactly the same steps as "
                "mean error at which learning rate?"
            ),
            kind="numeric",
            expected=format_expected(0.5 * len(XOR_SAMPLES)),
            tolerance=1e-9,
            explanation="The sum of four errors is four times their mean, so its gradient is four times larger.",
            settings={"learning_rate": 0.5, "update_mode": "full-batch"},
        ),
    ]
    printout = module_printout()
    epoch_900 = next(loss for epoch, loss, _ in printout.losses if epoch == 900)
    questions.append(
        LabQuestion(
            id="xor.module-epoch-900",
            text=(
                "Run the module's exercise exactly as written (Module's settings: seed 42, one update per sample, "
                "summed error, learning rate 0.5). Its text claims 'Epoch 900: loss = 0.0123'. What does the code "
                "really print at epoch 900 (four decimals)?"
            ),
            kind="numeric",
            expected=f"{epoch_900:.4f}",
            tolerance=0.00006,
            explanation=(f"It prints {epoch_900:.4f}, not 0.0123: with these settings the loss never gets near 0.01. "
                         "The printed 'expected output' does not come from this code."),
            settings=MODULE_SETTINGS.model_dump(),
        )
    )
    first_name, first_value, first_claim = printout.predictions[0]
    questions.append(
        LabQuestion(
            id="xor.module-prediction-00",
            text=(
                f"Same run, 1000 epochs: the text claims the final prediction for {first_name} is {first_claim:.3f}. "
                "What does the code print (three decimals)?"
            ),
            kind="numeric",
            expected=f"{first_value:.3f}",
            tolerance=0.0006,
            explanation=(f"It prints {first_value:.3f}: below 0.5, so on the right side for target 0, but nowhere near "
                         f"{first_claim:.3f}. Compare every line in the lab's readout."),
            settings=MODULE_SETTINGS.model_dump(),
        )
    )
    if len(all_trained) == 1:  # only a question with exactly one right option is fair
        questions.append(
            LabQuestion(
                id="xor.which-recipe",
                text=(
                    f"At learning rate 0.5, which recipe brings every seed 0-9 below a mean squared error of "
                    f"0.01 within {QUESTION_EPOCHS} epochs?"
                ),
                kind="choice",
                expected=all_trained[0],
                options=tuple(QuestionOption(option_id, text) for option_id, (_, _, text) in recipes.items()),
                explanation="Try each recipe on several seeds and watch which loss curves all reach the floor.",
            )
        )
    return tuple(questions)
