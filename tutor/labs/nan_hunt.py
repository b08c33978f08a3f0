"""NaN-hunt lab: the reference module's broken training loop, rebuilt on the project's engine.

The broken loop has five bugs; each has a switch here, and the lab is passed when all five are
on and the loss then comes out finite and going down on every step.

=============== ================================================ ======================================
fix id          bug                                              fix
=============== ================================================ ======================================
seed            no seed: each run has different weights and data seed the generator (42)
activation      sigmoid hidden layers                            ReLU hidden layers
learning_rate   learning rate 10                                 learning rate 0.01
loss            loss = mean(log(output)): output can be negative mean squared error against the targets
zero_grad       gradients never cleared, each step adds to them  clear gradients before each backward
=============== ================================================ ======================================

Two honest departures from the reference, both forced or for clarity:

* Size. The reference uses 10 -> 50 -> 50 -> 1 layers, batches of 32 and 100 epochs; on a scalar
  engine that is minutes per run, so this loop uses 4 -> 8 -> 8 -> 1, a batch of 8 and 40 epochs.
  Weights and biases start uniform in +-1/sqrt(fan_in), PyTorch's default for linear layers.
* Data. The reference draws fresh random inputs *and targets* every epoch: pure noise, nothing a
  working loop could learn. Here one batch (inputs and targets from N(0, 1)) is drawn once and
  reused, so a working loop visibly drives its loss down.

Failures are data, not exceptions: the engine refusing an operation (``EngineDomainError``, e.g.
the log of a negative output) or a loss/gradient that is no longer finite ends the run with a
:class:`Failure` saying at which step and why.
"""

from __future__ import annotations

import functools
import math
import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from pydantic import Field

from tutor.engine import EngineDomainError, Value, dot
from tutor.labs.base import LabQuestion, LabSettings, QuestionOption, updated_settings, validate_settings

INPUT_FEATURES = 4
HIDDEN_UNITS = 8
BATCH_SIZE = 8
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
    Fix("seed", "no seed: every run starts from different weights and data", f"seed the generator ({FIXED_SEED})"),
    Fix("activation", "sigmoid hidden layers", "ReLU hidden layers"),
    Fix("learning_rate", f"learning rate {BROKEN_LEARNING_RATE:g}", f"learning rate {FIXED_LEARNING_RATE:g}"),
    Fix("loss", "loss = mean(log(output)), and the output can be negative", "mean squared error against the targets"),
    Fix("zero_grad", "gradients are never cleared, so each step adds to the last", "clear the gradients before each backward pass"),
)
FIX_IDS: tuple[str, ...] = tuple(fix.id for fix in FIXES)


class NanHuntSettings(LabSettings):
    fix_seed: bool = Field(False, description=FIXES[0].fix)
    fix_activation: bool = Field(False, description=FIXES[1].fix)
    fix_learning_rate: bool = Field(False, description=FIXES[2].fix)
    fix_loss: bool = Field(False, description=FIXES[3].fix)
    fix_zero_grad: bool = Field(False, description=FIXES[4].fix)
    epochs: int = Field(100, ge=1, le=300, description="training steps per run")

    def fixes_on(self) -> frozenset[str]:
        return frozenset(fix_id for fix_id in FIX_IDS if getattr(self, f"fix_{fix_id}"))

    @classmethod
    def with_fixes(cls, fixes: frozenset[str] | set[str] | tuple[str, ...], epochs: int = 100) -> NanHuntSettings:
        unknown = set(fixes) - set(FIX_IDS)
        if unknown:
            raise ValueError(f"unknown fix {sorted(unknown)[0]!r} (the fixes are {', '.join(FIX_IDS)})")
        return cls(epochs=epochs, **{f"fix_{fix_id}": fix_id in fixes for fix_id in FIX_IDS})


@dataclass(frozen=True)
class Failure:
    step: int  # the step (0-based) at which training broke; loss_history holds the steps before it
    kind: Literal["domain", "non-finite loss", "non-finite gradient"]
    message: str

    def describe(self) -> str:
        return f"NaN/failure at step {self.step}: {self.message}"


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
    def finite_and_decreasing(self) -> bool:
        history = self.loss_history
        return (
            self.failure is None
            and len(history) == self.settings.epochs
            and all(math.isfinite(loss) for loss in history)
            and all(later < earlier for earlier, later in zip(history, history[1:]))
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "settings": self.settings.model_dump(),
            "seed_used": self.seed_used,
            "loss_history": list(self.loss_history),
            "failure": None if self.failure is None else vars(self.failure) | {"text": self.failure.describe()},
            "finite_and_decreasing": self.finite_and_decreasing,
        }


def _entropy_seed() -> int:
    return random.SystemRandom().randrange(2**32)


