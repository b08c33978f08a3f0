"""Checkpointing lab: hold fewer activations during backprop by recomputing the rest.

The model is a chain of ``layers`` layers, ``h_j = tanh(W_j @ h_{j-1})``, loss = sum(h_n). To
backpropagate through layer j the pass needs that layer's input h_{j-1} (it recomputes W_j @ h_{j-1}
itself). Plain backprop keeps every h_0 .. h_{n-1} from the forward pass. With checkpointing only
every k-th activation (h_0, h_k, h_2k, ...) is kept; the backward pass walks the segments from the
last one back, recomputes the activations inside a segment from its checkpoint, uses them, and
frees them.

The counts come from running that schedule step by step and tracking which activations are
alive (:func:`simulate`), not from a formula. Peak memory comes out at about n/k checkpoints plus
the k - 1 recomputed activations of one segment, which is smallest near k = sqrt(n) (about 2 sqrt(n)
activations instead of n), while the recomputation costs n - ceil(n/k) extra layer evaluations:
at most one extra forward pass, whatever k is. With ``compute=True`` the same schedule also does the
arithmetic (numpy, width ``width``) and the gradients are compared with plain backprop's.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from pydantic import Field, model_validator

from tutor.labs.base import LabQuestion, LabSettings, QuestionOption, updated_settings, validate_settings

MAX_LAYERS = 400


class CheckpointingSettings(LabSettings):
    layers: int = Field(100, ge=1, le=MAX_LAYERS, description="layers in the chain (n)")
    keep_every: int = Field(1, ge=1, le=MAX_LAYERS, description="keep every k-th activation as a checkpoint")
    width: int = Field(4, ge=1, le=64, description="units per layer (for the numerical check)")
    seed: int = Field(0, ge=0, le=2**32 - 1, description="seed of the weights and the input")

    @model_validator(mode="after")
    def _keep_every_fits(self) -> CheckpointingSettings:
        if self.keep_every > self.layers:
            raise ValueError(f"keep_every ({self.keep_every}) can't be more than layers ({self.layers})")
        return self


@dataclass(frozen=True)
class CheckpointPlan:
    layers: int
    keep_every: int
    checkpoints: tuple[int, ...]  # indices j of the kept activations h_j
    peak_activations: int  # most activations alive at once, over forward and backward
    forward_evaluations: int  # layer evaluations of the forward pass (= layers)
    recomputed_evaluations: int  # extra layer evaluations during backward
    gradients_match: bool | None  # with compute=True: same weight gradients as plain backprop

    @property
    def total_evaluations(self) -> int:
        return self.forward_evaluations + self.recomputed_evaluations

    def as_dict(self) -> dict[str, Any]:
        return {
            "layers": self.layers, "keep_every": self.keep_every, "checkpoints": list(self.checkpoints),
            "peak_activations": self.peak_activations, "forward_evaluations": self.forward_evaluations,
            "recomputed_evaluations": self.recomputed_evaluations, "total_evaluations": self.total_evaluations,
            "gradients_match": self.gradients_match,
        }


class _Chain:
    def __init__(self, layers: int, width: int, seed: int) -> None:
        rng = np.random.default_rng(seed)
        self.input = rng.standard_normal(width)
        self.weights = [rng.standard_normal((width, width)) / math.sqrt(width) for _ in range(layers)]

    def layer(self, j: int, previous: np.ndarray) -> np.ndarray:
        return np.tanh(self.weights[j - 1] @ previous)

    def backward_layer(self, j: int, previous: np.ndarray, upstream: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(d loss / d W_j, d loss / d h_{j-1}) from the layer's input and d loss / d h_j."""
        output = np.tanh(self.weights[j - 1] @ previous)
        pre_activation_grad = upstream * (1.0 - output * output)
        return np.outer(pre_activation_grad, previous), self.weights[j - 1].T @ pre_activation_grad


class _Memory:
    """Which activations h_j are alive, and the most that ever were at once."""

    def __init__(self) -> None:
        self.alive: dict[int, Any] = {}
        self.peak = 0

    def hold(self, j: int, value: Any) -> None:
        self.alive[j] = value
        self.peak = max(self.peak, len(self.alive))

    def free(self, j: int) -> None:
        del self.alive[j]


