"""Pilot tests for self-paced quizzes and spaced review, on a frozen clock the test moves by hand."""

from __future__ import annotations

from datetime import timedelta

from test_ui_support import FrozenClock, answer, async_test, loaded, make_app, settle, type_text, widget_text

from tutor.graph.model import format_number


def option_texts(option_list) -> list[str]:
    return [str(option_list.get_option_at_index(index).prompt) for index in range(option_list.option_count)]


async def answer_correctly(pilot, view) -> None:
    """Answer whatever problem is shown, using the engine's numbers (never a hard-coded answer)."""
    kind = view.problem.kind
    if kind == "trace":
        for entry in view.progress.entries:
            await answer(pilot, format_number(view.progress.expected_text(entry)))
    elif kind == "choice":
        correct = view.problem.correct_ids()[0]
        for _ in range(view.order.index(correct) + 1):  # nothing is chosen at first: the first Down is A
            await pilot.press("down")
        await pilot.press("enter")
        await settle(pilot)
    elif kind == "ask":
        from tutor.graph import build_graph

        graph = build_graph(view.problem.program, view.rendered.at)
        node = view.problem.ask.partition(":")[2]
        await answer(pilot, format_number(graph.nodes[node].grad))
    elif kind == "numeric":
        await answer(pilot, view.problem.answer)
    assert view.completed == "solved", (kind, view.feedback.judgement)


async def start_pack_quiz(pilot) -> None:
    await pilot.press("t")
    await settle(pilot)
    setup = pilot.app.screen
    assert type(setup).__name__ == "QuizSetupScreen"
    texts = option_texts(setup.query_one("#scope"))
    assert texts[0] == "Whole pack: UI fixture pack"
    assert "Topic: chain-rule" in texts and "Mixed review (due problems first)" in texts
    await pilot.press("u")  # also the lessons not started: these tests begin with no history
    await pilot.press("enter")
    await settle(pilot)


