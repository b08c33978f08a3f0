"""A leech in the review (issue 16 §3): the same detection, replay and lesson offer as in Practice.

The review's generated graphs (a due skill's fresh graph) and the course's trace problems are graded
entry by entry like a practice graph; the third missing-upstream there names the slip with its rule,
offers the lesson, and replays that graph once the learner leaves it.
"""

from __future__ import annotations

from datetime import timedelta

from test_practice_review_ui import until_question
from test_ui_support import FrozenClock, async_test, type_text, widget_text
from ui_key_fuzz_support import make_fuzz_app

from tutor.graph import build_graph
from tutor.graph.model import format_number
from tutor.practice.mastery import SkillEvent


async def answer(pilot, view, ask: str, text: str) -> None:
    view.row_for(ask).input.focus()
    await pilot.pause()
    await type_text(pilot, text)
    await pilot.press("enter")
    await until_question(pilot)


async def review_with_upstream_due(pilot, clock):
    """Two old missing-upstream slips make 'upstream' due; r opens the review on a fresh upstream graph."""
    app = pilot.app
    await app.wait_until_loaded()
    await pilot.pause()
    app.session.store.record_skill_events([
        SkillEvent("upstream", False, 1, clock.now - timedelta(days=4, minutes=minutes), "missing-upstream")
        for minutes in (10, 5)])
    await pilot.press("r")
    await until_question(pilot)
    screen = app.screen
    assert type(screen).__name__ == "QuizScreen"
    assert screen.generated is not None and screen.generated.skill == "upstream"
    return screen


def slip_entry(graph):
    """A gradient two edges from the output with one consumer (answered with its local factor alone)."""
    for name in graph.order:
        edges = graph.edges_out_of(name)
        if len(edges) == 1 and edges[0].target != graph.output:
            return f"grad:{name}", edges[0]
    raise AssertionError("no entry for a missing-upstream slip")


@async_test
async def test_a_third_missing_upstream_in_the_review_offers_the_lesson_and_replays_its_graph(tmp_path):
    clock = FrozenClock()
    app = make_fuzz_app(tmp_path)
    app.options.clock = clock
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await review_with_upstream_due(pilot, clock)
        view = screen.view
        generated = screen.generated
        graph = build_graph(generated.program, generated.at)
        ask, edge = slip_entry(graph)
        await answer(pilot, view, ask, format_number(edge.local_grad))
        assert view.feedback.judgement.diagnosis == "missing-upstream", view.feedback.judgement
        note = widget_text(screen.query_one("#quiz-note"), flat=True)
        assert "three times" in note and "missing-upstream" in note and "ctrl+o" in note
        assert f"up to ∂{graph.output}/∂{ask[5:]}" in note
        assert screen.query_one("#quiz-note").has_class("-visible")
        assert type(app.screen).__name__ == "QuizScreen"  # nothing is replayed while entries are open
        for entry in view.progress.entries:  # the learner finishes the graph
            if view.progress.is_open(entry.ask):
                kind, _, name = entry.ask.partition(":")
                number = graph.nodes[name].value if kind == "value" else graph.nodes[name].grad
                await answer(pilot, view, entry.ask, format_number(number))
        assert view.completed == "solved"

        replay_screen = app.screen  # the graph is left: its replay
        assert type(replay_screen).__name__ == "LeechReplayScreen"
        assert replay_screen.replay.ask == ask and set(replay_screen.replay.graph.order) == set(graph.order)
        text = widget_text(replay_screen.query_one("#replay-text"), flat=True)
        assert f"You answered ∂{graph.output}/∂{ask[5:]} = {format_number(edge.local_grad)};" in text
        await pilot.press("enter")
        await until_question(pilot)
        assert app.screen is screen
        note = widget_text(screen.query_one("#quiz-note"), flat=True)
        assert "Lesson" in note and "ctrl+o" in note
        await pilot.press("ctrl+o")  # the lesson that teaches the rule, over the review
        await pilot.pause()
        assert type(app.screen).__name__ == "LessonScreen"
        assert app.screen.entry.key.lesson_id == screen.leech.lesson.key.lesson_id
        # At the step that teaches the rule, not at the lesson's first page.
        lesson = app.screen
        assert lesson.index > 0 and lesson.steps[lesson.index].kind == "text"
        assert "The backward pass" in str(lesson.steps[lesson.index].text)
        assert "ctrl+o opens it at 'The backward pass'" in note


@async_test
async def test_skipping_a_review_graph_with_a_leech_replays_it_before_the_next_question(tmp_path):
    clock = FrozenClock()
    app = make_fuzz_app(tmp_path)
    app.options.clock = clock
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await review_with_upstream_due(pilot, clock)
        view = screen.view
        graph = build_graph(screen.generated.program, screen.generated.at)
        ask, edge = slip_entry(graph)
        await answer(pilot, view, ask, format_number(edge.local_grad))
        assert "three times" in widget_text(screen.query_one("#quiz-note"), flat=True)
        position = screen.quiz.position
        await pilot.press("pagedown")
        await until_question(pilot)
        assert type(app.screen).__name__ == "LeechReplayScreen" and app.screen.replay.ask == ask
        await pilot.press("escape")
        await until_question(pilot)
        assert app.screen is screen and screen.quiz.position == position + 1
        assert not screen.query_one("#quiz-note").has_class("-visible")
