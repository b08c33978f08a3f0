"""Pilot tests of wrong-answer feedback (the message at once, the worked step only later) and of keys
that arrive in one burst, as ``tmux send-keys`` or a fast typist sends them."""

from __future__ import annotations

from pathlib import Path

from test_ui_support import answer, async_test, loaded, make_app, open_lesson, settle, widget_text
from textual import events

CHOICE_PACK = Path(__file__).parent / "fixtures" / "ui-choice-pack.yaml"
CHARACTERS = {"space": " ", "enter": "\r", "backspace": "\x7f"}


async def burst(pilot, *keys: str, grader_held: bool = False) -> None:
    """Send every key before the app handles any (``pilot.press`` waits for the app after each one).

    ``grader_held``: the test holds the grader (``hold_grading``), so wait only for the keys to be handled;
    waiting for the grading workers too would wait out the hold's own timeout (30 s a burst).
    """
    app = pilot.app
    for key in keys:
        event = events.Key(key, CHARACTERS.get(key, key if len(key) == 1 else None))
        event.set_sender(app)
        app._driver.send_message(event)
    if grader_held:
        await pilot.pause()
        await pilot.pause()
    else:
        await settle(pilot)


@async_test
async def test_feedback_is_a_ladder_mistake_then_rule_then_worked_and_invalid_answers_do_not_count(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 34)) as pilot:
        await loaded(pilot)
        await open_lesson(pilot, "single")
        view = app.screen.current_problem()  # dL/dw for L = (x*w + b)^2 at x = 2, w = -1, b = 0.5: -6
        await answer(pilot, "2")  # ∂z1/∂w = x only
        shown = widget_text(view.feedback, flat=True)
        judgement = view.feedback.judgement
        assert (judgement.verdict, judgement.diagnosis) == ("incorrect", "missing-upstream")
        assert judgement.message in shown and "-6" not in shown  # the mistake, not the answer
        assert judgement.rule and judgement.worked.endswith("= -6.")
        assert "Rule:" not in shown and "Worked:" not in shown and "The rule comes with your next wrong try" in shown

        for unreadable in ("2*", "(w"):  # invalid answers cost nothing, and are not tries
            await answer(pilot, unreadable)
            assert view.feedback.judgement.verdict == "invalid"
        assert view.wrong_tries == {None: 1}

        await answer(pilot, "5")  # the second wrong try: the rule, still not the answer
        shown = widget_text(view.feedback, flat=True)
        assert view.feedback.judgement.verdict == "incorrect"
        assert f"Rule: {view.feedback.judgement.rule}" in shown and "Worked:" not in shown and "-6" not in shown

        await answer(pilot, "4")  # the third: the worked arithmetic
        shown = widget_text(view.feedback, flat=True)
        assert f"Worked: {view.feedback.judgement.worked}" in shown and "= -6." in shown


@async_test
async def test_the_last_hint_shows_the_worked_step_of_the_answer_on_screen(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 34)) as pilot:
        await loaded(pilot)
        await open_lesson(pilot, "single")
        view = app.screen.current_problem()
        await answer(pilot, "7")
        assert "Worked:" not in widget_text(view.feedback, flat=True)
        await pilot.press("f2")  # the problem has one hint: this is the last
        await settle(pilot)
        assert view.hint_ladder.exhausted
        assert "Worked: dL/dw" in widget_text(view.feedback, flat=True)


@async_test
async def test_giving_up_shows_the_answer_with_its_worked_step(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 34)) as pilot:
        await loaded(pilot)
        await open_lesson(pilot, "single")
        view = app.screen.current_problem()
        await pilot.press("ctrl+g", "ctrl+g")
        await settle(pilot)
        shown = widget_text(view.feedback, flat=True)
        assert view.completed == "gave-up"
        assert "The answer is -6." in shown and "dL/dw = dL/dz1 · ∂z1/∂w" in shown


