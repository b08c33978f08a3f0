"""NaN-hunt lab: the reference module's broken training loop at its own size, on the tensor engine.

The loop (Exercise 4 of the module) trains ``Linear(10, 50) -> act -> Linear(50, 50) -> act ->
Linear(50, 1)`` with plain SGD for 100 epochs, each epoch on a fresh random batch of 32 inputs
and 32 targets from N(0, 1). It has five bugs; each has a switch here, and the lab is passed when
all five are on and the whole run stays finite.

=============== ================================================ ======================================
fix id          bug                                              fix
=============== ================================================ ======================================
seed            no seed: each run has different weights and data seed the generator (42)
activation      sigmoid hidden layers                            ReLU hidden layers
learning_rate   learning rate 10                                 learning rate 0.01
loss            loss = mean(log(output)): output can be negative mean squared error against the targets
zero_grad       gradients never cleared, each step adds to them  clear gradients before each backward
=============== ================================================ ======================================

Sizes and data. ``size: module`` is the module's 10-50-50-1 with batches of 32; ``size: small``
is a 4-8-8-1 network with batches of 8 (quicker to read). ``data: fresh`` draws a new batch every
epoch as the module's code does -- inputs *and targets* are noise, so even the fixed loop has
nothing to learn and its loss only wanders; ``data: fixed`` draws one batch once and reuses it, so
a working loop visibly drives its loss down. Weights and biases start uniform in ±1/sqrt(fan_in),
PyTorch's default for linear layers; all numbers come from ``numpy.random.default_rng(seed)``:
the weights layer by layer, then the batches.

Where the first NaN is. The engine does not refuse anything (numpy gives inf and nan, as torch
does), so after each forward pass the lab looks through the values in the order they were
computed, and after each backward pass through the gradients in the order they were computed,
and reports the first one that is not finite: its epoch, its layer ("layer 2", "loss") and its
operation ("log", "x @ W", "weights W2"). The run stops there (:class:`Failure`).
"""

from __future__ import annotations

import functools
import math
import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field

from tutor.engine.tensor import Tensor, sgd_step, zero_grad
from tutor.labs.base import LabQuestion, LabSettings, QuestionOption, updated_settings, validate_settings

SIZES: dict[str, tuple[int, ...]] = {"module": (10, 50, 50, 1), "small": (4, 8, 8, 1)}
BATCH_SIZES: dict[str, int] = {"module": 32, "small": 8}
FIXED_SEED = 42
BROKEN_LEARNING_RATE = 10.0
FIXED_LEARNING_RATE = 0.01

FixId = Literal["seed", "activation", "learning_rate", "loss", "zero_grad"]


@dataclass(frozen=True)
class Fix:
    id: str
    bug: str
    fix: str


FIXES: tuple[Fix, ...] = (
    Fix("seed", "no seed for the random generator", f"seed the generator ({FIXED_SEED})"),
    Fix("activation", "sigmoid hidden layers", "ReLU hidden layers"),
    Fix("learning_rate", f"learning rate {BROKEN_LEARNING_RATE:g}", f"learning rate {FIXED_LEARNING_RATE:g}"),
    Fix("loss", "loss = mean(log(output))", "mean squared error against the targets"),
    Fix("zero_grad", "gradients are never cleared, so each step adds to the last", "clear the gradients before each backward pass"),
)
FIX_IDS: tuple[str, ...] = tuple(fix.id for fix in FIXES)


class NanHuntSettings(LabSettings):
    fix_seed: bool = Field(False, description=FIXES[0].fix)
    fix_activation: bool = Field(False, description=FIXES[1].fix)
    fix_learning_rate: bool = Field(False, description=FIXES[2].fix)
    fix_loss: bool = Field(False, description=FIXES[3].fix)
    fix_zero_grad: bool = Field(False, description=FIXES[4].fix)
    epochs: int = Field(100, ge=1, le=300, description="training epochs per run (the module: 100)")
    data: Literal["fresh", "fixed"] = Field(
        "fresh", description="a new random batch every epoch (the module's code), or one batch reused"
    )
    size: Literal["module", "small"] = Field("module", description="10-50-50-1, batch 32 (the module) or 4-8-8-1, batch 8")

    def fixes_on(self) -> frozenset[str]:
        return frozenset(fix_id for fix_id in FIX_IDS if getattr(self, f"fix_{fix_id}"))

    @classmethod
    def with_fixes(cls, fixes: frozenset[str] | set[str] | tuple[str, ...], epochs: int = 100, **others: Any) -> NanHuntSettings:
        unknown = set(fixes) - set(FIX_IDS)
        if unknown:
            raise ValueError(f"unknown fix {sorted(unknown)[0]!r} (the fixes are {', '.join(FIX_IDS)})")
        return cls(epochs=epochs, **{f"fix_{fix_id}": fix_id in fixes for fix_id in FIX_IDS}, **others)