def simulate(
    layers: int, keep_every: int, compute: bool = False, width: int = 4, seed: int = 0
) -> tuple[CheckpointPlan, list[np.ndarray] | None]:
    """Run the checkpointed schedule; with ``compute`` also the numbers (weight gradients returned)."""
    if not 1 <= keep_every <= layers:
        raise ValueError(f"keep_every must be between 1 and layers ({layers}), got {keep_every}")
    chain = _Chain(layers, width, seed) if compute else None
    memory = _Memory()
    checkpoints = tuple(range(0, layers, keep_every))
    evaluations = 0

    def evaluate(j: int) -> Any:
        nonlocal evaluations
        evaluations += 1
        return chain.layer(j, memory.alive[j - 1]) if chain else None

    # Forward: keep the checkpoints, let every other activation go once the next one exists.
    memory.hold(0, chain.input if chain else None)
    for j in range(1, layers + 1):
        memory.hold(j, evaluate(j))
        if j - 1 not in checkpoints:
            memory.free(j - 1)
    forward_evaluations = evaluations
    upstream = np.ones(width) if chain else None  # d loss / d h_n for loss = sum(h_n)
    memory.free(layers)  # the output has given its gradient to the loss

    gradients: list[Any] = [None] * layers
    for start in reversed(checkpoints):
        end = min(start + keep_every, layers)
        for j in range(start + 1, end):  # recompute the segment's inner activations from its checkpoint
            memory.hold(j, evaluate(j))
        for j in range(end, start, -1):  # backprop through the segment, freeing each input after use
            if chain:
                assert upstream is not None  # set above whenever there is a chain
                gradients[j - 1], upstream = chain.backward_layer(j, memory.alive[j - 1], upstream)
            memory.free(j - 1)
    plan = CheckpointPlan(
        layers, keep_every, checkpoints, memory.peak, forward_evaluations, evaluations - forward_evaluations, None
    )
    return plan, gradients if chain else None


def checkpoint_plan(settings: CheckpointingSettings, verify: bool = True) -> CheckpointPlan:
    """Counts for the settings; with ``verify`` also checks the gradients against plain backprop."""
    if not verify:
        return _counted_plan(settings.layers, settings.keep_every)
    plan, gradients = simulate(settings.layers, settings.keep_every, True, settings.width, settings.seed)
    _, plain = simulate(settings.layers, 1, True, settings.width, settings.seed)
    assert gradients is not None and plain is not None  # simulate returns gradients when asked to compute them
    match = all(np.array_equal(ours, reference) for ours, reference in zip(gradients, plain))
    return CheckpointPlan(**{**vars(plan), "gradients_match": match})


@functools.lru_cache(maxsize=4096)
def _counted_plan(layers: int, keep_every: int) -> CheckpointPlan:
    return simulate(layers, keep_every)[0]


def sweep(layers: int) -> tuple[CheckpointPlan, ...]:
    """The plan for every k from 1 to ``layers`` (counts only)."""
    return tuple(_counted_plan(layers, keep_every) for keep_every in range(1, layers + 1))


def optimal_keep_every_values(layers: int) -> tuple[int, ...]:
    """Every k whose peak memory is the smallest possible: a plateau around sqrt(layers)."""
    plans = sweep(layers)
    least = min(plan.peak_activations for plan in plans)
    return tuple(plan.keep_every for plan in plans if plan.peak_activations == least)


def best_keep_every(layers: int) -> int:
    """The k with the smallest peak memory; among ties the smallest k, which recomputes least."""
    return optimal_keep_every_values(layers)[0]


