"""Pilot tests of a `code` problem: the learner's file, its checks, the editor and the stored attempts."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from test_ui_support import FrozenClock, async_test, loaded, open_lesson, settle, widget_text

FIXTURES = Path(__file__).parent / "exercise_fixtures"

PACK = """\
id: code-fixture
title: "Code fixture"
version: "1.0.0"
lessons:
  - id: write-value
    title: "Write your Value"
    steps:
      - text: "Write `__add__` and `__mul__`."
      - kind: code
        id: code-add-mul
        title: "Add and multiply"
        prompt: "Give `Value` its `__add__` and `__mul__`."
        exercise: add-mul
        hints: ["Each input of a product gets the other's value."]
        explanation: "Both rules hold."
"""


def make_code_app(tmp_path: Path, text: str = PACK):
    from tutor.ui.app import create_app

    pack = tmp_path / "pack" / "pack.yaml"
    pack.parent.mkdir()
    pack.write_text(text)
    return create_app(data_dir=tmp_path / "data", pack_paths=[pack], include_builtin=False, include_user=False,
                      clock=FrozenClock(), seed=7, review_fuzzing=False, animation_interval=0.05)


def workspace_file(tmp_path: Path) -> Path:
    return tmp_path / "data" / "code" / "add_mul.py"


def attempts(app):
    return [(a.attempt.problem_id, a.attempt.verdict.value, a.attempt.diagnosis, a.attempt.answer_text)
            for a in app.session.store.attempts(pack_id="code-fixture")]


async def open_code_problem(pilot):
    await loaded(pilot)
    await open_lesson(pilot, "write")
    await pilot.press("space")  # past the text step
    await settle(pilot)
    view = pilot.app.screen.current_problem()
    assert type(view).__name__ == "CodeProblemView"
    return view


@async_test
async def test_the_starter_is_copied_and_a_correct_file_passes_and_is_stored(tmp_path):
    app = make_code_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_code_problem(pilot)
        target = workspace_file(tmp_path)
        assert view.path == target
        from tutor.exercises import EXERCISES

        assert target.read_text() == EXERCISES["add-mul"].starter.read_text()
        assert str(target) in widget_text(view.query_one("#code-file"), flat=True)
        assert app.focused is view
        shutil.copyfile(FIXTURES / "correct.py", target)
        await pilot.press("r")
        await settle(pilot)
        assert view.report is not None and view.report.passed
        assert view.completed == "solved"
        checks = widget_text(view.query_one("#code-checks"))
        assert "✓" in checks and "✗" not in checks
        assert attempts(app) == [("code-add-mul", "correct", None, "14/14 checks passed")]


@async_test
async def test_a_buggy_file_shows_the_diagnosis_and_graph_and_is_stored_as_incorrect(tmp_path):
    app = make_code_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_code_problem(pilot)
        shutil.copyfile(FIXTURES / "mul_own_value.py", view.path)
        await pilot.press("r")
        await settle(pilot)
        assert view.completed is None
        message = widget_text(view.query_one("#code-message"), flat=True)
        assert "each input gets the OTHER input's value" in message
        assert "yours" in widget_text(view.query_one("#code-drawing"))
        assert "✗" in widget_text(view.query_one("#code-checks"))
        [(problem_id, verdict, diagnosis, summary)] = attempts(app)
        assert (problem_id, verdict, diagnosis) == ("code-add-mul", "incorrect", "mul-own-value")
        assert "checks passed (mul-own-value)" in summary


@async_test
async def test_e_runs_the_editor_then_the_checks_rerun(tmp_path, monkeypatch):
    # The "editor" writes the correct solution over the file, as a learner saving it would.
    script = f"import shutil, sys; shutil.copyfile({str(FIXTURES / 'correct.py')!r}, sys.argv[1])"
    monkeypatch.delenv("VISUAL", raising=False)
    editor = tmp_path / "editor.py"
    editor.write_text(script + "\n")
    monkeypatch.setenv("EDITOR", f"{sys.executable} {editor}")
    app = make_code_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_code_problem(pilot)
        assert view.runs == 0
        await pilot.press("e")
        await settle(pilot)
        assert view.path.read_text() == (FIXTURES / "correct.py").read_text()
        assert view.runs == 1
        assert view.report is not None and view.report.passed
        assert [verdict for _, verdict, _, _ in attempts(app)] == ["correct"]


@async_test
async def test_a_change_to_the_file_is_noticed_by_the_watcher(tmp_path):
    app = make_code_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_code_problem(pilot)
        shutil.copyfile(FIXTURES / "mul_own_value.py", view.path)
        view._poll()  # what the 1 s timer does, called directly rather than waited for
        await settle(pilot)
        assert view.runs == 1
        assert [verdict for _, verdict, _, _ in attempts(app)] == ["incorrect"]
        view._poll()  # unchanged since: no new run
        await settle(pilot)
        assert view.runs == 1


def test_the_editor_command_prefers_visual_then_editor_and_keeps_arguments(tmp_path):
    from tutor.ui.widgets.code_view import editor_command

    path = tmp_path / "f.py"
    assert editor_command(path, {"VISUAL": "code --wait", "EDITOR": "vi"}) == ["code", "--wait", str(path)]
    assert editor_command(path, {"EDITOR": "emacs -nw"}) == ["emacs", "-nw", str(path)]
    fallback = editor_command(path, {})
    assert fallback is None or Path(fallback[0]).name in ("nano", "vi")


@async_test
async def test_an_editor_that_cannot_start_still_resumes_the_app(tmp_path, monkeypatch):
    """Seen in tmux: EDITOR=nano without nano left the terminal blank, as the app never resumed."""
    import contextlib

    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", str(tmp_path / "no-such-editor"))
    app = make_code_app(tmp_path)
    resumed = []

    @contextlib.contextmanager
    def suspend():  # like Textual's: the resume after the yield is skipped when the block raises
        yield
        resumed.append(True)

    monkeypatch.setattr(app, "suspend", suspend)
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_code_problem(pilot)
        await pilot.press("e")
        await settle(pilot)
        assert resumed == [True]
        assert view.runs == 0
        assert any("no-such-editor" in str(notification.message) for notification in app._notifications)


@async_test
async def test_a_burst_of_e_and_r_runs_one_child_at_a_time_and_never_crashes(tmp_path, monkeypatch):
    """The course-wide key fuzz has no code target: letters, e and r pressed at random on the view."""
    import random

    from ui_key_fuzz_support import LETTERS

    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", f"{sys.executable} -c pass")
    app = make_code_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_code_problem(pilot)
        shutil.copyfile(FIXTURES / "mul_own_value.py", view.path)
        busiest = 0
        rng = random.Random(5)
        for _ in range(40):
            await pilot.press(rng.choice(LETTERS + ["e", "r"] * 5))
            running = [worker for worker in app.workers if worker.group == "grade" and worker.is_running]
            busiest = max(busiest, len(running))
        await settle(pilot)
        assert busiest <= 1
        assert view.runs >= 1 and not view.checking
        assert view.report is not None and view.report.diagnosis == "mul-own-value"
        assert len(attempts(app)) == view.runs


@async_test
async def test_results_fill_in_check_by_check_while_the_last_one_still_runs(tmp_path, monkeypatch):
    # The real child runs; the parent's callback for the LAST check is held on an event, so the
    # table must already show every earlier check (and that one is still running) before it is let go.
    import asyncio
    import threading

    from tutor.exercises import checking

    reached, release = threading.Event(), threading.Event()
    real = checking.run_in_child

    def held(path, tasks, timeout=10.0, on_result=None):
        def forward(index, result):
            if index == len(tasks) - 1:
                reached.set()
                release.wait(30)
            on_result(index, result)

        return real(path, tasks, timeout, forward if on_result is not None else None)

    monkeypatch.setattr(checking, "run_in_child", held)
    app = make_code_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_code_problem(pilot)
        shutil.copyfile(FIXTURES / "correct.py", view.path)
        await pilot.press("r")
        assert await asyncio.to_thread(reached.wait, 30)
        for _ in range(200):  # the CheckDone messages posted before the hold, handled by the app
            if len(view.partial) == 13:
                break
            await pilot.pause()
        assert len(view.partial) == 13 and view.report is None
        checks = widget_text(view.query_one("#code-checks"))
        assert checks.count("✓") == 13 and "1 more running" in checks
        release.set()
        await settle(pilot)
        assert view.report is not None and view.report.passed
        checks = widget_text(view.query_one("#code-checks"))
        assert checks.count("✓") == 14 and "more running" not in checks
        assert attempts(app) == [("code-add-mul", "correct", None, "14/14 checks passed")]


@async_test
async def test_each_check_run_teaches_the_skills_a_wrong_rule_then_a_right_run(tmp_path):
    app = make_code_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_code_problem(pilot)
        shutil.copyfile(FIXTURES / "mul_own_value.py", view.path)
        await pilot.press("r")
        await settle(pilot)
        events = [(e.skill, e.correct, e.diagnosis) for e in app.session.skill_events()]
        assert events == [("local-mul", False, "mul-own-value")], (events, attempts(app), view.runs)
        shutil.copyfile(FIXTURES / "correct.py", view.path)
        await pilot.press("r")
        await settle(pilot)
        events = [(e.skill, e.correct, e.diagnosis) for e in app.session.skill_events()]
        assert events[1:] == [("local-add", True, None), ("local-mul", True, None), ("upstream", True, None),
                              ("fan-out", True, None)], (events, attempts(app), view.runs)


@async_test
async def test_a_packs_own_starter_asks_once_before_it_runs(tmp_path):
    # The pack brings starters/add_mul.py: its author's code. The first check asks; n runs nothing,
    # y runs it and is remembered for the pack.
    app = make_code_app(tmp_path)
    (tmp_path / "pack" / "starters").mkdir()
    shutil.copyfile(FIXTURES / "correct.py", tmp_path / "pack" / "starters" / "add_mul.py")
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_code_problem(pilot)
        assert view.path == tmp_path / "data" / "code" / "code-fixture" / "add_mul.py"
        assert view.path.read_text() == (FIXTURES / "correct.py").read_text()
        await pilot.press("r")
        await settle(pilot)
        assert type(app.screen).__name__ == "TrustPackScreen" and view.runs == 0
        assert "its author's code" in widget_text(app.screen.query_one("#trust-question"), flat=True)
        await pilot.press("n")
        await settle(pilot)
        assert app.screen.current_problem() is view and view.runs == 0 and attempts(app) == []
        assert "Not checked" in widget_text(view.query_one("#code-checks"), flat=True)
        view._poll()  # the watcher does not ask again for a file it has seen
        await settle(pilot)
        assert type(app.screen).__name__ != "TrustPackScreen"
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert view.runs == 1 and view.report is not None and view.report.passed
        from tutor.exercises.workspace import is_trusted

        assert is_trusted("code-fixture", tmp_path / "data" / "code")
        view.path.write_text(view.path.read_text() + "\n# edited\n")
        await pilot.press("r")
        await settle(pilot)
        assert type(app.screen).__name__ != "TrustPackScreen"  # asked once per pack


@async_test
async def test_without_a_starter_in_the_pack_the_tutors_own_runs_without_asking(tmp_path):
    app = make_code_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_code_problem(pilot)
        assert view.path == workspace_file(tmp_path)
        await pilot.press("r")
        await settle(pilot)
        assert type(app.screen).__name__ != "TrustPackScreen" and view.runs == 1


@async_test
async def test_the_diagnosis_is_on_screen_at_100x30_above_the_checks(tmp_path, monkeypatch):
    # In tmux at 100x30 the 23 checks of `value` pushed the message off the screen, and no key scrolled.
    monkeypatch.setattr(sys.modules[__name__], "PACK", PACK.replace("exercise: add-mul", "exercise: value"))
    app = make_code_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        view = await open_code_problem(pilot)
        shutil.copyfile(FIXTURES / "mul_own_value.py", view.path)
        await pilot.press("r")
        await settle(pilot)
        message = view.query_one("#code-message")
        assert "OTHER input's value" in widget_text(message, flat=True)
        assert "checks passed (mul-own-value)" in widget_text(message, flat=True)
        assert 0 <= message.region.y < 30 and message.region.height > 0
        checks = view.query_one("#code-checks")
        assert checks.region.y > message.region.y
        body = view.query_one("#body")
        await pilot.press("down")
        assert body.scroll_y > 0  # the keyboard scrolls to the checks below


ADD_ONLY = PACK.replace("        exercise: add-mul\n", """\
        exercise: add-mul
        checks:
          ops: [add]
          programs:
            - {program: "L = a + b + a", at: {a: 1, b: 2}}
          random: {count: 3, max_nodes: 4}
""")


@async_test
async def test_the_view_checks_with_the_packs_checks_block(tmp_path):
    assert ADD_ONLY != PACK
    app = make_code_app(tmp_path, ADD_ONLY)
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_code_problem(pilot)
        shutil.copyfile(FIXTURES / "mul_own_value.py", view.path)  # its bug is in mul, which is not listed
        await pilot.press("r")
        await settle(pilot)
        assert view.report is not None and view.report.passed, view.report.message
        checks = widget_text(view.query_one("#code-checks"))
        assert "L = a + b + a" in checks and "*" not in checks
        assert attempts(app) == [("code-add-mul", "correct", None, "4/4 checks passed")]
        shutil.copyfile(FIXTURES / "assign_add.py", view.path)  # a bug in add is still found and named
        await pilot.press("r")
        await settle(pilot)
        assert view.report is not None and view.report.diagnosis == "assign-add"
        view.give_up()
        await settle(pilot)
        assert f"code check --pack {tmp_path / 'pack'} code-add-mul FILE" in \
            widget_text(view.feedback, flat=True)