FailureKind = Literal["domain", "non-finite value", "non-finite gradient"]


@dataclass(frozen=True)
class Failure:
    step: int  # the epoch (0-based) at which training broke; loss_history holds the epochs before it
    kind: FailureKind
    message: str
    layer: str = ""  # "layer 1" .. "layer 3" (the output layer), or "loss"
    op: str = ""  # "log", "x @ W", "+ b", "sigmoid", "relu", "mean", "weights W2", ...
    phase: Literal["forward", "backward"] = "forward"

    @property
    def where(self) -> str:
        return f"{self.layer}, {self.op}" + (" (backward)" if self.phase == "backward" else "")

    def describe(self) -> str:
        return f"first NaN/inf at epoch {self.step}, {self.where}: {self.message}"


@dataclass(frozen=True)
class NanHuntRun:
    settings: NanHuntSettings
    seed_used: int
    loss_history: tuple[float, ...]
    failure: Failure | None

    @property
    def finished(self) -> bool:
        return self.failure is not None or len(self.loss_history) >= self.settings.epochs

    @property
    def finite(self) -> bool:
        """The whole run finished with every loss finite."""
        history = self.loss_history
        return self.failure is None and len(history) == self.settings.epochs and all(math.isfinite(loss) for loss in history)

    @property
    def finite_and_decreasing(self) -> bool:
        history = self.loss_history
        return self.finite and all(later < earlier for earlier, later in zip(history, history[1:]))

    def as_dict(self) -> dict[str, Any]:
        failure = None
        if self.failure is not None:
            failure = vars(self.failure) | {"text": self.failure.describe(), "where": self.failure.where}
        return {
            "settings": self.settings.model_dump(),
            "seed_used": self.seed_used,
            "loss_history": list(self.loss_history),
            "failure": failure,
            "finite": self.finite,
            "finite_and_decreasing": self.finite_and_decreasing,
        }


def _entropy_seed() -> int:
    return random.SystemRandom().randrange(2**32)


def _is_finite(array: np.ndarray) -> bool:
    return bool(np.isfinite(array).all())


def _first_bad(array: np.ndarray) -> float:
    return float(array.flat[int(np.argmax(~np.isfinite(array)))])