class CheckpointingLab:
    """:meth:`plan` for the chosen k (numbers verified), :meth:`sweep` for the memory/compute chart."""

    name: ClassVar[str] = "checkpointing"
    title: ClassVar[str] = "Trade compute for memory"
    Settings: ClassVar[type[CheckpointingSettings]] = CheckpointingSettings

    def __init__(self, settings: Mapping[str, Any] | CheckpointingSettings | None = None) -> None:
        self._settings = validate_settings(self.name, CheckpointingSettings, settings)

    @property
    def settings(self) -> CheckpointingSettings:
        return self._settings

    def configure(self, **changes: Any) -> None:
        self._settings = updated_settings(self.name, self._settings, changes)

    def reset(self) -> None:
        """Nothing to reset: results are pure functions of the settings."""

    def plan(self) -> CheckpointPlan:
        return checkpoint_plan(self._settings)

    def sweep(self) -> tuple[CheckpointPlan, ...]:
        return sweep(self._settings.layers)

    def best_keep_every(self) -> int:
        return best_keep_every(self._settings.layers)

    def snapshot(self) -> dict[str, Any]:
        return {
            "lab": self.name, "settings": self._settings.model_dump(), "plan": self.plan().as_dict(),
            "sweep": [
                {"keep_every": p.keep_every, "peak_activations": p.peak_activations,
                 "recomputed_evaluations": p.recomputed_evaluations}
                for p in self.sweep()
            ],
            "best_keep_every": self.best_keep_every(),
            "optimal_keep_every": list(optimal_keep_every_values(self._settings.layers)),
            "sqrt_layers": math.sqrt(self._settings.layers),
        }

    def questions(self) -> tuple[LabQuestion, ...]:
        return checkpointing_questions()


QUESTION_LAYERS = 100
QUESTION_KEEP_EVERY = 10
QUESTION_CHOICES = (2, 10, 50)


@functools.lru_cache(maxsize=1)
def checkpointing_questions() -> tuple[LabQuestion, ...]:
    plans = sweep(QUESTION_LAYERS)
    chosen = plans[QUESTION_KEEP_EVERY - 1]
    store_all = plans[0]
    questions = []
    peaks = {k: plans[k - 1].peak_activations for k in QUESTION_CHOICES}
    fewest = min(peaks, key=peaks.__getitem__)
    if sorted(peaks.values()).count(peaks[fewest]) == 1:  # only ask when one option is strictly best
        questions.append(
            LabQuestion(
                id="checkpointing.best-k",
                text=f"A chain of {QUESTION_LAYERS} layers: keeping every k-th activation, which k holds the fewest activations at the peak?",
                kind="choice",
                expected=f"k{fewest}",
                options=tuple(QuestionOption(f"k{k}", f"k = {k}") for k in QUESTION_CHOICES),
                explanation=("Few checkpoints mean long segments recomputed and held at once, many mean many checkpoints "
                             "held: the two balance when k is near sqrt(n)."),
                settings={"layers": QUESTION_LAYERS},
            )
        )
    questions.append(
        LabQuestion(
            id="checkpointing.peak",
            text=(
                f"Keeping every activation of {QUESTION_LAYERS} layers holds {store_all.peak_activations} at the peak "
                f"(the output included). Keeping every {QUESTION_KEEP_EVERY}th instead, how many are held at the peak?"
            ),
            kind="numeric",
            expected=str(chosen.peak_activations),
            tolerance=0.0,
            explanation="The checkpoints still needed, plus one segment's recomputed activations.",
            settings={"layers": QUESTION_LAYERS, "keep_every": QUESTION_KEEP_EVERY},
        )
    )
    questions.append(
        LabQuestion(
            id="checkpointing.recompute",
            text=(
                f"{QUESTION_LAYERS} layers, keeping every {QUESTION_KEEP_EVERY}th activation: how many extra layer "
                "evaluations does recomputation cost?"
            ),
            kind="numeric",
            expected=str(chosen.recomputed_evaluations),
            tolerance=0.0,
            explanation="Every activation that is neither a checkpoint nor the final output is computed a second time during backward.",
            settings={"layers": QUESTION_LAYERS, "keep_every": QUESTION_KEEP_EVERY},
        )
    )
    return tuple(questions)


__all__ = [
    "CheckpointPlan", "CheckpointingLab", "CheckpointingSettings", "best_keep_every", "checkpoint_plan",
    "optimal_keep_every_values", "simulate", "sweep",
]
