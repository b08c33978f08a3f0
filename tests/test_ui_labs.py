"""Pilot tests of the lab screens: open each lab, change a control, answer its questions right and wrong.

The expected answers come from the lab cores (``lab.questions()``), never from this file; a wrong
answer is built to be outside the question's tolerance.
"""

from __future__ import annotations

import asyncio

import pytest
from test_ui_labs_support import answer, async_test, lab_app, settle, text_of, wrong_answer

from tutor.labs import LAB_NAMES
from tutor.ui.labs.controls import format_setting


async def answer_every_question(pilot, screen) -> None:
    """Each question: a wrong answer (marked wrong, nothing solved), then the right one."""
    panel = screen.query_one("QuestionPanel")
    assert panel.loaded and len(panel.questions) >= 2
    for position, question in enumerate(panel.questions):
        assert panel.index == position
        await answer(pilot, panel, question, wrong_answer(question))
        state = panel.states[question.id]
        assert state.judgement.verdict == "incorrect", question.id
        assert not state.solved and state.wrong == 1
        assert "not" in text_of(panel.query_one("#question-feedback")).lower()
        assert not screen.finished

        await answer(pilot, panel, question, question.expected)
        assert state.judgement.verdict == "correct", (question.id, state.judgement)
        assert state.solved
        assert "Correct" in text_of(panel.query_one("#question-feedback"))
        await pilot.press("pagedown")
        await pilot.pause()
    assert panel.all_settled
    assert screen.finished
    assert "Lab complete" in text_of(screen.query_one("#lab-status"))


# ---------------------------------------------------------------------- each lab: a control and its questions