class _TrainingLoop:
    """One run of the (possibly broken) loop, advanced an epoch at a time."""

    def __init__(self, settings: NanHuntSettings, seed: int) -> None:
        self.settings = settings
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        sizes = SIZES[settings.size]
        self.batch_size = BATCH_SIZES[settings.size]
        self.layers: list[tuple[Tensor, Tensor]] = []
        for layer, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:]), start=1):
            bound = 1.0 / math.sqrt(fan_in)
            weight = Tensor(self.rng.uniform(-bound, bound, (fan_in, fan_out)), label=f"W{layer}")
            bias = Tensor(self.rng.uniform(-bound, bound, (1, fan_out)), label=f"b{layer}")
            self.layers.append((weight, bias))
        self.parameters = [tensor for pair in self.layers for tensor in pair]
        self.fixed_batch = self._draw_batch() if settings.data == "fixed" else None
        self.learning_rate = FIXED_LEARNING_RATE if settings.fix_learning_rate else BROKEN_LEARNING_RATE
        self.loss_history: list[float] = []
        self.failure: Failure | None = None

    def _draw_batch(self) -> tuple[np.ndarray, np.ndarray]:
        inputs = self.rng.standard_normal((self.batch_size, SIZES[self.settings.size][0]))
        targets = self.rng.standard_normal((self.batch_size, 1))
        return inputs, targets

    @property
    def finished(self) -> bool:
        return self.failure is not None or len(self.loss_history) >= self.settings.epochs

    def _forward(self, inputs: np.ndarray, targets: np.ndarray) -> tuple[Tensor, list[tuple[str, str, Tensor]]]:
        """The loss, and every value in the order computed as (layer, op, tensor)."""
        trace: list[tuple[str, str, Tensor]] = []
        hidden = Tensor(inputs)
        last = len(self.layers)
        for layer, (weight, bias) in enumerate(self.layers, start=1):
            name = f"layer {layer}"
            trace += [(name, f"weights {weight.label}", weight), (name, f"biases {bias.label}", bias)]
            product = hidden @ weight
            trace.append((name, "x @ W", product))
            hidden = product + bias
            trace.append((name, "+ b", hidden))
            if layer < last:
                if self.settings.fix_activation:
                    hidden = hidden.relu()
                    trace.append((name, "relu", hidden))
                else:
                    hidden = hidden.sigmoid()
                    trace.append((name, "sigmoid", hidden))
        if self.settings.fix_loss:
            error = hidden - targets
            trace.append(("loss", "output - target", error))
            terms = error**2
            trace.append(("loss", "square", terms))
        else:
            terms = hidden.log()
            trace.append(("loss", "log", terms))
        loss = terms.mean()
        trace.append(("loss", "mean", loss))
        return loss, trace

    def _forward_failure(self, epoch: int, trace: list[tuple[str, str, Tensor]]) -> Failure | None:
        for layer, op, tensor in trace:
            if _is_finite(tensor.data):
                continue
            bad = _first_bad(tensor.data)
            if op == "log":
                child = tensor.children[0].data
                lowest = float(child.min())
                if lowest < 0:
                    message = (f"log is only defined for positive numbers, and an output is {lowest:.3g}: log gives nan "
                               f"({int((child < 0).sum())} of {child.size} outputs are negative)")
                else:
                    message = "an output is exactly 0 and log(0) = -inf"
                return Failure(epoch, "domain", message, layer, op)
            if tensor.is_leaf:
                message = f"the {op} hold {bad}: the last update made them overflow"
            else:
                message = f"{op} gives {bad} from finite inputs (largest |input| {_largest_input(tensor):.3g})"
            return Failure(epoch, "non-finite value", message, layer, op)
        return None

    def _backward_failure(self, epoch: int, loss: Tensor, trace: list[tuple[str, str, Tensor]]) -> Failure | None:
        if all(_is_finite(parameter.grad) for parameter in self.parameters):
            return None
        names = {id(tensor): (layer, op) for layer, op, tensor in trace}
        for node in reversed(loss.topological_order()):  # the order backward() fills gradients in
            if not _is_finite(node.grad):
                layer, op = names.get(id(node), ("loss", "mean"))
                bad = _first_bad(node.grad)
                message = f"the gradient reaching {op} is {bad} (the loss was {loss.data:.4g})"
                return Failure(epoch, "non-finite gradient", message, layer, op, "backward")
        return Failure(epoch, "non-finite gradient", "a gradient is not finite", "loss", "mean", "backward")

    def step(self) -> None:
        epoch = len(self.loss_history)
        inputs, targets = self.fixed_batch if self.fixed_batch is not None else self._draw_batch()
        if self.settings.fix_zero_grad:
            zero_grad(self.parameters)
        with np.errstate(all="ignore"):
            loss, trace = self._forward(inputs, targets)
            self.failure = self._forward_failure(epoch, trace)
            if self.failure is not None:
                return
            loss.backward()
            self.failure = self._backward_failure(epoch, loss, trace)
            if self.failure is not None:
                return
            sgd_step(self.parameters, self.learning_rate)
        self.loss_history.append(float(loss.data))

    def snapshot(self) -> NanHuntRun:
        return NanHuntRun(self.settings, self.seed, tuple(self.loss_history), self.failure)


def _largest_input(tensor: Tensor) -> float:
    sizes = [float(np.max(np.abs(child.data))) for child in tensor.children if child.data.size]
    return max(sizes, default=0.0)


def run_configuration(settings: NanHuntSettings, entropy: Callable[[], int] = _entropy_seed) -> NanHuntRun:
    """A complete run. Without the seed fix the seed comes from ``entropy`` (the OS by default)."""
    loop = _TrainingLoop(settings, FIXED_SEED if settings.fix_seed else entropy())
    while not loop.finished:
        loop.step()
    return loop.snapshot()