class _TrainingLoop:
    """One run of the (possibly broken) loop, advanced a step at a time."""

    def __init__(self, settings: NanHuntSettings, seed: int) -> None:
        self.settings = settings
        self.seed = seed
        rng = random.Random(seed)
        sizes = (INPUT_FEATURES, HIDDEN_UNITS, HIDDEN_UNITS, 1)
        self.layers: list[tuple[list[list[Value]], list[Value]]] = []
        for fan_in, fan_out in zip(sizes, sizes[1:]):
            bound = 1.0 / math.sqrt(fan_in)
            rows = [[Value(rng.uniform(-bound, bound)) for _ in range(fan_in)] for _ in range(fan_out)]
            biases = [Value(rng.uniform(-bound, bound)) for _ in range(fan_out)]
            self.layers.append((rows, biases))
        self.parameters = [p for rows, biases in self.layers for row in rows for p in row] + [
            b for _, biases in self.layers for b in biases
        ]
        self.inputs = [[rng.gauss(0.0, 1.0) for _ in range(INPUT_FEATURES)] for _ in range(BATCH_SIZE)]
        self.targets = [rng.gauss(0.0, 1.0) for _ in range(BATCH_SIZE)]
        self.learning_rate = FIXED_LEARNING_RATE if settings.fix_learning_rate else BROKEN_LEARNING_RATE
        self.loss_history: list[float] = []
        self.failure: Failure | None = None

    def _forward(self, features: list[float]) -> Value:
        activations: list[Any] = features
        last = len(self.layers) - 1
        for index, (rows, biases) in enumerate(self.layers):
            pre_activations = [dot(activations, row) + bias for row, bias in zip(rows, biases)]
            if index == last:
                return pre_activations[0]
            if self.settings.fix_activation:
                activations = [z.relu() for z in pre_activations]
            else:
                activations = [z.sigmoid() for z in pre_activations]
        raise AssertionError("the network has an output layer")

    @property
    def finished(self) -> bool:
        return self.failure is not None or len(self.loss_history) >= self.settings.epochs

    def step(self) -> None:
        step = len(self.loss_history)
        if self.settings.fix_zero_grad:
            for parameter in self.parameters:
                parameter.grad = 0.0
        try:
            outputs = [self._forward(features) for features in self.inputs]
            if self.settings.fix_loss:
                terms = [(output - target) ** 2 for output, target in zip(outputs, self.targets)]
            else:
                terms = [output.log() for output in outputs]
            loss = _sum(terms) / BATCH_SIZE
        except EngineDomainError as error:
            self.failure = Failure(step, "domain", str(error))
            return
        if not math.isfinite(loss.data):
            self.failure = Failure(step, "non-finite loss", f"the loss is {loss.data}")
            return
        loss.backward()
        bad = next((p.grad for p in self.parameters if not math.isfinite(p.grad)), None)
        if bad is not None:
            self.failure = Failure(step, "non-finite gradient", f"a gradient is {bad} (loss was {loss.data:.4g})")
            return
        for parameter in self.parameters:
            parameter.data -= self.learning_rate * parameter.grad
        self.loss_history.append(loss.data)

    def snapshot(self) -> NanHuntRun:
        return NanHuntRun(self.settings, self.seed, tuple(self.loss_history), self.failure)


def _sum(terms: list[Value]) -> Value:
    return Value(math.fsum(term.data for term in terms), tuple(terms), "add", (1.0,) * len(terms))


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
        """Advance up to ``steps`` training steps (stops early at a failure or the last epoch)."""
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
        """All five fixes on and the finished run's loss finite and falling at every step."""
        run = self.current_run()
        return run.settings.fixes_on() == frozenset(FIX_IDS) and run.finished and run.finite_and_decreasing

    def snapshot(self) -> dict[str, Any]:
        run = self.current_run()
        fixes_on = run.settings.fixes_on()
        return {
            "lab": self.name,
            "fixes": [vars(fix) | {"on": fix.id in fixes_on} for fix in FIXES],
            **run.as_dict(),
            "passed": fixes_on == frozenset(FIX_IDS) and run.finished and run.finite_and_decreasing,
        }

    def questions(self) -> tuple[LabQuestion, ...]:
        return nan_hunt_questions()


ALL_FIXES = frozenset(FIX_IDS)
QUESTION_SEEDS = (1, 2)  # the two "unseeded" runs compared by the reproducibility question


def missing_one(fix_id: str) -> NanHuntSettings:
    return NanHuntSettings.with_fixes(ALL_FIXES - {fix_id})


@functools.lru_cache(maxsize=1)
def nan_hunt_questions() -> tuple[LabQuestion, ...]:
    questions = []
    runs = {fix_id: _seeded_run(missing_one(fix_id), QUESTION_SEEDS[0]) for fix_id in FIX_IDS}
    lr_failure = runs["learning_rate"].failure
    if lr_failure is not None:
        questions.append(
            LabQuestion(
                id="nan-hunt.learning-rate-failure-step",
                text="Switch on every fix except the learning-rate one. At which step (counting from 0) does training break?",
                kind="numeric",
                expected=str(lr_failure.step),
                tolerance=0.0,
                explanation=f"With learning rate {BROKEN_LEARNING_RATE:g} the updates overshoot and grow until: {lr_failure.message}.",
                settings=missing_one("learning_rate").model_dump(),
            )
        )
    domain = [fix_id for fix_id, run in runs.items() if run.failure is not None and run.failure.kind == "domain"]
    if len(domain) == 1:
        questions.append(
            LabQuestion(
                id="nan-hunt.domain-error",
                text="Which single missing fix makes the engine refuse an operation outright?",
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
    "FIXES", "FIX_IDS", "Failure", "Fix", "NanHuntLab", "NanHuntRun", "NanHuntSettings", "missing_one",
    "run_configuration",
]
