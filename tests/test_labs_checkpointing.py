"""Checkpointing lab: same gradients as plain backprop, memory vs recomputation, the sqrt(n) optimum."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tutor.labs import LabSettingsError, create_lab
from tutor.labs.checkpointing import (
    CheckpointingLab,
    CheckpointingSettings,
    best_keep_every,
    checkpoint_plan,
    checkpointing_questions,
    optimal_keep_every_values,
    simulate,
    sweep,
)


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_checkpointed_gradients_equal_plain_backprop(data: st.DataObject) -> None:
    layers = data.draw(st.integers(1, 40))
    keep_every = data.draw(st.integers(1, layers))
    width = data.draw(st.integers(1, 5))
    seed = data.draw(st.integers(0, 1000))
    plan = checkpoint_plan(CheckpointingSettings(layers=layers, keep_every=keep_every, width=width, seed=seed))
    assert plan.gradients_match is True


def test_gradients_really_are_compared() -> None:
    # Guard against a vacuous check: different weights must give different gradients.
    _, first = simulate(6, 2, compute=True, width=3, seed=1)
    _, second = simulate(6, 2, compute=True, width=3, seed=2)
    assert not all((a == b).all() for a, b in zip(first, second))


@pytest.mark.parametrize("layers", [10, 16, 50, 100, 200, 256, 400])
def test_the_memory_optimum_is_near_sqrt_n(layers: int) -> None:
    root = math.sqrt(layers)
    optimal = optimal_keep_every_values(layers)
    assert round(root) in optimal  # sqrt(n) itself is on the optimal plateau
    assert root / 2 <= min(optimal) and max(optimal) <= 2 * root
    least = sweep(layers)[optimal[0] - 1].peak_activations
    assert least <= 2 * root  # about 2 sqrt(n) activations ...
    assert sweep(layers)[0].peak_activations == layers + 1  # ... instead of all n (plus the output)
    assert best_keep_every(layers) == optimal[0]


@pytest.mark.parametrize("layers", [7, 100, 333])
def test_recomputation_costs_at_most_one_extra_forward_pass(layers: int) -> None:
    for plan in sweep(layers):
        assert plan.forward_evaluations == layers
        assert plan.recomputed_evaluations == layers - len(plan.checkpoints)
        assert plan.checkpoints == tuple(range(0, layers, plan.keep_every))
    assert sweep(layers)[0].recomputed_evaluations == 0  # keeping everything recomputes nothing


def test_memory_falls_then_rises_with_k() -> None:
    peaks = [plan.peak_activations for plan in sweep(100)]
    best = peaks.index(min(peaks))
    assert peaks[0] > peaks[best] < peaks[-1]
    assert peaks[-1] == 100  # one checkpoint, the whole chain recomputed and held at once


def test_settings_are_validated_together() -> None:
    with pytest.raises(LabSettingsError, match=r"keep_every \(12\) can't be more than layers \(10\)"):
        create_lab("checkpointing", {"layers": 10, "keep_every": 12})
    lab = CheckpointingLab({"keep_every": 10})
    with pytest.raises(LabSettingsError, match="keep_every"):
        lab.configure(layers=5)  # keep_every 10 no longer fits
    lab.configure(layers=5, keep_every=2)
    assert lab.plan().checkpoints == (0, 2, 4)


def test_snapshot_has_the_sweep() -> None:
    snapshot = CheckpointingLab({"layers": 36, "keep_every": 6}).snapshot()
    assert len(snapshot["sweep"]) == 36
    assert snapshot["plan"]["gradients_match"] is True
    assert 6 in snapshot["optimal_keep_every"] and snapshot["sqrt_layers"] == 6.0


def test_questions_match_the_simulation() -> None:
    questions = {question.id: question for question in checkpointing_questions()}
    choice = questions["checkpointing.best-k"]
    layers = choice.settings["layers"]
    options = {option.id: int(option.id[1:]) for option in choice.options}
    peaks = {option: sweep(layers)[k - 1].peak_activations for option, k in options.items()}
    assert choice.expected == min(peaks, key=peaks.__getitem__)
    for question_id, field in (("checkpointing.peak", "peak_activations"), ("checkpointing.recompute", "recomputed_evaluations")):
        question = questions[question_id]
        plan = simulate(question.settings["layers"], question.settings["keep_every"])[0]
        assert int(question.expected) == getattr(plan, field)