@functools.lru_cache(maxsize=64)
def _seeded_run(settings: NanHuntSettings, seed: int) -> NanHuntRun:
    return run_configuration(settings, lambda: seed)


class NanHuntLab:
    """Toggle fixes (``configure(fix_loss=True)`` or :meth:`set_fix`), then :meth:`step` or :meth:`run`.

    ``entropy`` supplies the seed when the seed fix is off (default: the OS's randomness, so two
    runs differ as they would in the reference); tests pass a fixed function. Each training step
    runs under a lock the readers also take, so a screen can read while a worker steps.
    """

    name: ClassVar[str] = "nan-hunt"
    title: ClassVar[str] = "Hunt the NaN"
    Settings: ClassVar[type[NanHuntSettings]] = NanHuntSettings
    fixes: ClassVar[tuple[Fix, ...]] = FIXES

    def __init__(
        self, settings: Mapping[str, Any] | NanHuntSettings | None = None, entropy: Callable[[], int] = _entropy_seed
    ) -> None:
        self._settings = validate_settings(self.name, NanHuntSettings, settings)
        self._entropy = entropy
        self._lock = threading.RLock()
        self.reset()

    @property
    def settings(self) -> NanHuntSettings:
        return self._settings

    def configure(self, **changes: Any) -> None:
        """Apply setting changes and start a fresh run."""
        with self._lock:
            self._settings = updated_settings(self.name, self._settings, changes)
            self.reset()

    def set_fix(self, fix_id: str, on: bool) -> None:
        if fix_id not in FIX_IDS:
            raise ValueError(f"nan-hunt lab: unknown fix {fix_id!r} (the fixes are {', '.join(FIX_IDS)})")
        self.configure(**{f"fix_{fix_id}": bool(on)})

    def reset(self) -> None:
        with self._lock:
            seed = FIXED_SEED if self._settings.fix_seed else self._entropy()
            self._loop = _TrainingLoop(self._settings, seed)

    def step(self, steps: int = 1) -> NanHuntRun:
        """Advance up to ``steps`` epochs (stops early at a failure or the last epoch)."""
        if not isinstance(steps, int) or isinstance(steps, bool) or steps < 0:
            raise ValueError(f"nan-hunt lab: steps must be a whole number >= 0, got {steps!r}")
        for _ in range(steps):
            with self._lock:
                if self._loop.finished:
                    break
                self._loop.step()
        return self.current_run()

    def run(self) -> NanHuntRun:
        return self.step(self._settings.epochs)

    def current_run(self) -> NanHuntRun:
        with self._lock:
            return self._loop.snapshot()

    @property
    def fixes_on(self) -> frozenset[str]:
        return self._settings.fixes_on()

    @property
    def passed(self) -> bool:
        """All five fixes on and the finished run finite at every epoch."""
        return run_passed(self.current_run())

    def snapshot(self) -> dict[str, Any]:
        run = self.current_run()
        fixes_on = run.settings.fixes_on()
        return {
            "lab": self.name,
            "fixes": [vars(fix) | {"on": fix.id in fixes_on} for fix in FIXES],
            "sizes": list(SIZES[run.settings.size]),
            "batch_size": BATCH_SIZES[run.settings.size],
            **run.as_dict(),
            "passed": run_passed(run),
        }

    def questions(self) -> tuple[LabQuestion, ...]:
        return nan_hunt_questions()


def run_passed(run: NanHuntRun) -> bool:
    return run.settings.fixes_on() == frozenset(FIX_IDS) and run.finished and run.finite


ALL_FIXES = frozenset(FIX_IDS)
QUESTION_SEEDS = (1, 2)  # the two "unseeded" runs compared by the reproducibility question


def missing_one(fix_id: str, **others: Any) -> NanHuntSettings:
    return NanHuntSettings.with_fixes(ALL_FIXES - {fix_id}, **others)


AS_WRITTEN = NanHuntSettings.with_fixes({"seed"})  # the broken loop, made repeatable and nothing else

