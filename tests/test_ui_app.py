"""Pilot tests: a learner walking through the tutor (home, a whole trace problem, a choice problem, ...)."""

from __future__ import annotations

from pathlib import Path

from test_ui_support import (
    FIXTURE_PACK,
    answer,
    async_test,
    loaded,
    make_app,
    open_lesson,
    settle,
    type_text,
    widget_text,
)

from tutor.graph.model import format_number


def option_texts(option_list) -> list[str]:
    return [str(option_list.get_option_at_index(index).prompt) for index in range(option_list.option_count)]


def stored_attempts(app):
    return app.session.store.attempts(pack_id="ui-fixture")


@async_test
async def test_home_lists_packs_lessons_markers_and_reviews(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        # The title is there before anything has loaded.
        assert "backprop-tutor" in widget_text(app.screen.query_one("#title"))
        await loaded(pilot)
        texts = option_texts(app.screen.query_one("#lessons"))
        assert any("Start: Tracing a small graph" in text for text in texts)
        assert any("Review: 0 due" in text for text in texts)
        assert any("○ 1. Tracing a small graph" in text and "0/2" in text for text in texts)
        assert any("○ 2. Single questions" in text for text in texts)


@async_test
async def test_whole_trace_problem_wrong_answers_hint_and_completion(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await open_lesson(pilot, "tracing")
        lesson = app.screen
        assert type(lesson).__name__ == "LessonScreen"
        await pilot.press("space")  # past the text step
        await settle(pilot)
        view = lesson.current_problem()
        assert type(view).__name__ == "TraceProblemView"
        asks = [entry.ask for entry in view.progress.entries]
        assert asks == ["value:z1", "value:z2", "value:L", "grad:L", "grad:z2", "grad:z1", "grad:c", "grad:b",
                        "grad:a"]
        assert app.focused is view.rows[0].input

        # Unreadable input: the caret points at the column, the row is not marked, nothing counts.
        await answer(pilot, "2*")
        assert view.feedback.judgement.verdict == "invalid"
        assert view.feedback.judgement.column is not None
        assert view.progress.status["value:z1"] == "pending"
        assert "^" in widget_text(view.feedback)

        # A wrong value: the row turns incorrect and the node is flagged in the graph.
        await answer(pilot, "5")  # the unreadable answer is selected, so this replaces it
        assert view.feedback.judgement.verdict == "incorrect"
        assert view.progress.status["value:z1"] == "incorrect"
        assert view.rows[0].has_class("-incorrect")

        await answer(pilot, "a*b")  # names of inputs mean their values
        assert view.progress.status["value:z1"] == "correct"
        assert "z1 = a*b = 2 · 3 = 6" in view.graph_view.frame_plain() or "= 6" in view.graph_view.frame_plain()
        assert app.focused is view.rows[1].input
        for text in ("7", "49", "1", "14", "14", "14"):
            await answer(pilot, text)
        assert [view.progress.status[ask] for ask in asks[:7]] == ["correct"] * 7

        # The author's mistake for grad:b is diagnosed.
        await answer(pilot, "14")
        assert view.progress.status["grad:b"] == "incorrect"
        assert view.feedback.judgement.diagnosis == "stopped-at-z1"
        assert "dz1/db" in widget_text(view.feedback) or "dz1/db" in view.feedback.judgement.message

        await pilot.press("f2")
        await settle(pilot)
        assert view.hints_used == 1
        assert "Hint 1/2" in widget_text(view.hint_ladder)

        await answer(pilot, "14*a")
        await answer(pilot, "42")
        assert view.completed == "solved"
        assert lesson.records["trace-abc"].outcome == "solved"
        assert "Every entry of the table is right" in widget_text(view.feedback)

        await settle(pilot)
        attempts = stored_attempts(app)
        verdicts = [(stored.attempt.verdict.value, stored.attempt.diagnosis) for stored in attempts]
        assert verdicts == [("invalid", None), ("incorrect", None), ("incorrect", "stopped-at-z1"), ("correct", None)]
        final = attempts[-1].attempt
        assert final.hints_used == 1 and final.problem_id == "trace-abc" and final.lesson_id == "first-trace"
        assert "grad:a=42" in final.answer_text

        # Back home: the lesson is in progress (the choice problem is still open) and Continue points at it.
        await pilot.press("escape")
        await settle(pilot)
        texts = option_texts(app.screen.query_one("#lessons"))
        assert any("◐ 1. Tracing a small graph" in text and "1/2" in text for text in texts)
        assert any("Continue: Tracing a small graph" in text for text in texts), texts


@async_test
async def test_choice_problem_wrong_then_right_then_summary(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await open_lesson(pilot, "tracing")
        await pilot.press("pagedown", "pagedown")  # skip the text and the trace problem
        await settle(pilot)
        view = app.screen.current_problem()
        assert type(view).__name__ == "ChoiceProblemView"
        assert app.focused is view.choices
        await pilot.press("b", "enter")  # B: forward mode
        await settle(pilot)
        assert view.feedback.judgement.verdict == "incorrect"
        assert "one pass per input" in widget_text(view.feedback)
        assert view.completed is None
        await pilot.press("up", "enter")  # A: reverse mode (the choice follows the cursor)
        await settle(pilot)
        assert view.feedback.judgement.verdict == "correct"
        assert view.completed == "solved"
        assert app.screen.query_one("#continue").has_class("-visible")
        await pilot.press("enter")  # on to the summary
        await settle(pilot)
        summary = app.screen.query_one("LessonSummary")
        text = " ".join(widget_text(static) for static in summary.query("Static"))
        assert "1 of 2 problems solved" in text
        assert "Which mode" in text
        # Title first, then the result; 'wrong' counts the one wrong answer (B), not every answer given.
        row = next(line for line in text.splitlines() if "Which mode" in line)
        assert row.split()[:5] == ["Which", "mode", "✓", "solved", "1"], row
        attempts = stored_attempts(app)
        assert [(a.attempt.problem_id, a.attempt.verdict.value, a.attempt.answer_text) for a in attempts] == [
            ("choice-mode", "incorrect", "forward"), ("choice-mode", "correct", "reverse")]


@async_test
async def test_give_up_shows_worked_solution_and_counts_as_gave_up(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await open_lesson(pilot, "tracing")
        await pilot.press("pagedown")
        await settle(pilot)
        view = app.screen.current_problem()
        await pilot.press("ctrl+g")  # the first press only asks for confirmation
        await settle(pilot)
        assert view.completed is None
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert view.completed == "gave-up"
        rendered = widget_text(view.feedback)
        assert "Worked solution" in rendered
        assert "dL/da = dL/dz1 · ∂z1/∂a = 14 · 3 = 42" in rendered
        assert all(view.progress.status[entry.ask] == "revealed" for entry in view.progress.entries)
        assert view.rows[-1].input.value == "42"
        assert view.graph_view.in_playback
        await settle(pilot)
        assert [a.attempt.verdict.value for a in stored_attempts(app)] == ["gave-up"]
        # The step is over but was not solved: the line under it must not say "✓ Done".
        line = widget_text(app.screen.query_one("#continue"))
        assert "Solution shown" in line and "Done" not in line


@async_test
async def test_animation_timer_stops_when_its_screen_is_left(tmp_path):
    app = make_app(tmp_path, animation_interval=30.0)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await open_lesson(pilot, "tracing")
        await pilot.press("pagedown")
        await settle(pilot)
        view = app.screen.current_problem()
        await pilot.press("ctrl+g", "ctrl+g")  # the worked solution plays the whole animation
        await settle(pilot)
        graph = view.graph_view
        assert graph.playing
        await pilot.press("f1")  # another screen on top: the animation pauses
        await settle(pilot)
        assert type(app.screen).__name__ == "HelpScreen" and not graph.playing
        await pilot.press("escape", "f9")  # help closes; resume
        await settle(pilot)
        assert graph.playing
        await pilot.press("escape", "escape")  # leave the replay, then the lesson
        await settle(pilot)
        assert type(app.screen).__name__ == "HomeScreen"
        assert not graph.is_attached and not graph.playing


@async_test
async def test_replay_is_locked_until_the_pass_is_done_and_steps_back_and_forth(tmp_path):
    app = make_app(tmp_path, animation_interval=30.0)  # slow: the test steps by hand
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await open_lesson(pilot, "tracing")
        await pilot.press("pagedown")
        await settle(pilot)
        view = app.screen.current_problem()
        await pilot.press("f5")
        await settle(pilot)
        assert not view.graph_view.in_playback
        assert "opens once you have filled in" in widget_text(view.feedback, flat=True)
        for text in ("6", "7", "49"):
            await answer(pilot, text)
        await pilot.press("f5")
        await pilot.press("f9")  # pause
        await settle(pilot)
        graph = view.graph_view
        assert graph.in_playback and not graph.playing
        position = graph.current_step.index
        await pilot.press("f8")
        assert graph.current_step.index == position + 1
        await pilot.press("f7", "f7")
        assert graph.current_step.index == max(0, position - 1)
        graph.focus()  # with the graph focused, plain keys drive it
        await pilot.press("right")
        assert graph.current_step.index == max(0, position - 1) + 1
        await pilot.press("plus", "plus", "plus")
        assert graph.interval == 1.0  # 30 s halves to 15, capped at 4, then 2 and 1
        await pilot.press("minus")
        assert graph.interval == 2.0
        await pilot.press("escape")  # back to the exercise, not out of the lesson
        await settle(pilot)
        assert not graph.in_playback
        assert type(app.screen).__name__ == "LessonScreen"


@async_test
async def test_help_opens_with_f1_and_question_mark(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("f1")
        assert type(app.screen).__name__ == "HelpScreen"
        await pilot.press("escape")
        assert type(app.screen).__name__ == "HomeScreen"
        await pilot.press("question_mark")
        assert type(app.screen).__name__ == "HelpScreen"
        await pilot.press("escape")


@async_test
async def test_help_scrolls_a_page_per_space_and_three_lines_per_j(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("f1")
        await pilot.pause()
        body = app.screen.query_one("#help-body")
        page = body.scrollable_content_region.height
        await pilot.press("j", "j")
        await pilot.pause()
        assert body.scroll_y == 6
        await pilot.press("space")
        await pilot.pause()
        assert body.scroll_y == 6 + page - 2
        await pilot.press("end")
        await pilot.pause()
        assert body.scroll_y == body.max_scroll_y > 0
        await pilot.press("home")
        await pilot.pause()
        assert body.scroll_y == 0


@async_test
async def test_filter_narrows_the_lesson_list(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await pilot.press("slash")
        await type_text(pilot, "single")
        await pilot.pause()
        texts = option_texts(app.screen.query_one("#lessons"))
        assert any("Single questions" in text for text in texts)
        assert not any("Tracing a small graph" in text for text in texts)
        await type_text(pilot, "zzz")
        await pilot.pause()
        assert any("No lesson matches" in text for text in option_texts(app.screen.query_one("#lessons")))
        await pilot.press("escape")
        await pilot.pause()
        assert any("Tracing a small graph" in text for text in option_texts(app.screen.query_one("#lessons")))


@async_test
async def test_broken_pack_is_listed_with_its_first_error(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: broken-pack\ntitle: Broken\nversion: '1'\nlessons:\n  - id: x\n    title: X\n    stepz: []\n")
    app = make_app(tmp_path / "data", extra_packs=[broken])
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(pilot)
        texts = option_texts(app.screen.query_one("#lessons"))
        assert any("Broken packs" in text for text in texts)
        line = next(text for text in texts if text.startswith("✗"))
        assert "broken.yaml:5:5: error:" in line and "steps" in line
        assert any("Tracing a small graph" in text for text in texts)  # the good pack still loads


@async_test
async def test_continue_opens_the_first_unsolved_problem(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await open_lesson(pilot, "single")
        view = app.screen.current_problem()
        await answer(pilot, "2*(2*(-1) + 0.5)*2")
        assert view.completed == "solved"
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        lesson = app.screen
        assert type(lesson).__name__ == "LessonScreen"
        assert lesson.current_problem().problem_id == "numeric-shrink"


@async_test
async def test_ask_and_numeric_problems_grade_with_the_same_feedback_panel(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await open_lesson(pilot, "single")
        view = app.screen.current_problem()
        assert type(view).__name__ == "AnswerProblemView"
        await answer(pilot, "2")  # dz1/dw = x only: the upstream gradient is missing
        assert view.feedback.judgement.verdict == "incorrect"
        assert view.feedback.judgement.diagnosis == "missing-upstream"
        await pilot.press("pagedown")
        await settle(pilot)
        numeric = app.screen.current_problem()
        await answer(pilot, "0.25*3")
        assert numeric.feedback.judgement.verdict == "incorrect"
        await answer(pilot, "1/64")
        assert numeric.completed == "solved"


@async_test
async def test_lab_problem_says_coming_soon_without_a_registered_lab_screen(tmp_path, monkeypatch):
    import tutor.ui.lab_registry as registry

    monkeypatch.setattr(registry, "find_lab_screen", lambda name: None)
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await open_lesson(pilot, "single")
        await pilot.press("pagedown", "pagedown")
        await settle(pilot)
        lab = app.screen.current_problem()
        assert type(lab).__name__ == "LabProblemView"
        assert "coming soon" in widget_text(lab.query_one("#lab-note"), flat=True)


@async_test
async def test_lab_problem_opens_the_registered_lab_screen(tmp_path, monkeypatch):
    from textual.screen import Screen
    from textual.widgets import Static

    import tutor.ui.lab_registry as registry

    opened = []

    class FakeLab(Screen):
        def compose(self):
            yield Static("fake lab")

    def factory(problem):
        opened.append(problem.lab)
        return FakeLab()

    monkeypatch.setattr(registry, "find_lab_screen", lambda name: factory)
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await open_lesson(pilot, "single")
        await pilot.press("pagedown", "pagedown")
        await settle(pilot)
        lab = app.screen.current_problem()
        await pilot.press("enter")  # the focused "Open the xor lab" button
        await settle(pilot)
        assert opened == ["xor"] and isinstance(app.screen, FakeLab)
        app.screen.dismiss(True)  # the lab reports it is finished
        await settle(pilot)
        assert lab.completed == "solved"


async def until_built(pilot, done) -> None:
    """Wait for the playground's build worker and the messages it posts until ``done()`` (no sleeps)."""
    for _ in range(50):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if done():
            return


@async_test
async def test_playground_reports_errors_with_a_caret_and_builds_the_graph(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("p")
        await settle(pilot)
        screen = app.screen
        assert type(screen).__name__ == "PlaygroundScreen"
        await until_built(pilot, lambda: bool(screen.query("TraceProblemView")))
        view = screen.query_one("TraceProblemView")
        assert "L ^" in view.graph_view.frame_plain()
        program = screen.query_one("#program")
        program.value = "y = (x + "
        await pilot.press("enter")
        await until_built(pilot, lambda: not screen.query_one("#playground-error").has_class("-hidden"))
        error = widget_text(screen.query_one("#playground-error"))
        assert "program" in error and "^" in error
        program.value = "y = tanh(x*w)"
        screen.query_one("#values").value = "x = 1"
        await pilot.press("enter")
        await until_built(pilot, lambda: "w = 1" in widget_text(screen.query_one("#playground-error")))
        assert "add w = 1" in widget_text(screen.query_one("#playground-error"), flat=True)
        screen.query_one("#values").value = "x = 1, w = 0.5"
        await pilot.press("enter")

        def tanh_drawn() -> bool:
            views = screen.query("TraceProblemView")
            return bool(views) and "tanh" in views.first().graph_view.frame_plain()

        await until_built(pilot, tanh_drawn)
        view = screen.query_one("TraceProblemView")
        assert "tanh" in view.graph_view.frame_plain()
        # After Enter builds the graph, what is typed next is an answer, not more inputs.
        assert app.focused is view.row_for(view.progress.next_open.ask).input
        await pilot.press("7")
        assert screen.query_one("#values").value == "x = 1, w = 0.5"
        screen.query_one("#program").focus()
        await pilot.press("f5")  # replays are free in the playground, even from the program field
        await settle(pilot)
        assert view.graph_view.in_playback


@async_test
async def test_resize_keeps_typed_text(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await open_lesson(pilot, "tracing")
        await pilot.press("space")
        await settle(pilot)
        view = app.screen.current_problem()
        await type_text(pilot, "2*3")
        for size in ((80, 24), (60, 20), (200, 60), (80, 24)):
            await pilot.resize_terminal(*size)
            await pilot.pause()
        assert view.rows[0].input.value == "2*3"
        assert app.focused is view.rows[0].input


@async_test
async def test_command_palette_offers_every_lesson(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        commands = {command.title: command for command in app.get_system_commands(app.screen)}
        assert "Lesson: Tracing a small graph" in commands and "Lesson: Single questions" in commands
        commands["Lesson: Single questions"].callback()
        await settle(pilot)
        assert app.screen.entry.key.lesson_id == "second-questions"


@async_test
async def test_q_quits(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


@async_test
async def test_a_damaged_progress_file_is_moved_aside_and_the_learner_is_told(tmp_path):
    (tmp_path / "progress.db").write_bytes(b"this is not a database" * 10)
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        notice = widget_text(app.screen.query_one("#notices"), flat=True)
        assert notice and "progress" in notice.lower()
        assert list(tmp_path.glob("progress.db.corrupt-*"))
        assert any("Tracing a small graph" in text for text in option_texts(app.screen.query_one("#lessons")))


@async_test
async def test_after_a_finished_lesson_home_offers_the_next_one(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await open_lesson(pilot, "tracing")
        await pilot.press("pagedown")
        await settle(pilot)
        view = app.screen.current_problem()
        for entry in view.progress.entries:
            await answer(pilot, format_number(view.progress.expected_text(entry)))
        await pilot.press("enter")  # on to the choice problem
        await settle(pilot)
        await pilot.press("a", "enter")  # A, the right option
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        texts = option_texts(app.screen.query_one("#lessons"))
        assert any("✓ 1. Tracing a small graph" in text and "2/2" in text for text in texts)
        assert any("Next: Single questions" in text for text in texts)
        await pilot.press("c")
        await settle(pilot)
        assert app.screen.entry.key.lesson_id == "second-questions"


@async_test
async def test_packs_for_authors_are_listed_after_the_course_under_their_own_heading(tmp_path):
    from tutor.ui.app import create_app

    example = Path(__file__).resolve().parents[1] / "lessons" / "example"
    # The format tour is named first on purpose: it must still come after the learner's lessons.
    app = create_app(data_dir=tmp_path, pack_paths=[example, FIXTURE_PACK], include_builtin=False,
                     include_user=False, seed=1, review_fuzzing=False, animation_interval=0.05)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        texts = option_texts(app.screen.query_one("#lessons"))
        heading = next(index for index, text in enumerate(texts) if text.startswith("For pack authors"))
        tour = next(index for index, text in enumerate(texts) if text.startswith("Format tour"))
        fixture = next(index for index, text in enumerate(texts) if text.startswith("UI fixture pack"))
        assert fixture < heading < tour
        assert "Start: Tracing a small graph" in texts[0]


@async_test
async def test_the_summary_opened_again_at_once_does_not_crash(tmp_path):
    # The 4-minute key fuzz (seed 11): PgDn to the summary, PgUp and PgDn again in one burst. The old
    # summary was still being removed when the new one, with the same id, was mounted: DuplicateIds.
    from test_ui_feedback import burst

    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await open_lesson(pilot, "tracing")
        await pilot.press("pagedown", "pagedown", "pagedown")  # text, trace, choice: the summary
        await settle(pilot)
        screen = app.screen
        assert screen.index == screen.summary_index
        await burst(pilot, "pageup", "pagedown", "pageup", "pagedown")
        await settle(pilot)
        assert app.screen is screen and screen.index == screen.summary_index
        summaries = list(screen.query("LessonSummary"))
        assert len(summaries) == 1 and summaries[0].display
