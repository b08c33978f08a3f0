"""A batch layer problem in the workspace: pilot tests of a learner filling in matrices with one column per
example, the batch diagnoses in the feedback, the drawing's batch shapes, and snapshots at two sizes."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_ui_support import answer, async_test, loaded, make_app, no_blinking, settle, type_text, widget_text

BATCH_PACK = Path(__file__).parent / "fixtures" / "ui-batch-pack.yaml"
LAYER_PACK = Path(__file__).parent / "fixtures" / "ui-layer-pack.yaml"
SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


def batch_app(tmp_path, **kwargs):
    return make_app(tmp_path, extra_packs=[BATCH_PACK, LAYER_PACK], **kwargs)


async def open_lesson_titled(pilot, words: str) -> None:
    await loaded(pilot)
    await pilot.press("slash")
    await type_text(pilot, words)
    await pilot.press("enter")
    await settle(pilot)


def drawing_text(view) -> str:
    return widget_text(view.network_view.query_one("#network-picture"))


@async_test
async def test_a_batch_of_two_is_filled_in_with_its_batch_mistakes_named(tmp_path):
    app = batch_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_lesson_titled(pilot, "a batch by hand")
        view = app.screen.current_problem()
        assert type(view).__name__ == "LayerProblemView"
        assert [entry.label for entry in view.progress.entries] == [
            "z1 (2, B=2)", "a1 (2, B=2)", "dL/dz2 (1, B=2)", "dL/dW1 (2, 2)", "dL/db1 (2, 1)"]
        picture = drawing_text(view)
        assert "X (2, B=2) = [[1, 0], [1, -1]]" in picture and "B = 2 examples, one per column" in picture
        assert "z1 = W1 · X + b1" in picture and "z1 (2, B=2) = ?" in picture
        assert "loss = mean over 2 examples of" in picture
        headings = [widget_text(heading, flat=True) for heading in view.query(".table-heading")]
        assert headings[0] == "Forward pass · B = 2 examples"
        assert headings[1] == "Backward pass: gradients"

        await answer(pilot, "[2; 2]")  # one example's z1 alone: a first wrong shape costs no try
        assert view.feedback.judgement.verdict == "invalid" and view.wrong_tries.get("layer:z1", 0) == 0
        assert "(2, 2)" in view.feedback.judgement.message
        await answer(pilot, "[[2, 1], [2, -2]]")
        assert view.progress.status["layer:z1"] == "correct"
        assert "z1 (2, B=2) = [[2, 1], [2, -2]]" in drawing_text(view)
        await answer(pilot, "[[2, 1], [2, 0]]")

        await answer(pilot, "[-2, -2]")  # z2 − T without the mean's 1/2
        judgement = view.feedback.judgement
        assert (judgement.verdict, judgement.diagnosis) == ("incorrect", "missing-batch-mean")
        assert "1/B is missing" in widget_text(view.feedback, flat=True)
        assert "[-1, -1]" not in widget_text(view.feedback, flat=True)  # the right matrix waits for the ladder
        await answer(pilot, "[-1, -1]")

        await answer(pilot, "[[2, 0], [-2, -2]]")  # the examples added up, never divided by B
        assert view.feedback.judgement.diagnosis == "sum-for-mean"
        await answer(pilot, "[[0, -1], [0, 0]]")  # example 2's outer product alone
        assert view.feedback.judgement.diagnosis == "batch-not-summed"
        assert "one example's share" in widget_text(view.feedback, flat=True)
        await answer(pilot, "[[1, 0], [-1, -1]]")
        assert view.progress.status["layer:dL/dW1"] == "correct"

        await answer(pilot, "[[1, 1], [-1, 0]]")  # dL/dz1 itself, one column per example
        assert view.feedback.judgement.diagnosis == "batch-not-summed"
        assert "one column per example" in widget_text(view.feedback, flat=True)
        assert view.completed is None
        await answer(pilot, "[2; -1]")
        assert view.completed == "solved"
        assert view.network_view.in_playback  # the backward pass replays, up to the last gradient asked
        assert [step.name for step in view.network_view._steps][-3:] == ["dL/dz1", "dL/dW1", "dL/db1"]
        view.network_view.step(10)
        assert "dL/db1 = row sums of dL/dz1 = [2; -1]" in drawing_text(view)

        await settle(pilot)
        attempts = app.session.store.attempts(pack_id="ui-batch-fixture")
        verdicts = [(stored.attempt.verdict.value, stored.attempt.diagnosis) for stored in attempts]
        assert verdicts == [("invalid", None), ("incorrect", "missing-batch-mean"),
                            ("incorrect", "sum-for-mean"), ("incorrect", "batch-not-summed"),
                            ("incorrect", "batch-not-summed"), ("correct", None)]


@async_test
async def test_one_example_keeps_its_plain_shapes_and_headings(tmp_path):
    app = batch_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_lesson_titled(pilot, "matrices by hand")
        view = app.screen.current_problem()
        assert view.progress.batch == 1
        assert [entry.label for entry in view.progress.entries] == [
            "z1 (3, 1)", "a1 (3, 1)", "dL/dz1 (3, 1)", "dL/dW1 (3, 2)"]
        picture = drawing_text(view)
        assert "x (2, 1) = [1; 2]" in picture and "B=" not in picture and "examples" not in picture
        assert widget_text(view.query(".table-heading").first(), flat=True) == "Forward pass"


@async_test
async def test_giving_up_on_a_batch_reveals_the_matrices_and_the_worked_solution(tmp_path):
    app = batch_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_lesson_titled(pilot, "a batch by hand")
        view = app.screen.current_problem()
        await pilot.press("ctrl+g", "ctrl+g")
        await settle(pilot)
        assert view.completed == "gave-up"
        assert [row.input.value for row in view.rows] == [
            "[[2, 1], [2, -2]]", "[[2, 1], [2, 0]]", "[[-1, -1]]", "[[1, 0], [-1, -1]]", "[2; -1]"]
        solution = widget_text(view.feedback, flat=True)
        assert "dL/dz2 = (z2 − T) / 2" in solution and "dL/db1 = row sums of dL/dz1" in solution
        await pilot.press("escape")


@pytest.mark.parametrize("size", SIZES)
def test_batch_workspace_after_a_sum_for_mean_answer(snap_compare, tmp_path, size):
    async def run_before(pilot):
        await open_lesson_titled(pilot, "a batch by hand")
        for text in ("[[2, 1], [2, -2]]", "[[2, 1], [2, 0]]", "[-1, -1]", "[[2, 0], [-2, -2]]"):
            await answer(pilot, text)
        no_blinking(pilot.app)

    assert snap_compare(batch_app(tmp_path), terminal_size=size, run_before=run_before)


# ---------------------------------------------------------------------------- the built-in lesson

COURSE = Path(__file__).resolve().parents[1] / "lessons" / "backprop"


def course_app(tmp_path):
    return make_app(tmp_path, extra_packs=[COURSE])


async def open_batches_at(pilot, problem_id: str):
    """Open the course's lesson 'Batches' and page to the step ``problem_id``; its view."""
    app = pilot.app
    await loaded(pilot)
    app.open_lesson(next(entry for entry in app.session.lessons() if entry.key.lesson_id == "batches").key)
    await settle(pilot)
    for _ in range(12):
        view = app.screen.current_problem()
        if view is not None and view.problem.id == problem_id:
            return view
        await pilot.press("pagedown")
        await settle(pilot)
    raise AssertionError(f"no step {problem_id}")