OP_OPTIONS = (
    QuestionOption("log", "log, in the loss"),
    QuestionOption("sigmoid", "a sigmoid"),
    QuestionOption("x @ W", "a matrix product x @ W"),
    QuestionOption("mean", "the mean over the batch"),
    QuestionOption("weights", "the weights themselves, after an update"),
)
LAYER_OPTIONS = (
    QuestionOption("layer 1", "layer 1 (10 → 50)"),
    QuestionOption("layer 2", "layer 2 (50 → 50)"),
    QuestionOption("layer 3", "layer 3, the output (50 → 1)"),
    QuestionOption("loss", "the loss"),
)


def op_option(failure: Failure) -> str:
    return "weights" if failure.op.startswith("weights") else failure.op


@functools.lru_cache(maxsize=1)
def nan_hunt_questions() -> tuple[LabQuestion, ...]:
    questions = []
    written = _seeded_run(AS_WRITTEN, QUESTION_SEEDS[0]).failure
    if written is not None and op_option(written) in {option.id for option in OP_OPTIONS}:
        questions.append(
            LabQuestion(
                id="nan-hunt.first-nan-op",
                text=(
                    "Switch on only the seed fix, so the broken loop is repeatable but otherwise as the module "
                    "writes it. Which operation makes the first NaN?"
                ),
                kind="choice",
                expected=op_option(written),
                options=OP_OPTIONS,
                explanation=f"Epoch {written.step}, {written.where}: {written.message}.",
                settings=AS_WRITTEN.model_dump(),
            )
        )
    runs = {fix_id: _seeded_run(missing_one(fix_id), QUESTION_SEEDS[0]) for fix_id in FIX_IDS}
    lr_failure = runs["learning_rate"].failure
    if lr_failure is not None:
        questions.append(
            LabQuestion(
                id="nan-hunt.learning-rate-failure-step",
                text="Switch on every fix except the learning-rate one. At which epoch (counting from 0) does the first NaN or inf appear?",
                kind="numeric",
                expected=str(lr_failure.step),
                tolerance=0.0,
                # Not lr_failure.where: it names the layer, which the next question asks for.
                explanation=(f"With learning rate {BROKEN_LEARNING_RATE:g} every update overshoots and the weights grow "
                             f"until, at epoch {lr_failure.step}, {lr_failure.message}."),
                settings=missing_one("learning_rate").model_dump(),
            )
        )
        if lr_failure.layer in {option.id for option in LAYER_OPTIONS}:
            questions.append(
                LabQuestion(
                    id="nan-hunt.learning-rate-failure-layer",
                    text="Same run (every fix but the learning rate): in which layer is that first NaN or inf?",
                    kind="choice",
                    expected=lr_failure.layer,
                    options=LAYER_OPTIONS,
                    explanation=f"The lab's readout names it: {lr_failure.where}. {lr_failure.message}.",
                    settings=missing_one("learning_rate").model_dump(),
                )
            )
    domain = [fix_id for fix_id, run in runs.items() if run.failure is not None and run.failure.kind == "domain"]
    if len(domain) == 1:
        questions.append(
            LabQuestion(
                id="nan-hunt.domain-error",
                text="Which single missing fix makes an operation meet an input it is not defined for?",
                kind="choice",
                expected=domain[0],
                options=tuple(QuestionOption(fix.id, fix.bug) for fix in FIXES),
                explanation="log is only defined for positive numbers, and nothing keeps the network's output positive.",
            )
        )
    unrepeatable = [
        fix_id for fix_id in FIX_IDS
        if _seeded_run(missing_one(fix_id), QUESTION_SEEDS[0]).loss_history
        != _seeded_run(missing_one(fix_id), QUESTION_SEEDS[1]).loss_history
    ]
    if len(unrepeatable) == 1:
        questions.append(
            LabQuestion(
                id="nan-hunt.unrepeatable",
                text="Which single missing fix makes two runs of the very same code print different losses?",
                kind="choice",
                expected=unrepeatable[0],
                options=tuple(QuestionOption(fix.id, fix.bug) for fix in FIXES),
                explanation="Without a seed, the weights and the data are different on every run, so a failure cannot be replayed.",
            )
        )
    return tuple(questions)


__all__ = [
    "AS_WRITTEN", "FIXES", "FIX_IDS", "Failure", "Fix", "NanHuntLab", "NanHuntRun", "NanHuntSettings", "missing_one",
    "nan_hunt_questions", "run_configuration", "run_passed",
]
