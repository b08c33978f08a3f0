"""The layer workspace: pilot tests of a learner filling in matrices, and snapshots at two sizes."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_ui_support import answer, async_test, loaded, make_app, no_blinking, settle, type_text, widget_text

LAYER_PACK = Path(__file__).parent / "fixtures" / "ui-layer-pack.yaml"
SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


def layer_app(tmp_path, **kwargs):
    return make_app(tmp_path, extra_packs=[LAYER_PACK], **kwargs)


async def open_layer_lesson(pilot) -> None:
    await loaded(pilot)
    await pilot.press("slash")
    await type_text(pilot, "matrices by hand")
    await pilot.press("enter")
    await settle(pilot)


def drawing_text(view) -> str:
    return widget_text(view.network_view.query_one("#network-picture"))


@async_test
async def test_filling_a_layer_problem_wrong_shape_transposed_then_right(tmp_path):
    app = layer_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_layer_lesson(pilot)
        view = app.screen.current_problem()
        assert type(view).__name__ == "LayerProblemView"
        assert [entry.ask for entry in view.progress.entries] == [
            "layer:z1", "layer:a1", "layer:dL/dz1", "layer:dL/dW1"]
        assert app.focused is view.rows[0].input
        picture = drawing_text(view)
        assert "Linear 1" in picture and "W1" in picture and "z1 (3, 1) = ?" in picture
        assert "dL/dW1 ?" in picture  # every entry asked is a ? from the start
        assert "dL/dz2" not in picture  # a gradient not asked is given only once everything before it is done

        await answer(pilot, "[-1; 3]")
        judgement = view.feedback.judgement
        # The first wrong shape of an entry costs no try: shown with the shape rule, like an unreadable answer.
        assert judgement.verdict == "invalid" and not view.rows[0].has_class("-incorrect")
        assert "(3, 1)" in judgement.message and "does not count" in widget_text(view.feedback, flat=True)
        assert view.wrong_tries.get("layer:z1", 0) == 0

        await answer(pilot, "[-1, 3, 1]")  # the wrong answer is selected, so typing replaces it
        assert view.feedback.judgement.diagnosis == "transposed"  # a second shape slip on z1 counts
        assert view.rows[0].has_class("-incorrect")
        assert "[v1; v2; v3]" in widget_text(view.feedback, flat=True)

        await answer(pilot, "[-1, 3")
        assert view.feedback.judgement.verdict == "invalid"
        assert "^" in widget_text(view.feedback)

        await answer(pilot, "[-1; 3; 1]")
        assert view.progress.status["layer:z1"] == "correct"
        assert "z1 (3, 1) = [-1; 3; 1]" in drawing_text(view)
        assert app.focused is view.rows[1].input

        await answer(pilot, "[-1; 3; 1]")  # a1 with the ReLU forgotten
        assert view.feedback.judgement.diagnosis == "missing-relu-mask"
        await answer(pilot, "[0; 3; 1]")
        # Unasked gradients before the first asked one are given: dL/dz2 and dL/da1 now show.
        picture = drawing_text(view)
        assert "dL/dz2 (1, 1) = 4" in picture and "dL/da1 (3, 1) = [4; 8; -4]" in picture
        assert "dL/dz1 (3, 1) = ?" in picture

        await answer(pilot, "[4; 8; -4]")
        assert view.feedback.judgement.diagnosis == "missing-relu-mask"
        await answer(pilot, "[0; 8; -4]")
        await answer(pilot, "[[0, 8, -4], [0, 16, -8]]")
        assert view.feedback.judgement.diagnosis == "transposed"
        assert view.completed is None

        await pilot.press("f6")  # the backward replay stays locked until the gradients are in
        await settle(pilot)
        assert "opens once you have filled in the gradients" in widget_text(view.feedback, flat=True)
        assert not view.network_view.in_playback

        await answer(pilot, "[[0, 0], [8, 16], [-4, -8]]")
        assert view.completed == "solved"
        assert "Every matrix is right" in widget_text(view.feedback, flat=True)
        # The backward pass replays layer by layer, ending at the last gradient asked.
        assert view.network_view.in_playback
        steps = view.network_view._steps
        assert [step.name for step in steps] == ["dL/dz2", "dL/dW2", "dL/db2", "dL/da1", "dL/dz1", "dL/dW1"]
        view.network_view.step(10)
        assert "dL/dW1 = dL/dz1 · xᵀ" in drawing_text(view)

        await settle(pilot)
        attempts = app.session.store.attempts(pack_id="ui-layer-fixture")
        verdicts = [(stored.attempt.verdict.value, stored.attempt.diagnosis) for stored in attempts]
        assert verdicts == [("invalid", None), ("incorrect", "transposed"), ("invalid", None),
                            ("incorrect", "missing-relu-mask"), ("incorrect", "missing-relu-mask"),
                            ("incorrect", "transposed"), ("correct", None)]
        assert "layer:dL/dW1=[[0, 0], [8, 16], [-4, -8]]" in attempts[-1].attempt.answer_text


@async_test
async def test_giving_up_reveals_every_matrix_and_replays_the_backward_pass(tmp_path):
    app = layer_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_layer_lesson(pilot)
        view = app.screen.current_problem()
        await pilot.press("ctrl+g", "ctrl+g")
        await settle(pilot)
        assert view.completed == "gave-up"
        assert [row.input.value for row in view.rows] == ["[-1; 3; 1]", "[0; 3; 1]", "[0; 8; -4]",
                                                          "[[0, 0], [8, 16], [-4, -8]]"]
        assert "Worked solution" in widget_text(view.feedback, flat=True)
        assert view.network_view.in_playback
        await pilot.press("f1")  # another screen on top: the replay pauses at its next tick
        await pilot.pause(0.2)
        assert not view.network_view.playing
        await pilot.press("escape")


@pytest.mark.parametrize("size", SIZES)
def test_layer_workspace_after_a_transposed_answer(snap_compare, tmp_path, size):
    async def run_before(pilot):
        await open_layer_lesson(pilot)
        for text in ("[-1; 3; 1]", "[0; 3; 1]", "[0; 8; -4]", "[[0, 8, -4], [0, 16, -8]]"):
            await answer(pilot, text)
        no_blinking(pilot.app)

    assert snap_compare(layer_app(tmp_path), terminal_size=size, run_before=run_before)


@async_test
async def test_graded_matrices_teach_the_layer_skills(tmp_path):
    app = layer_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_layer_lesson(pilot)
        view = app.screen.current_problem()
        await answer(pilot, "[-1, 3")  # unreadable: says nothing about a skill
        await answer(pilot, "[-1; 3; 1]")  # z1 right
        await answer(pilot, "[-1; 3; 1]")  # a1 with the ReLU forgotten
        await settle(pilot)
        assert view.progress.status["layer:z1"] == "correct"
        events = [(e.skill, e.correct, e.diagnosis) for e in app.session.skill_events()]
        assert events == [("forward", True, None), ("layer-relu-mask", False, "missing-relu-mask")]
        await answer(pilot, "[0; 3; 1]")
        await answer(pilot, "[0; 8; -4]")  # dL/dz1 right, through the ReLU
        await settle(pilot)
        events = [(e.skill, e.correct) for e in app.session.skill_events()]
        assert events[2:] == [("forward", True), ("layer-shapes", True), ("layer-relu-mask", True),
                              ("upstream", True)]
