"""Practice on the home screen (issue 16 §3): generated problems chosen by mastery, levels, leeches."""

from __future__ import annotations

from datetime import timedelta

from test_ui_support import FrozenClock, async_test, type_text, widget_text
from ui_key_fuzz_support import make_fuzz_app

from tutor.graph import build_graph
from tutor.graph.model import format_number
from tutor.practice.mastery import SkillEvent, ratings


async def until_made(pilot) -> None:
    """Wait for the practice screen's generator and saves, then for the problem to mount."""
    app = pilot.app
    for _ in range(400):
        await pilot.pause()
        busy = [worker for worker in app.workers if worker.is_running and worker.group in ("practice", "save", "grade")]
        # Only the practice screen has a question to mount; after ctrl+o (a lesson) there is none to wait for.
        if not busy and (type(app.screen).__name__ != "PracticeScreen" or app.screen.query("#question > *")):
            break
        for worker in busy:
            await worker.wait()
    await pilot.pause()


async def answer_entry(pilot, view, ask: str, text: str) -> None:
    view.row_for(ask).input.focus()
    await pilot.pause()
    await type_text(pilot, text)
    await pilot.press("enter")
    await until_made(pilot)


@async_test
async def test_practice_generates_the_weakest_skill_and_right_answers_raise_its_mastery(tmp_path):
    app = make_fuzz_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.wait_until_loaded()
        await pilot.pause()
        await pilot.press("x")
        await until_made(pilot)
        screen = app.screen
        assert type(screen).__name__ == "PracticeScreen"
        generated = screen.generated
        assert generated is not None and generated.level == 1  # nothing known yet: start easy
        view = screen.view
        if generated.kind != "trace":
            return  # the first skill in the list is traced; other kinds are covered by the generator tests
        graph = build_graph(generated.program, generated.at)
        for entry in view.progress.entries:
            kind, _, node = entry.ask.partition(":")
            number = graph.nodes[node].value if kind == "value" else graph.nodes[node].grad
            await answer_entry(pilot, view, entry.ask, format_number(number))
        assert view.completed == "solved"
        events = app.session.skill_events()
        assert events and all(event.correct for event in events)
        assert ratings(events).get(generated.skill).mastery > 0.5
        await pilot.press("enter")  # the next problem
        await until_made(pilot)
        assert screen.problems_done == 1 and screen.generated is not generated


@async_test
async def test_a_third_missing_upstream_offers_the_lesson_that_teaches_it(tmp_path):
    clock = FrozenClock()
    app = make_fuzz_app(tmp_path)
    app.options.clock = clock
    async with app.run_test(size=(120, 40)) as pilot:
        await app.wait_until_loaded()
        await pilot.pause()
        # Two earlier slips of the same kind, so 'upstream' is the weakest skill met so far.
        app.session.store.record_skill_events([
            SkillEvent("upstream", False, 1, clock.now - timedelta(minutes=minutes), "missing-upstream")
            for minutes in (10, 5)])
        await pilot.press("x")
        await until_made(pilot)
        screen = app.screen
        assert screen.generated.skill == "upstream"
        view = screen.view
        graph = build_graph(screen.generated.program, screen.generated.at)
        # A gradient two edges from the output, answered with the local derivative alone.
        ask = next(entry.ask for entry in view.progress.entries if entry.ask.startswith("grad:")
                   and all(edge.target != graph.output for edge in graph.edges_out_of(entry.ask[5:]))
                   and len(graph.edges_out_of(entry.ask[5:])) == 1)
        edge = graph.edges_out_of(ask[5:])[0]
        for entry in view.progress.entries:  # the forward values first, right
            if entry.ask.startswith("value:"):
                await answer_entry(pilot, view, entry.ask, format_number(graph.nodes[entry.ask[6:]].value))
        await answer_entry(pilot, view, ask, format_number(edge.local_grad))  # the local factor alone
        assert view.feedback.judgement.diagnosis == "missing-upstream", view.feedback.judgement
        note = widget_text(screen.query_one("#practice-note"), flat=True)
        assert "three times" in note and "missing-upstream" in note and "ctrl+o" in note
        await pilot.press("ctrl+o")
        await until_made(pilot)
        assert type(app.screen).__name__ == "LessonScreen"
        assert app.screen.entry.key.lesson_id == screen.leech_lesson.key.lesson_id
        # Back from the lesson, the graph left half done is replayed worked out up to the slip
        # (tests/test_ui_practice_replay.py looks at the replay); then practice goes on with the rule
        # the lesson teaches, on a fresh graph.
        first = screen.generated
        await pilot.press("escape")
        await until_made(pilot)
        assert type(app.screen).__name__ == "LeechReplayScreen" and app.screen.replay.ask == ask
        await pilot.press("enter")
        await until_made(pilot)
        assert app.screen is screen
        assert screen.generated is not first and screen.generated.skill == "upstream"
        assert (screen.generated.program, screen.generated.at) != (first.program, first.at)


async def solve(pilot, screen) -> None:
    """Every entry of the practice screen's trace, right."""
    view = screen.view
    graph = build_graph(screen.generated.program, screen.generated.at)
    for entry in view.progress.entries:
        kind, _, node = entry.ask.partition(":")
        number = graph.nodes[node].value if kind == "value" else graph.nodes[node].grad
        await answer_entry(pilot, view, entry.ask, format_number(number))
    assert view.completed == "solved"


@async_test
async def test_a_run_of_right_answers_raises_mastery_and_the_level_follows(tmp_path):
    from tutor.ui.screens.practice import practice_level

    app = make_fuzz_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.wait_until_loaded()
        await pilot.pause()
        await pilot.press("x")
        await until_made(pilot)
        screen = app.screen
        seen: dict[str, list[tuple[int, float]]] = {}  # skill -> (level offered, mastery then), in order
        for _ in range(8):
            generated = screen.generated
            events = app.session.skill_events()
            # The level offered is the one the skill's mastery allows at that moment.
            assert generated.level == practice_level(events, generated.skill)
            seen.setdefault(generated.skill, []).append((generated.level, ratings(events).get(generated.skill).mastery))
            if any(history[-1][0] > history[0][0] for history in seen.values()):
                break
            await solve(pilot, screen)
            await pilot.press("enter")
            await until_made(pilot)
        assert list(seen.values())[0][0][0] == 1  # a new learner starts at level 1
        # Each skill's mastery rose with the right answers and its level followed, never down.
        for skill_id, history in seen.items():
            levels = [level for level, _ in history]
            masteries = [mastery for _, mastery in history]
            assert levels == sorted(levels) and masteries == sorted(masteries), (skill_id, history)
        assert any(history[-1][0] > history[0][0] and history[-1][1] > history[0][1] for history in seen.values()), seen