@async_test
async def test_backspaces_and_a_digit_sent_in_one_burst_after_a_wrong_answer(tmp_path):
    """tmux send-keys BSpace BSpace 9 Enter used to submit an empty answer: Textual ran the bound keys
    (backspace, enter) after the typed 9, so the backspaces deleted it."""
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 34)) as pilot:
        await loaded(pilot)
        await open_lesson(pilot, "single")
        await pilot.press("pagedown")
        await settle(pilot)
        view = app.screen.current_problem()
        assert type(view).__name__ == "AnswerProblemView" and view.problem_id == "numeric-shrink"
        await answer(pilot, "5")
        assert view.feedback.judgement.verdict == "incorrect"
        assert view.answer_input.selected_text == "5"  # selected: the next try replaces it
        await burst(pilot, "backspace", "backspace", "9", "enter")
        assert view.feedback.judgement is not None and view.feedback.judgement.answer_text == "9"
        await burst(pilot, "1", "2", "left", "backspace", "3", "enter")  # edits land where the cursor is
        assert view.feedback.judgement.answer_text == "32"


@async_test
async def test_a_trace_entry_typed_in_a_burst_keeps_its_order(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await open_lesson(pilot, "tracing")
        await pilot.press("space")
        await settle(pilot)
        view = app.screen.current_problem()
        await burst(pilot, "7", "backspace", "6", "enter")
        assert view.progress.status["value:z1"] == "correct" and view.progress.answers["value:z1"] == "6"


@async_test
async def test_marking_several_options_in_one_burst(tmp_path):
    """Space Down Space Enter sent at once marked nothing: SelectionList toggled the option highlighted when
    it got round to the toggle, after the cursor had moved, so the second option was toggled twice."""
    app = make_app(tmp_path, extra_packs=[CHOICE_PACK])
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await open_lesson(pilot, "where nan")
        view = app.screen.current_problem()
        assert type(view).__name__ == "ChoiceProblemView" and app.focused is view.choices
        await burst(pilot, "space", "down", "space", "enter")
        assert view.feedback.judgement.verdict == "correct", view.feedback.judgement
        assert view.completed == "solved"


def hold_grading(view):
    """Make ``view``'s grader wait until the returned event is set, so keys can arrive while an entry is checked."""
    import threading

    release = threading.Event()
    judge = view._judge

    def held_judge(text, ask):
        release.wait(timeout=30)  # waiting on the test, not on time: set as soon as the keys are in
        return judge(text, ask)

    view._judge = held_judge
    return release


@async_test
async def test_entries_typed_ahead_while_one_is_graded_fill_the_next_entries(tmp_path):
    # tmux `send-keys 6 Enter 7 Enter`: the 7 arrived while the 6 was being graded, landed in the same
    # box ("67"), and the second Enter was dropped, so the learner's second answer was lost.
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await open_lesson(pilot, "tracing")
        await pilot.press("space")
        await settle(pilot)
        view = app.screen.current_problem()
        release = hold_grading(view)
        await burst(pilot, "6", "enter", "8", "backspace", "7", "enter", "4", grader_held=True)
        assert view.row_for("value:z1").input.value == "6"  # held, not typed into the entry being checked
        release.set()
        await app.workers.wait_for_complete()
        await settle(pilot)
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert view.progress.answers.get("value:z1") == "6" and view.progress.answers.get("value:z2") == "7"
        assert view.progress.status["value:z2"] == "correct"
        assert view.row_for("value:L").input.value == "4"  # still being typed: not submitted
        assert app.focused is view.row_for("value:L").input


@async_test
async def test_keys_still_queued_for_an_entry_after_its_grade_go_to_the_entry_focused_now(tmp_path):
    # tmux `send-keys 2.25 Enter 1 Enter ...` at 80x24: the Enter (and more) was already in the queue of the
    # box just graded when the focus moved on; the disabled box swallowed the Enter and the 1 joined the
    # 2.25 in the next box ("2.251", graded wrong), so every later answer landed one row too high.
    from textual import events

    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await open_lesson(pilot, "tracing")
        await pilot.press("space")
        await settle(pilot)
        view = app.screen.current_problem()
        release = hold_grading(view)
        await burst(pilot, "6", "enter", "7", grader_held=True)
        release.set()
        await app.workers.wait_for_complete()
        await settle(pilot)
        first, second = view.row_for("value:z1").input, view.row_for("value:z2").input
        assert app.focused is second and second.value == "7"
        for key, character in (("enter", None), ("4", "4")):  # queued for the first box before the focus moved
            first.post_message(events.Key(key, character))
        await settle(pilot)
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert view.progress.answers.get("value:z2") == "7" and view.progress.status["value:z2"] == "correct"
        assert first.value == "6" and view.row_for("value:L").input.value == "4"


@async_test
async def test_keys_typed_ahead_after_a_wrong_entry_wait_unsent_in_the_entries_below(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await open_lesson(pilot, "tracing")
        await pilot.press("space")
        await settle(pilot)
        view = app.screen.current_problem()
        release = hold_grading(view)
        await burst(pilot, "5", "enter", "7", "enter", "4", "9", "enter", grader_held=True)
        release.set()
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert view.progress.status["value:z1"] == "incorrect"
        assert view.row_for("value:z1").input.value == "5"  # the wrong answer, to be fixed
        assert app.focused is view.row_for("value:z1").input
        assert [view.row_for(ask).input.value for ask in ("value:z2", "value:L")] == ["7", "49"]  # nothing lost
        assert view.progress.answers.get("value:z2") is None and not view._pending  # nothing sent


@async_test
async def test_the_feedback_on_a_short_terminal_does_not_push_its_entry_out_of_sight(tmp_path):
    # 80x24 on lesson 5's 16-entry trace: scrolling the feedback into view hid the row it was about.
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 15)) as pilot:
        await loaded(pilot)
        await open_lesson(pilot, "tracing")
        await pilot.press("space")
        await settle(pilot)
        view = app.screen.current_problem()
        side = view.query_one("#side")
        assert side.virtual_size.height > side.scrollable_content_region.height  # the table does scroll here
        await answer(pilot, "5")  # z1 = a*b = 6: wrong
        await settle(pilot)
        visible = side.content_region
        row = view.row_for("value:z1")
        assert view.feedback.judgement.verdict == "incorrect"
        assert visible.contains_region(row.region), (row.region, visible)
        assert visible.y <= view.feedback.region.y < visible.bottom  # the feedback starts on screen too
        await answer(pilot, "6")
        await answer(pilot, "8")  # z2 = 7: wrong, lower in the table
        await settle(pilot)
        assert visible.contains_region(view.row_for("value:z2").region)
        assert visible.y <= view.feedback.region.y < visible.bottom


@async_test
async def test_a_trace_entry_right_for_the_learners_own_wrong_value_says_the_method_is_right(tmp_path):
    # L = (a*b + c)^2 at a=2, b=3, c=1: z2 = 8 is off (7); L = 64 squares the learner's own z2 (issue 14 §2).
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await open_lesson(pilot, "tracing")
        await pilot.press("space")
        await settle(pilot)
        view = app.screen.current_problem()
        await answer(pilot, "6")
        await answer(pilot, "8")
        assert view.progress.status["value:z2"] == "incorrect"
        await pilot.press("down")  # on to L, leaving z2 to fix later
        await answer(pilot, "64")
        judgement = view.feedback.judgement
        assert judgement.verdict == "incorrect" and judgement.diagnosis == "carried-forward", judgement
        assert "your z2 = 8" in judgement.message and "49" not in judgement.message
        await pilot.press("up")
        await answer(pilot, "7")  # z2 fixed: the same 64 for L is now simply wrong
        assert app.focused is view.row_for("value:L").input
        await answer(pilot, "64")
        judgement = view.feedback.judgement
        assert judgement.verdict == "incorrect" and judgement.diagnosis != "carried-forward", judgement
