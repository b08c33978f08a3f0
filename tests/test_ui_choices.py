"""Multiple choice is never answered by accident (issue 15 §2): lessons, quizzes and labs.

Each test here failed before tutor/ui/widgets/choice_list.py: the first option was highlighted when a
question opened, so an Enter meant for the step before answered A, and letters did nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

from test_ui_feedback import burst
from test_ui_support import async_test, loaded, make_app, open_lesson, settle

CHOICE_PACK = Path(__file__).parent / "fixtures" / "ui-choice-pack.yaml"


def choice_attempts(app, pack_id: str = "ui-fixture") -> list[tuple[str, str]]:
    return [(stored.attempt.problem_id, stored.attempt.answer_text) for stored in app.session.store.attempts(pack_id=pack_id)
            if stored.attempt.problem_id.startswith(("choice", "nan"))]


def screen_text(app) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def open_choice_step(pilot) -> object:
    await open_lesson(pilot, "tracing")
    await pilot.press("pagedown", "pagedown")  # the text, then the trace problem
    await settle(pilot)
    view = pilot.app.screen.current_problem()
    assert type(view).__name__ == "ChoiceProblemView"
    return view


@async_test
async def test_a_double_enter_after_a_problem_does_not_answer_the_next_question(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await open_lesson(pilot, "tracing")
        await pilot.press("pagedown")  # to the trace problem
        await settle(pilot)
        await pilot.press("ctrl+g", "ctrl+g")  # give up: the problem is finished and Enter continues
        await settle(pilot)
        assert app.screen.current_problem().completed
        await burst(pilot, "enter", "enter")  # continue, and a second Enter a moment later
        view = app.screen.current_problem()
        assert type(view).__name__ == "ChoiceProblemView"
        assert choice_attempts(app) == []
        assert view.completed is None and view.feedback.judgement is None


@async_test
async def test_a_letter_chooses_its_option_and_enter_checks_that_one(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        view = await open_choice_step(pilot)
        await pilot.press("c")
        assert view.choices.chosen == ["numeric"] and choice_attempts(app) == []  # choosing is not answering
        await pilot.press("enter")
        await settle(pilot)
        assert choice_attempts(app) == [("choice-mode", "numeric")]
        await pilot.press("A", "enter")  # capitals too
        await settle(pilot)
        assert choice_attempts(app)[-1] == ("choice-mode", "reverse") and view.completed == "solved"


@async_test
async def test_the_chosen_option_is_marked_in_plain_text(tmp_path, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await open_choice_step(pilot)
        text = screen_text(app)
        assert "( ) A. Reverse mode" in text and "(•)" not in text  # nothing chosen at first
        await pilot.press("b")
        await settle(pilot)
        text = screen_text(app)
        assert "(•) B. Forward mode" in text and "( ) A. Reverse mode" in text and "( ) C. Central" in text
    assert os.environ.get("NO_COLOR") == "1"


@async_test
async def test_multiple_select_boxes_differ_in_plain_text_and_letters_toggle(tmp_path):
    app = make_app(tmp_path, extra_packs=[CHOICE_PACK])
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await open_lesson(pilot, "where nan")
        view = app.screen.current_problem()
        await pilot.press("a", "c", "c", "b")  # C marked then unmarked again
        await settle(pilot)
        text = screen_text(app)
        assert "[x] A." in text and "[x] B." in text and "[ ] C." in text
        await pilot.press("enter")
        await settle(pilot)
        assert view.feedback.judgement.verdict == "correct" and view.completed == "solved"


@async_test
async def test_a_lab_choice_question_takes_the_letter_typed_not_the_first_option(tmp_path):
    from test_ui_labs_support import lab_app
    from test_ui_labs_support import settle as lab_settle

    app = lab_app("clipping")
    async with app.run_test(size=(120, 40)) as pilot:
        await lab_settle(pilot)
        panel = app.screen.query_one("QuestionPanel")
        for _ in range(len(panel.questions)):
            if panel.current.kind == "choice":
                break
            panel.move(1)
            await lab_settle(pilot)
        question = panel.current
        assert question is not None, "the clipping lab has a choice question"
        options = panel.query_one("#question-options")
        options.focus()
        await pilot.press("enter")  # nothing chosen: not an answer
        await lab_settle(pilot)
        assert not panel.states[question.id].solved and not panel.states[question.id].wrong
        wrong_letter = next(chr(ord("a") + index) for index, option in enumerate(question.options)
                            if option.id != question.expected)
        await pilot.press(wrong_letter, "enter")
        await lab_settle(pilot)
        assert panel.states[question.id].wrong and not panel.states[question.id].solved