@async_test
async def test_whole_quiz_with_a_mistake_a_skip_and_the_summary(tmp_path):
    clock = FrozenClock()
    app = make_app(tmp_path, clock=clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await start_pack_quiz(pilot)
        quiz_screen = app.screen
        assert type(quiz_screen).__name__ == "QuizScreen"
        quiz = quiz_screen.quiz
        assert quiz.total == 4  # the lab is not quiz material
        seen = []
        while not quiz.is_finished:
            view = quiz_screen.view
            kind = view.problem.kind
            seen.append(kind)
            assert f"Question {quiz.position + 1}/4" in widget_text(quiz_screen.query_one("#quiz-bar"))
            clock.now += timedelta(seconds=30)
            if kind == "numeric":
                await pilot.press("pagedown")  # skip it
                await settle(pilot)
                continue
            if kind == "ask":
                await answer(pilot, "2")  # the local derivative alone: a diagnosed mistake, then retry
                assert view.feedback.judgement.diagnosis == "missing-upstream"
                assert quiz.current_tries == 1 and not quiz_screen.question_done
            await answer_correctly(pilot, view)
            assert quiz_screen.question_done
            await pilot.press("enter")
            await settle(pilot)
        assert sorted(seen) == ["ask", "choice", "numeric", "trace"]
        summary = quiz_screen.summary
        assert (summary.correct, summary.total, summary.skipped) == (3, 4, 1)
        assert summary.seconds == 120.0
        shown = " ".join(widget_text(static, flat=True) for static in quiz_screen.query("#summary Static"))
        assert "UI fixture pack: 3 of 4 answered right" in shown
        assert "Time: 2 min 00 s" in shown
        assert "missing-upstream ×1" in shown
        links = option_texts(quiz_screen.query_one("#summary-lessons"))
        assert links == ["Open lesson: Single questions  (about missing-upstream)"]
        await pilot.press("enter")  # follow the link to the lesson that teaches it
        await settle(pilot)
        assert type(app.screen).__name__ == "LessonScreen"
        assert app.screen.entry.key.lesson_id == "second-questions"
        stored = app.session.store.attempts(pack_id="ui-fixture")
        assert [a.attempt.verdict.value for a in stored].count("correct") == 3


@async_test
async def test_review_session_appears_when_due_and_clears(tmp_path):
    clock = FrozenClock()
    app = make_app(tmp_path, clock=clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        # Day 0: solve the ask problem in its lesson.
        await pilot.press("slash")
        await type_text(pilot, "single")
        await pilot.press("enter")
        await settle(pilot)
        await answer_correctly(pilot, app.screen.current_problem())
        await pilot.press("escape")
        await settle(pilot)
        assert app.home.reviews_due == 0
        await pilot.press("r")  # nothing due yet: a notice, no quiz
        await settle(pilot)
        assert type(app.screen).__name__ == "HomeScreen"

        # Ten days later the problem is due; the home screen counts it.
        clock.now += timedelta(days=10)
        app.home.refresh_lessons()
        await settle(pilot)
        assert app.home.reviews_due == 1
        assert any("Review: 1 due" in text for text in option_texts(app.home.query_one("#lessons")))
        await pilot.press("r")
        await settle(pilot)
        review = app.screen
        assert type(review).__name__ == "QuizScreen" and review.quiz.total == 1
        assert review.view.problem_id == "ask-grad-w"
        await answer_correctly(pilot, review.view)
        await pilot.press("enter")
        await settle(pilot)
        assert review.summary is not None and review.summary.correct == 1
        await pilot.press("escape")
        await settle(pilot)
        assert app.home.reviews_due == 0
        assert any("Review: 0 due" in text for text in option_texts(app.home.query_one("#lessons")))


@async_test
async def test_a_pack_quiz_asks_only_from_started_lessons_unless_asked_and_length_keys_work(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await pilot.press("t")
        await settle(pilot)
        setup = app.screen
        plain = widget_text(setup.query_one("#length"), flat=True)
        assert "(•) 5" in plain and "( ) 3" in plain and "( ) 10" in plain  # readable without colour
        assert "[ ] also ask from lessons I have not started" in widget_text(setup.query_one("#unstudied"), flat=True)
        await pilot.press("enter")  # whole pack, nothing studied yet
        await settle(pilot)
        assert app.screen.quiz.total == 0
        assert "lessons you have started" in widget_text(app.screen.query_one("#empty"), flat=True)
        await pilot.press("escape")
        await settle(pilot)

        # Study the first lesson a little: one answer in it.
        await pilot.press("slash")
        await type_text(pilot, "tracing")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("pagedown", "pagedown")
        await settle(pilot)
        await pilot.press("b", "enter")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)

        await pilot.press("t")
        await settle(pilot)
        await pilot.press("3", "right", "left")
        assert "(•) 3" in widget_text(app.screen.query_one("#length"), flat=True)
        await pilot.press("enter")
        await settle(pilot)
        quiz = app.screen.quiz
        assert quiz.total == 2  # the started lesson's two problems, not the other lesson's
        assert {result.problem.lesson_id for result in quiz.results} == {"first-trace"}


@async_test
async def test_a_quiz_ended_early_scores_only_the_questions_answered(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await start_pack_quiz(pilot)
        quiz_screen = app.screen
        await answer_correctly(pilot, quiz_screen.view)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("escape")  # end the quiz with three questions not reached
        await settle(pilot)
        shown = " ".join(widget_text(static, flat=True) for static in quiz_screen.query("#summary Static"))
        assert "1 of 1 answered right" in shown and "3 not reached" in shown


@async_test
async def test_a_quiz_goes_on_when_answers_cannot_be_saved_and_says_so_once(tmp_path, monkeypatch):
    # A read-only or full disk: the store refuses every answer. The quiz used to stop at the first
    # question (the refusal was raised before the answer counted) with a notice per try.
    from tutor.progress import ProgressError

    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)

        def refuse(attempt):
            raise ProgressError("the progress folder is read-only")

        monkeypatch.setattr(app.session.review, "record_attempt", refuse)
        notices = []
        monkeypatch.setattr(app, "notify", lambda message, **options: notices.append(message))
        await start_pack_quiz(pilot)
        quiz_screen = app.screen
        quiz = quiz_screen.quiz
        answered = 0
        while not quiz.is_finished:
            view = quiz_screen.view
            if view.problem.kind == "numeric":
                await pilot.press("pagedown")
                await settle(pilot)
                continue
            await answer_correctly(pilot, view)
            answered += 1
            assert quiz_screen.question_done
            await pilot.press("enter")
            await settle(pilot)
        assert answered == 3 and quiz_screen.summary.correct == 3
        saving = [message for message in notices if "could not be saved" in message]
        assert len(saving) == 1 and "read-only" in saving[0]


@async_test
async def test_a_lesson_in_a_read_only_folder_says_once_that_answers_are_not_saved(tmp_path, monkeypatch):
    from tutor.progress import ProgressError

    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)

        def refuse(attempt):
            raise ProgressError("the progress folder is read-only")

        monkeypatch.setattr(app.session.review, "record_attempt", refuse)
        from tutor.progress import Attempt, Verdict

        first = Attempt(pack_id="ui-fixture", pack_version="1.0.0", lesson_id="first-trace", problem_id="trace-abc",
                        answer_text="6", verdict=Verdict("incorrect"), answered_at=app.session.clock())
        messages = [app.session.record(first) for _ in range(3)]
        assert messages[0] and "read-only" in messages[0] and messages[1:] == [None, None]