@async_test
async def test_xor_learning_rate_steps_training_and_questions():
    app = lab_app("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert type(screen).__name__ == "XorLabScreen"
        field = screen.query_one("#setting-learning_rate")
        field.focus()
        field.value = ""
        await pilot.press("2", "enter")
        await settle(pilot)
        assert screen.lab.settings.learning_rate == 2.0

        # Letters reach the screen's keys even from inside a number field.
        await pilot.press("s", "s", "s")
        await settle(pilot)
        assert screen.lab.epochs_trained == 30
        assert "epoch 30" in text_of(screen.query_one("#lab-readout"))
        assert len(screen.last_snapshot["loss_history"]) == 30

        await pilot.press("x")
        await settle(pilot)
        assert screen.lab.epochs_trained == 0
        await answer_every_question(pilot, screen)


@async_test
async def test_xor_opens_one_samples_loss_graph_with_the_current_weights():
    app = lab_app("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        await pilot.press("s")
        await settle(pilot)
        screen.query_one("#graph-sample").value = 3
        await pilot.press("g")
        await pilot.pause()
        playground = app.screen
        assert type(playground).__name__ == "PlaygroundScreen"
        program, values = screen.lab.sample_loss_program(3)
        assert playground.initial_program == "; ".join(program.splitlines())
        for name, value in values.items():
            assert f"{name} = {value:.6g}" in playground.initial_values
        for _ in range(50):  # the playground builds the graph in its own worker: wait for it and its messages
            if playground.query("TraceProblemView"):
                break
            await app.workers.wait_for_complete([worker for worker in app.workers if worker.group == "playground"])
            await pilot.pause()
        assert playground.query("TraceProblemView"), "the sample's graph was not built"
        assert playground.query_one("#playground-error").has_class("-hidden")
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen


@async_test
async def test_xor_run_reaches_a_small_loss_with_mean_error():
    app = lab_app("xor", {"learning_rate": 0.5, "reduction": "mean", "seed": 4})
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        await pilot.press("r")
        await settle(pilot)
        assert screen.lab.epochs_trained == 1000
        assert screen.lab.current_loss() < 0.01
        assert not screen.running
        assert "run finished" in text_of(screen.query_one("#lab-status"))
        assert not screen.query_one("#lab-progress").has_class("-running")


async def training_under_way(pilot, screen) -> None:
    """Wait (on the worker's messages, not a clock) until the training worker has reported some epochs."""
    for _ in range(2000):
        await pilot.pause()
        if screen.query_one("#lab-progress").progress:
            return
    raise AssertionError("the training worker reported no progress")


def test_xor_pause_stops_training_and_the_screen_stays_responsive():
    # The assertion that no epoch is trained after the pause is made once asyncio.run has returned:
    # it joins every worker thread, so a training worker the pause failed to stop would have trained on.
    async def session():
        app = lab_app("xor", {"epochs": 100000})
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            screen = app.screen
            screen.action_run()
            await training_under_way(pilot, screen)
            assert screen.running
            assert screen.query_one("#lab-progress").has_class("-running")
            # Keys are handled while the worker trains.
            await pilot.press("pagedown")
            await pilot.pause()
            assert screen.query_one("QuestionPanel").index == 1
            await pilot.press("r")  # pause
            with screen.lab_lock:  # the chunk in progress, if any, has finished; the worker stops at the next
                stopped_at = screen.lab.epochs_trained
            await pilot.pause()
            assert 0 < stopped_at < 100000
            assert not screen.running
            assert "paused" in text_of(screen.query_one("#lab-status"))
            return screen, stopped_at

    screen, stopped_at = asyncio.run(session())
    assert screen.lab.epochs_trained == stopped_at


def test_leaving_the_lab_stops_its_training_worker():
    # Checked after asyncio.run has returned, which joins every worker thread (see above).
    async def session():
        app = lab_app("xor", {"epochs": 100000})
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            screen = app.screen
            screen.action_run()
            await training_under_way(pilot, screen)
            assert screen.running
            await pilot.press("escape")
            await pilot.pause()
        return screen, screen.lab.epochs_trained

    screen, left_at = asyncio.run(session())
    # At most the chunk in progress when the screen closed may still have finished.
    assert screen.lab.epochs_trained - left_at <= screen.TRAIN_CHUNK
    assert screen.lab.epochs_trained < 100000


@async_test
async def test_vanishing_depth_arrow_keys_and_questions():
    app = lab_app("vanishing")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        depth = screen.query_one("#setting-depth")
        depth.focus()
        await pilot.press("up")
        await settle(pilot)
        assert screen.lab.settings.depth == 11
        assert screen.last_result.settings.depth == 11
        assert "red line" in text_of(screen.query_one("#lab-readout"))
        assert len(screen.last_result.weight_gradient_norms) == 11
        # Held down: the stack is recomputed for the depth the keys stop at.
        await pilot.press("up", "up", "up", "up")
        await settle(pilot)
        assert screen.lab.settings.depth == 15
        assert screen.last_result.settings.depth == 15
        await answer_every_question(pilot, screen)
        # The bound a question asked for is written out once that question is answered.
        assert "0.25^15 = " in text_of(screen.query_one("#lab-readout"))


@async_test
async def test_gradcheck_bug_switch_and_questions():
    app = lab_app("gradcheck")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert screen.last_result.verdict == "imprecise"  # epsilon 1e-2: not the best one, which a question asks for
        switch = screen.query_one("#setting-plant_bug")
        switch.focus()
        await pilot.press("space")
        await settle(pilot)
        assert screen.lab.settings.plant_bug is True
        assert screen.last_result.verdict == "wrong"
        readout = text_of(screen.query_one("#lab-readout"))
        assert "wrong" in readout and "planted bug" in readout

        epsilon = screen.query_one("#setting-epsilon")
        epsilon.focus()
        await pilot.press("down")  # epsilon steps by a factor of 10
        await settle(pilot)
        assert screen.lab.settings.epsilon == pytest.approx(1e-3)
        assert epsilon.value == "0.001"
        await answer_every_question(pilot, screen)


@async_test
async def test_clipping_method_select_and_questions():
    app = lab_app("clipping")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert screen.last_result.method == "norm" and screen.last_result.keeps_direction
        method = screen.query_one("#setting-method")
        method.focus()
        await pilot.press("enter")  # open the list
        await pilot.pause()
        await pilot.press("up", "enter")  # "value" is above "norm"
        await settle(pilot)
        assert screen.lab.settings.method == "value"
        assert screen.last_result.method == "value"
        assert not screen.last_result.keeps_direction
        await answer_every_question(pilot, screen)


@async_test
async def test_nan_hunt_all_five_fixes_pass_and_questions():
    app = lab_app("nan-hunt", {"epochs": 30})
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert not screen.last_snapshot["loss_history"] and screen.last_snapshot["failure"] is None  # not run yet
        await pilot.press("r")
        await settle(pilot)
        assert screen.last_snapshot["failure"] is not None  # the broken loop breaks
        for fix_id in ("seed", "activation", "learning_rate", "loss", "zero_grad"):
            assert not screen.ever_passed
            switch = screen.query_one(f"#setting-fix_{fix_id}")
            switch.focus()
            await pilot.press("space")
            await settle(pilot)
        assert screen.lab.fixes_on == {"seed", "activation", "learning_rate", "loss", "zero_grad"}
        assert screen.last_snapshot["passed"]
        assert screen.ever_passed
        assert "Passed" in text_of(screen.query_one("#lab-readout"))
        await answer_every_question(pilot, screen)


@async_test
async def test_nan_hunt_is_not_finished_by_the_questions_alone():
    app = lab_app("nan-hunt")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        panel = screen.query_one("QuestionPanel")
        for question in panel.questions:
            await answer(pilot, panel, question, question.expected)
            await pilot.press("pagedown")
        assert panel.all_settled
        assert not screen.finished  # the five fixes are still to be found


@async_test
async def test_xor_module_button_runs_the_exercise_as_written_beside_its_claims():
    from tutor.labs.xor import MODULE_SETTINGS, module_printout

    app = lab_app("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        await pilot.press("m")
        await settle(pilot)
        assert screen.lab.settings == MODULE_SETTINGS
        assert screen.query_one("#setting-seed").value == "42"
        assert "press r to run its 1000 epochs" in text_of(screen.query_one("#lab-readout"))
        await pilot.press("r")
        await settle(pilot)
        assert screen.lab.epochs_trained == 1000
        readout = text_of(screen.query_one("#lab-readout"))
        printout = module_printout()
        epoch_900 = printout.losses[-1][1]
        assert f"900: {epoch_900:.4f}/0.0123" in readout
        assert f"(0,0) {printout.predictions[0][1]:.3f}/0.012" in readout
        # Another setting: no longer the module's run, so no comparison.
        screen.query_one("#setting-update_mode").value = "full-batch"
        await settle(pilot)
        assert "what the module's code prints" not in text_of(screen.query_one("#lab-readout"))


@async_test
async def test_nan_hunt_runs_at_the_module_size_and_names_the_first_nan():
    app = lab_app("nan-hunt", {"fix_seed": True})
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert screen.last_snapshot["sizes"] == [10, 50, 50, 1] and screen.last_snapshot["batch_size"] == 32
        assert "not run yet" in text_of(screen.query_one("#lab-readout"))
        await pilot.press("r")
        await settle(pilot)
        readout = text_of(screen.query_one("#lab-readout"))
        assert "epoch 0 · loss, log" in readout and "log is only defined for positive numbers" in readout
        assert "10-50-50-1, batch 32" in text_of(screen.query_one("#lab-status"))
        # Every fix but the learning rate: the first inf is inside the network, a few epochs in.
        for fix_id in ("activation", "loss", "zero_grad"):
            screen.query_one(f"#setting-fix_{fix_id}").focus()
            await pilot.press("space")
            await settle(pilot)
        failure = screen.last_snapshot["failure"]
        assert failure is not None and failure["step"] > 0 and failure["layer"].startswith("layer")
        assert f"epoch {failure['step']} · {failure['where']}" in text_of(screen.query_one("#lab-readout"))
        screen.query_one("#setting-fix_learning_rate").focus()
        await pilot.press("space")
        await settle(pilot)
        snapshot = screen.last_snapshot
        assert snapshot["passed"] and len(snapshot["loss_history"]) == 100
        # Fresh random targets every epoch: finite, yet not falling at every epoch; one batch reused: falling.
        assert "nothing to learn" in text_of(screen.query_one("#lab-readout"))
        screen.query_one("#setting-data").value = "fixed"
        await settle(pilot)
        assert screen.last_snapshot["finite_and_decreasing"] and screen.last_snapshot["settings"]["data"] == "fixed"
        assert "falls at every epoch" in text_of(screen.query_one("#lab-readout"))


@async_test
async def test_gradient_flow_switches_patterns_and_questions():
    app = lab_app("gradient-flow")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        result = screen.last_result
        assert [stats.shape for stats in result.shown] == [(784, 256), (256, 128), (128, 10)]
        assert result.patterns() == ("healthy",)
        # The pattern is the learner's to name while the pattern questions are open.
        assert "shown here once answered" in text_of(screen.query_one("#lab-readout"))
        for page in screen.query("ChartPage"):
            assert "· log" in text_of(page.query_one(".chart-caption"))
        screen.query_one("#setting-activation").value = "sigmoid"
        await settle(pilot)
        assert screen.last_result.settings.activation == "sigmoid"
        assert screen.last_result.patterns() == ("vanishing",)
        assert "vanishing" not in text_of(screen.query_one("#lab-readout"))
        field = screen.query_one("#setting-extra_layers")
        field.focus()
        await pilot.press("up", "up", "up")
        await settle(pilot)
        assert screen.last_result.settings.extra_layers == 3 and len(screen.last_result.shown) == 6
        screen.query_one("#setting-batch_norm").focus()
        await pilot.press("space")
        await settle(pilot)
        assert screen.last_result.settings.batch_norm
        assert screen.last_result.first_to_last > 1e-2  # batch-norm brings layer 1's gradient back
        screen.query_one("#setting-parameters").value = "all"
        await settle(pilot)
        assert len(screen.last_result.shown) == 6 + 5 * 2 + 1  # W per layer, γ and β per hidden layer, the output b
        await answer_every_question(pilot, screen)
        screen.query_one("#setting-batch_norm").focus()
        await pilot.press("space")
        await settle(pilot)
        readout = text_of(screen.query_one("#lab-readout"))
        assert "pattern: vanishing gradients" in readout and "(×" in readout  # named once the questions are answered


@async_test
async def test_checkpointing_keep_every_and_questions():
    app = lab_app("checkpointing")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        field = screen.query_one("#setting-keep_every")
        field.focus()
        field.value = ""
        await pilot.press("2", "0", "enter")
        await settle(pilot)
        assert screen.lab.settings.keep_every == 20
        assert screen.last_plan.keep_every == 20
        assert screen.last_plan.gradients_match is True
        assert "k = 20" in text_of(screen.query_one("#lab-readout"))
        await answer_every_question(pilot, screen)


# ---------------------------------------------------------------------- shared behaviour


@async_test
async def test_a_refused_setting_says_why_and_keeps_the_old_value():
    app = lab_app("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        field = screen.query_one("#setting-learning_rate")
        field.focus()
        field.value = ""
        await pilot.press("-", "1", "enter")
        await settle(pilot)
        error = screen.query_one("#setting-error")
        assert not error.has_class("-hidden")
        assert "learning rate" in text_of(error) and "greater than 0" in text_of(error)
        assert screen.lab.settings.learning_rate == 0.5
        assert field.has_class("-invalid")

        field.value = ""
        await pilot.press("0", ".", "2", "5", "enter")
        await settle(pilot)
        assert screen.lab.settings.learning_rate == 0.25
        assert error.has_class("-hidden")


@async_test
async def test_lesson_settings_reach_the_lab_and_unknown_ones_are_reported():
    app = lab_app("xor", {"reduction": "sum", "seed": 3, "epochs": 200, "colour": "blue"})
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert screen.lab.settings.reduction == "sum" and screen.lab.settings.seed == 3
        assert screen.run_epochs == 200
        assert any("colour" in note for note in screen.notes)
        assert screen.query_one("#setting-reduction").value == "sum"
        await pilot.press("r")
        await settle(pilot)
        assert screen.lab.epochs_trained == 200


@async_test
async def test_set_up_button_loads_the_questions_settings():
    app = lab_app("clipping", {"dimension": 20, "threshold": 5.0})
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        panel = screen.query_one("QuestionPanel")
        question = panel.current
        assert question.settings
        assert any(getattr(screen.lab.settings, name) != value for name, value in question.settings.items())
        await pilot.click("#question-setup")
        await settle(pilot)
        for name, value in question.settings.items():
            assert getattr(screen.lab.settings, name) == value
            assert str(screen.query_one(f"#setting-{name}").value) == format_setting(value)


@async_test
async def test_show_answer_needs_two_presses_and_settles_the_question():
    app = lab_app("checkpointing")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        panel = screen.query_one("QuestionPanel")
        question = panel.current
        await pilot.press("ctrl+g")
        await pilot.pause()
        assert not panel.states[question.id].revealed
        await pilot.press("ctrl+g")
        await settle(pilot)
        state = panel.states[question.id]
        assert state.revealed and not state.solved
        assert state.judgement.verdict == "gave-up"
        shown = text_of(panel.query_one("#question-feedback"))
        expected_text = next(option.text for option in question.options if option.id == question.expected) \
            if question.kind == "choice" else question.expected
        assert expected_text in shown
        # A settled question takes no more answers.
        assert panel.query_one("#question-options" if question.kind == "choice" else "#question-input").disabled


@async_test
async def test_wrong_numeric_answers_do_not_give_the_answer_away():
    app = lab_app("checkpointing")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        panel = screen.query_one("QuestionPanel")
        numeric = next(question for question in panel.questions if question.kind == "numeric")
        panel.move(list(panel.questions).index(numeric))
        await pilot.pause()
        await answer(pilot, panel, numeric, wrong_answer(numeric))
        shown = text_of(panel.query_one("#question-feedback"))
        assert numeric.expected not in shown.replace(wrong_answer(numeric), "")
        # Typing something the checker cannot read costs nothing.
        await answer(pilot, panel, numeric, "2*")
        assert panel.states[numeric.id].judgement.verdict == "invalid"
        assert panel.states[numeric.id].tries == 1


@async_test
async def test_narrow_terminal_shows_one_chart_at_a_time():
    app = lab_app("clipping")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        deck = screen.query_one("ChartDeck")
        assert deck.has_class("-single")
        pages = deck.pages
        assert [page.display for page in pages] == [True, False]
        await pilot.press("v")
        await pilot.pause()
        assert [page.display for page in pages] == [False, True]
        assert screen.check_action("flip_chart", ()) is True
    app = lab_app("xor")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        pages = app.screen.query_one("ChartDeck").pages
        assert len(pages) == 3  # loss, predictions, and the weights on a page of their own
        for shown in range(3):
            assert [page.display for page in pages] == [index == shown for index in range(3)]
            await pilot.press("v")
            await pilot.pause()
        assert "w·x1" in text_of(app.screen.query_one("#xor-weights-page"))
    app = lab_app("clipping")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        deck = app.screen.query_one("ChartDeck")
        assert not deck.has_class("-single")
        assert all(page.display for page in deck.pages)
        assert app.screen.check_action("flip_chart", ()) is False


@pytest.mark.parametrize("name", LAB_NAMES)
def test_every_lab_opens_and_draws_at_80_by_24(name):
    @async_test
    async def run():
        app = lab_app(name)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            screen = app.screen
            assert screen.query_one("QuestionPanel").loaded
            assert text_of(screen.query_one("#lab-readout")).strip()
            assert "⚠" not in text_of(screen.query_one("#lab-readout"))
            # Every chart page has been drawn on (a caption is set by every drawing).
            for page in screen.query("ChartPage"):
                assert text_of(page.query_one(".chart-caption")).strip()

    run()


def test_every_lab_registers_a_screen_for_lessons():
    from tutor.ui.lab_registry import find_lab_screen

    for name in LAB_NAMES:
        factory = find_lab_screen(name)
        assert factory is not None, name
        problem = type("LabProblem", (), {"id": f"{name}-lab", "lab": name, "settings": {}})()
        screen = factory(problem)
        assert screen.lab_name == name and screen.problem is problem


# ---------------------------------------------------------------------- progress from a lesson

LAB_PACK = """
id: lab-fixture
title: "Lab fixture"
version: "1.0.0"
lessons:
  - id: clip-lesson
    title: "Clipping"
    steps:
      - text: "Clip a gradient."
      - kind: lab
        id: clip-lab
        lab: clipping
        prompt: "Clip it both ways."
        settings: {threshold: 2.0}
"""


@async_test
async def test_answers_in_a_lab_opened_from_a_lesson_are_recorded(tmp_path):
    from tutor.ui.app import create_app
    from tutor.ui.lab_registry import find_lab_screen

    pack = tmp_path / "lab-pack.yaml"
    pack.write_text(LAB_PACK, encoding="utf-8")
    app = create_app(data_dir=tmp_path / "data", pack_paths=[pack], include_builtin=False, include_user=False,
                     seed=1, review_fuzzing=False, animation_interval=0.05)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.wait_until_loaded()
        entry, problem = app.session.find_problem("lab-fixture", "clip-lab")
        finished = []
        app.push_screen(find_lab_screen("clipping")(problem), finished.append)
        await settle(pilot)
        screen = app.screen
        assert screen.lab.settings.threshold == 2.0
        assert screen.link is not None and screen.link.entry.key.lesson_id == "clip-lesson"
        panel = screen.query_one("QuestionPanel")
        question = panel.current
        # A stray letter in a number field is ignored: it must not reach the app's q (quit).
        screen.query_one("#setting-threshold").focus()
        await pilot.press("q")
        await pilot.pause()
        assert app.screen is screen and app.is_running
        assert screen.query_one("#setting-threshold").value == "2"
        await answer(pilot, panel, question, wrong_answer(question))
        await answer(pilot, panel, question, question.expected)
        await settle(pilot)
        attempts = [stored.attempt for stored in app.session.store.attempts(pack_id="lab-fixture")]
        assert [attempt.verdict.value for attempt in attempts] == ["incorrect", "correct"]
        assert {attempt.problem_id for attempt in attempts} == {"clip-lab"}
        assert {attempt.lesson_id for attempt in attempts} == {"clip-lesson"}
        assert all(attempt.answer_text.startswith(f"{question.id}: ") for attempt in attempts)
        await pilot.press("escape")
        await pilot.pause()
        assert finished == [False]  # questions left: the lab is not finished


# ---------------------------------------------------------------------- the command


def test_lab_command_refuses_an_unknown_lab(capsys):
    from tutor.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["lab", "no-such-lab"])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert "no-such-lab" in error and "xor" in error and "checkpointing" in error


def test_lab_command_opens_the_named_lab(monkeypatch):
    from tutor.cli import main
    from tutor.ui.labs import app as lab_app_module

    opened = []

    def fake_run(self, *args, **kwargs):
        opened.append(self.lab_name)

    monkeypatch.setattr(lab_app_module.LabApp, "run", fake_run)
    for name in LAB_NAMES:
        assert main(["lab", name]) == 0
    assert opened == list(LAB_NAMES)


def test_building_the_parser_does_not_import_the_labs():
    import subprocess
    import sys

    code = ("import sys; from tutor.cli import build_parser; build_parser(); "
            "print('tutor.labs' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                            cwd=str(__import__("pathlib").Path(__file__).parent.parent))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


@async_test
async def test_finishing_a_lab_from_its_lesson_solves_the_lab_problem(tmp_path, monkeypatch):
    from textual.screen import Screen

    from tutor.ui import lab_registry
    from tutor.ui.app import create_app

    class FinishesAtOnce(Screen):
        def on_mount(self) -> None:
            self.dismiss(True)

    monkeypatch.setitem(lab_registry._FACTORIES, "clipping", lambda problem: FinishesAtOnce())
    pack = tmp_path / "lab-pack.yaml"
    pack.write_text(LAB_PACK, encoding="utf-8")
    app = create_app(data_dir=tmp_path / "data", pack_paths=[pack], include_builtin=False, include_user=False,
                     seed=1, review_fuzzing=False, animation_interval=0.05)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.wait_until_loaded()
        entry, _ = app.session.find_problem("lab-fixture", "clip-lab")
        app.open_lesson(entry.key, problem_id="clip-lab")
        await settle(pilot)
        await pilot.click("#open-lab")
        await settle(pilot)
        attempts = [stored.attempt for stored in app.session.store.attempts(pack_id="lab-fixture")]
        assert [(attempt.problem_id, attempt.verdict.value) for attempt in attempts] == [("clip-lab", "correct")]
        assert app.session.store.problem_status("lab-fixture", "clip-lab").value == "solved"


def test_gradient_flow_thinned_tick_labels_never_crowd_the_last_one():
    # Two labels a bar or two apart collide, and plotext then drops one of them -- which one
    # changed between runs, so the 32-bar snapshot was flaky.
    from tutor.ui.labs.gradient_flow import thinned_ticks

    assert thinned_ticks(32) == [0, 4, 9, 14, 19, 24, 31]
    for count in range(13, 80):
        ticks = thinned_ticks(count)
        assert ticks[0] == 0 and ticks[-1] == count - 1
        assert all(later - earlier >= 3 for earlier, later in zip(ticks, ticks[1:]))


GRADIENT_FLOW_PACK = """
id: flow-fixture
title: "Gradient flow fixture"
version: "1.0.0"
lessons:
  - id: flow-lesson
    title: "Gradient flow"
    steps:
      - text: "Look at the gradients of a 784-256-128-10 network."
      - kind: lab
        id: flow-lab
        lab: gradient-flow
        prompt: "Run Exercise 5 and answer its questions."
        settings: {activation: relu, extra_layers: 0, batch_norm: false, seed: 0}
"""


@async_test
async def test_gradient_flow_from_a_lesson_records_its_answers(tmp_path):
    from tutor.ui.app import create_app
    from tutor.ui.lab_registry import find_lab_screen

    pack = tmp_path / "flow-pack.yaml"
    pack.write_text(GRADIENT_FLOW_PACK, encoding="utf-8")
    app = create_app(data_dir=tmp_path / "data", pack_paths=[pack], include_builtin=False, include_user=False,
                     seed=1, review_fuzzing=False, animation_interval=0.05)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.wait_until_loaded()
        entry, problem = app.session.find_problem("flow-fixture", "flow-lab")
        app.push_screen(find_lab_screen("gradient-flow")(problem))
        await settle(pilot)
        screen = app.screen
        assert screen.lab.settings.activation == "relu" and not screen.notes
        panel = screen.query_one("QuestionPanel")
        question = panel.current
        await answer(pilot, panel, question, wrong_answer(question))
        await answer(pilot, panel, question, question.expected)
        await settle(pilot)
        attempts = [stored.attempt for stored in app.session.store.attempts(pack_id="flow-fixture")]
        assert [attempt.verdict.value for attempt in attempts] == ["incorrect", "correct"]
        assert {attempt.problem_id for attempt in attempts} == {"flow-lab"}
        assert all(attempt.answer_text.startswith(f"{question.id}: ") for attempt in attempts)


@async_test
async def test_a_settled_answer_keeps_its_feedback_in_view_on_a_short_terminal():
    """At 80x24 the feedback shows only while the question panel has focus; a right answer disables
    the field, focus leaves, and the verdict and explanation vanished before they could be read."""
    app = lab_app("checkpointing")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert screen.has_class("-short")
        panel = screen.query_one("QuestionPanel")
        question = panel.current
        await answer(pilot, panel, question, question.expected)
        assert panel.states[question.id].solved
        feedback = panel.query_one("#question-feedback")
        assert not panel.query_one("#question-options").has_focus
        assert feedback.display and feedback.region.height > 0
        screen_text = "\n".join(strip.text for strip in screen._compositor.render_strips())
        assert "Correct" in screen_text


@async_test
async def test_page_down_moves_to_the_next_question_while_a_setting_has_focus():
    """Every lab opens with focus on its first setting, inside the scrolling settings column, whose
    own PgDn (scroll a page) caught the key whenever it had more to scroll: 'PgDn: next' did nothing
    (XOR at 80x24, seen in tmux)."""
    app = lab_app("xor")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        column = screen.query_one("#lab-controls")
        assert column.max_scroll_y > 0  # the column overflows: it could scroll a page
        assert screen.focused is not None and column in screen.focused.ancestors
        panel = screen.query_one("QuestionPanel")
        assert panel.index == 0
        await pilot.press("pagedown")
        await pilot.pause()
        assert panel.index == 1
        await pilot.press("pageup")
        await pilot.pause()
        assert panel.index == 0