@async_test
async def test_the_course_lesson_batch_of_two_by_hand(tmp_path):
    app = course_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_batches_at(pilot, "batch-of-two-by-hand")
        assert [entry.label for entry in view.progress.entries] == ["dL/dW1 (2, 2)", "dL/db1 (2, 1)"]
        picture = drawing_text(view)
        assert "X (2, B=2) = [[1, 3], [0, 1]]" in picture and "dL/dz1 (2, B=2) = [[0.5, 1], [0, 1]]" in picture
        await answer(pilot, "[[3, 1], [3, 1]]")  # example 2's share alone
        assert view.feedback.judgement.diagnosis == "batch-not-summed"
        await answer(pilot, "[[7, 2], [6, 2]]")  # the examples' own gradients added, without the 1/2
        assert view.feedback.judgement.diagnosis == "sum-for-mean"
        await answer(pilot, "[[3.5, 1], [3, 1]]")
        await answer(pilot, "[[0.5, 1], [0, 1]]")
        assert view.feedback.judgement.diagnosis == "batch-not-summed"
        await answer(pilot, "[1.5; 1]")
        assert view.completed == "solved"
        await settle(pilot)
        attempts = app.session.store.attempts(pack_id="backprop")
        assert [(stored.attempt.verdict.value, stored.attempt.diagnosis) for stored in attempts] == [
            ("incorrect", "batch-not-summed"), ("incorrect", "sum-for-mean"), ("incorrect", "batch-not-summed"),
            ("correct", None)]


@async_test
async def test_the_course_lesson_sum_reduction_and_learning_rate(tmp_path):
    app = course_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_batches_at(pilot, "batch-sum-reduction")
        assert "loss = sum over 2 examples of" in drawing_text(view)
        await answer(pilot, "[[0.5, 1], [0, 1]]")  # the mean's δ where the sum was asked
        assert view.feedback.judgement.diagnosis == "mean-for-sum"
        for text in ("[[1, 2], [0, 2]]", "[[7, 2], [6, 2]]", "[3; 2]"):
            await answer(pilot, text)
        assert view.completed == "solved"
        await pilot.press("pagedown")
        await settle(pilot)
        numeric = app.screen.current_problem()
        assert numeric.problem.id == "batch-effective-learning-rate"
        await answer(pilot, "0.001/32")
        assert numeric.feedback.judgement.diagnosis == "lr-divided-by-b"
        await answer(pilot, "0.001*32")
        assert numeric.completed == "solved"


@pytest.mark.parametrize("size", SIZES)
def test_course_batch_of_two_after_one_example_alone(snap_compare, tmp_path, size):
    async def run_before(pilot):
        await open_batches_at(pilot, "batch-of-two-by-hand")
        await answer(pilot, "[[3, 1], [3, 1]]")
        no_blinking(pilot.app)

    assert snap_compare(course_app(tmp_path), terminal_size=size, run_before=run_before)
