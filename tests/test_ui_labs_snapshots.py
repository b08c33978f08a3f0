"""Snapshots of every lab at 120x40 (pytest-textual-snapshot; update with --snapshot-update).

Deterministic by construction: fixed seeds (the NaN hunt's "no seed" draws from a pinned
function), a fixed amount of training finished before the capture, no cursor blinking, no
worker running, no toast on screen.
"""

from __future__ import annotations

from test_ui_labs_support import answer, lab_app, settle, wrong_answer

SIZE = (120, 40)


def test_xor_lab_after_a_full_run(snap_compare):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)

    assert snap_compare(lab_app("xor"), terminal_size=SIZE, run_before=run_before)


def test_vanishing_lab_sigmoid_stack(snap_compare):
    async def run_before(pilot):
        await settle(pilot)

    assert snap_compare(lab_app("vanishing", {"depth": 12}), terminal_size=SIZE, run_before=run_before)


def test_gradcheck_lab_with_a_planted_bug(snap_compare):
    async def run_before(pilot):
        await settle(pilot)

    assert snap_compare(lab_app("gradcheck", {"plant_bug": True}), terminal_size=SIZE, run_before=run_before)


def test_clipping_lab_by_value_after_a_wrong_answer(snap_compare):
    async def run_before(pilot):
        await settle(pilot)
        panel = pilot.app.screen.query_one("QuestionPanel")
        await answer(pilot, panel, panel.current, wrong_answer(panel.current))

    assert snap_compare(lab_app("clipping", {"method": "value"}), terminal_size=SIZE, run_before=run_before)


def test_nan_hunt_lab_with_three_fixes(snap_compare):
    settings = {"fix_loss": True, "fix_zero_grad": True, "fix_activation": True}

    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("r")  # the lab opens with the loop not yet run
        await settle(pilot)

    assert snap_compare(lab_app("nan-hunt", settings), terminal_size=SIZE, run_before=run_before)


def test_checkpointing_lab_default_chain(snap_compare):
    async def run_before(pilot):
        await settle(pilot)

    assert snap_compare(lab_app("checkpointing"), terminal_size=SIZE, run_before=run_before)


def test_nan_hunt_lab_as_written_at_80_by_24(snap_compare):
    # The module's loop at its own size, seeded, nothing else fixed: the first NaN is the loss's log.
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("r")  # the lab opens with the loop not yet run
        await settle(pilot)

    assert snap_compare(lab_app("nan-hunt", {"fix_seed": True}), terminal_size=(80, 24), run_before=run_before)


def test_nan_hunt_lab_all_but_the_learning_rate_at_120_by_40(snap_compare):
    settings = {"fix_seed": True, "fix_loss": True, "fix_zero_grad": True, "fix_activation": True}

    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("r")  # the lab opens with the loop not yet run
        await settle(pilot)

    assert snap_compare(lab_app("nan-hunt", settings), terminal_size=SIZE, run_before=run_before)


def test_gradient_flow_lab_as_written_at_120_by_40(snap_compare):
    async def run_before(pilot):
        await settle(pilot)

    assert snap_compare(lab_app("gradient-flow"), terminal_size=SIZE, run_before=run_before)


def test_gradient_flow_lab_sigmoid_deep_at_80_by_24(snap_compare):
    async def run_before(pilot):
        await settle(pilot)

    settings = {"activation": "sigmoid", "extra_layers": 8}
    assert snap_compare(lab_app("gradient-flow", settings), terminal_size=(80, 24), run_before=run_before)


def test_gradient_flow_lab_every_parameter_with_batch_norm_at_120_by_40(snap_compare):
    async def run_before(pilot):
        await settle(pilot)

    settings = {"activation": "sigmoid", "extra_layers": 8, "batch_norm": True, "parameters": "all"}
    assert snap_compare(lab_app("gradient-flow", settings), terminal_size=SIZE, run_before=run_before)
