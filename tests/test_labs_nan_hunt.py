"""NaN-hunt lab: each bug's measured effect, failures as data (located by epoch, layer and op), passing."""

from __future__ import annotations

import itertools
import math

import pytest

from tutor.labs import LabSettingsError
from tutor.labs.nan_hunt import (
    FIX_IDS,
    NanHuntLab,
    NanHuntSettings,
    missing_one,
    nan_hunt_questions,
    run_configuration,
)

ALL = frozenset(FIX_IDS)


def _run(fixes: frozenset[str], seed: int = 1, data: str = "fixed"):
    return run_configuration(NanHuntSettings.with_fixes(fixes, data=data), lambda: seed)


def test_all_five_fixes_pass_with_a_finite_falling_loss() -> None:
    lab = NanHuntLab({f"fix_{fix_id}": True for fix_id in FIX_IDS} | {"data": "fixed"})
    assert not lab.passed  # nothing has run yet
    run = lab.run()
    assert run.failure is None and len(run.loss_history) == lab.settings.epochs
    assert all(math.isfinite(loss) for loss in run.loss_history)
    assert all(later < earlier for earlier, later in zip(run.loss_history, run.loss_history[1:]))
    assert run.loss_history[-1] < 0.75 * run.loss_history[0]
    assert lab.passed


def test_the_broken_loop_fails_as_data_not_as_an_exception() -> None:
    run = NanHuntLab(entropy=lambda: 3).run()
    assert run.failure is not None and run.failure.kind == "domain"
    assert run.failure.describe().startswith(f"first NaN/inf at epoch {run.failure.step}, loss, log: log is only defined")
    assert (run.failure.layer, run.failure.op, run.failure.phase) == ("loss", "log", "forward")
    assert len(run.loss_history) == run.failure.step


def test_missing_learning_rate_fix_blows_up_to_a_non_finite_loss() -> None:
    for data in ("fixed", "fresh"):
        run = _run(ALL - {"learning_rate"}, data=data)
        assert run.failure is not None and run.failure.kind in ("non-finite value", "non-finite gradient")
        assert run.loss_history[1] > 10 * run.loss_history[0]  # growing from the first update on
        assert run.failure.layer.startswith("layer") or run.failure.layer == "loss"


def test_missing_loss_fix_takes_the_log_of_a_negative_output() -> None:
    run = _run(ALL - {"loss"})
    assert run.failure is not None and run.failure.kind == "domain" and "log" in run.failure.message


def test_missing_zero_grad_fix_stops_the_loss_falling_steadily() -> None:
    run = _run(ALL - {"zero_grad"})
    assert run.failure is None and not run.finite_and_decreasing


def test_missing_activation_fix_still_trains_but_is_not_a_pass() -> None:
    settings = missing_one("activation", data="fixed")
    lab = NanHuntLab(settings)
    run = lab.run()
    assert run.finite_and_decreasing and not lab.passed


def test_missing_seed_fix_makes_runs_unrepeatable() -> None:
    first, second, again = _run(ALL - {"seed"}, 1), _run(ALL - {"seed"}, 2), _run(ALL - {"seed"}, 1)
    assert first.seed_used == 1 and second.seed_used == 2
    assert first.loss_history != second.loss_history
    assert first.loss_history == again.loss_history
    seeded = [_run(ALL, seed, data="fresh") for seed in (1, 2)]
    assert seeded[0].loss_history == seeded[1].loss_history  # the fix ignores the entropy source


def test_no_configuration_raises() -> None:
    for size in range(len(FIX_IDS) + 1):
        for fixes in itertools.combinations(FIX_IDS, size):
            for size in ("module", "small"):
                settings = NanHuntSettings.with_fixes(frozenset(fixes), epochs=15, size=size)
                run = run_configuration(settings, lambda: 5)
                assert run.failure is not None or len(run.loss_history) == 15


def test_stepping_in_chunks_equals_one_run() -> None:
    chunked = NanHuntLab(missing_one("learning_rate"))
    for _ in range(30):
        chunked.step(5)
    whole = NanHuntLab(missing_one("learning_rate"))
    assert chunked.current_run() == whole.run()


def test_toggles_validate_and_reset() -> None:
    lab = NanHuntLab(entropy=lambda: 9)
    lab.set_fix("loss", True)
    assert lab.fixes_on == {"loss"} and lab.current_run().loss_history == ()
    with pytest.raises(ValueError, match="unknown fix 'optimizer'"):
        lab.set_fix("optimizer", True)
    with pytest.raises(LabSettingsError, match="epochs"):
        lab.configure(epochs=0)
    with pytest.raises(ValueError, match="unknown fix"):
        NanHuntSettings.with_fixes({"seed", "adam"})
    snapshot = lab.snapshot()
    assert [fix["on"] for fix in snapshot["fixes"]] == [fix_id == "loss" for fix_id in FIX_IDS]


def test_questions_match_the_runs() -> None:
    questions = {question.id: question for question in nan_hunt_questions()}
    assert len(questions) >= 2
    step_question = questions["nan-hunt.learning-rate-failure-step"]
    run = NanHuntLab(step_question.settings).run()
    assert run.failure is not None and int(step_question.expected) == run.failure.step
    assert questions["nan-hunt.domain-error"].expected == "loss"
    assert questions["nan-hunt.first-nan-op"].expected == "log"
    layer_question = questions["nan-hunt.learning-rate-failure-layer"]
    assert layer_question.expected == run.failure.layer
    assert questions["nan-hunt.unrepeatable"].expected == "seed"


def test_the_module_sizes_are_the_default() -> None:
    lab = NanHuntLab(entropy=lambda: 1)
    snapshot = lab.snapshot()
    assert snapshot["sizes"] == [10, 50, 50, 1] and snapshot["batch_size"] == 32
    assert lab.settings.epochs == 100 and lab.settings.data == "fresh"
    weights = [tensor.data.shape for tensor in lab._loop.parameters]
    assert weights == [(10, 50), (1, 50), (50, 50), (1, 50), (50, 1), (1, 1)]
    small = NanHuntLab({"size": "small"}, entropy=lambda: 1)
    assert small.snapshot()["sizes"] == [4, 8, 8, 1] and small.snapshot()["batch_size"] == 8


def test_fresh_batches_make_even_the_fixed_loop_wander() -> None:
    # The module's code draws new inputs and targets every epoch: noise, nothing to learn. The
    # fixed loop stays finite (a pass) but its loss does not fall at every epoch; with one batch
    # reused it does.
    fresh = NanHuntLab(NanHuntSettings.with_fixes(ALL, data="fresh"))
    fresh.run()
    assert fresh.passed and not fresh.current_run().finite_and_decreasing
    fixed = NanHuntLab(NanHuntSettings.with_fixes(ALL, data="fixed"))
    assert fixed.run().finite_and_decreasing and fixed.passed


def test_a_run_that_stays_finite_without_every_fix_is_not_a_pass() -> None:
    lab = NanHuntLab(NanHuntSettings.with_fixes(ALL - {"zero_grad"}))
    assert lab.run().finite and not lab.passed


def test_the_first_non_finite_gradient_is_located_in_the_backward_pass() -> None:
    # log of a tiny positive output is finite (about -714) but its slope 1/output overflows:
    # the forward pass is clean and the first inf is the gradient reaching layer 3's "+ b".
    from tutor.labs.nan_hunt import _TrainingLoop

    loop = _TrainingLoop(NanHuntSettings.with_fixes({"seed"}, data="fixed"), 42)
    weight, bias = loop.layers[2]
    weight.data[:] = 0.0
    bias.data[:] = 1e-310
    loop.step()
    failure = loop.failure
    assert failure is not None and failure.step == 0
    assert (failure.kind, failure.phase, failure.layer, failure.op) == ("non-finite gradient", "backward", "layer 3", "+ b")
    assert "inf" in failure.message and failure.describe().endswith(failure.message)


def test_weights_that_overflowed_are_named_as_weights() -> None:
    from tutor.labs.nan_hunt import _TrainingLoop

    loop = _TrainingLoop(NanHuntSettings.with_fixes(ALL, data="fixed"), 42)
    loop.layers[1][0].data[3, 4] = float("inf")
    loop.step()
    assert loop.failure is not None
    assert (loop.failure.layer, loop.failure.op, loop.failure.kind) == ("layer 2", "weights W2", "non-finite value")
