"""A leech's replay on the learner's own graph (issue 16 §3), in the app: shown once the graph is left."""

from __future__ import annotations

from datetime import timedelta

from test_ui_practice import answer_entry, until_made
from test_ui_support import FrozenClock, async_test, widget_text
from ui_key_fuzz_support import make_fuzz_app

from tutor.graph import build_graph
from tutor.graph.model import format_number
from tutor.practice.mastery import SkillEvent


def factor(value: float) -> str:
    """A factor as worked lines write it: a negative one in brackets, 4 · (-2)."""
    return f"({format_number(value)})" if value < 0 else format_number(value)


async def third_missing_upstream(pilot, clock):
    """Two earlier slips recorded, then practice, and the third slip on its graph: (screen, graph, ask)."""
    app = pilot.app
    await app.wait_until_loaded()
    await pilot.pause()
    app.session.store.record_skill_events([
        SkillEvent("upstream", False, 1, clock.now - timedelta(minutes=minutes), "missing-upstream")
        for minutes in (10, 5)])
    await pilot.press("x")
    await until_made(pilot)
    screen = app.screen
    assert screen.generated.skill == "upstream"
    view = screen.view
    graph = build_graph(screen.generated.program, screen.generated.at)
    # A gradient two edges from the output, with one consumer: answered with the local factor alone.
    ask = next(entry.ask for entry in view.progress.entries if entry.ask.startswith("grad:")
               and all(edge.target != graph.output for edge in graph.edges_out_of(entry.ask[5:]))
               and len(graph.edges_out_of(entry.ask[5:])) == 1)
    edge = graph.edges_out_of(ask[5:])[0]
    await answer_entry(pilot, view, ask, format_number(edge.local_grad))
    assert view.feedback.judgement.diagnosis == "missing-upstream", view.feedback.judgement
    note = widget_text(screen.query_one("#practice-note"), flat=True)
    assert "three times" in note and "ctrl+o" in note
    assert f"you will see it worked, up to ∂{graph.output}/∂{ask[5:]}" in note
    assert type(app.screen).__name__ == "PracticeScreen"  # nothing is replayed while entries are open
    return screen, graph, ask


@async_test
async def test_a_third_missing_upstream_replays_the_learners_own_graph_then_offers_the_lesson(tmp_path):
    clock = FrozenClock()
    app = make_fuzz_app(tmp_path)
    app.options.clock = clock
    async with app.run_test(size=(120, 40)) as pilot:
        screen, graph, ask = await third_missing_upstream(pilot, clock)
        node = ask[5:]
        edge = graph.edges_out_of(node)[0]
        view = screen.view
        first = screen.generated
        await answer_entry(pilot, view, ask, "12345")  # another wrong try, not the leech's slip
        assert view.feedback.judgement.diagnosis != "missing-upstream"
        for entry in view.progress.entries:  # the learner then finishes the graph, the slip put right
            if view.progress.is_open(entry.ask):
                kind, _, name = entry.ask.partition(":")
                number = graph.nodes[name].value if kind == "value" else graph.nodes[name].grad
                await answer_entry(pilot, view, entry.ask, format_number(number))
        assert view.completed == "solved"

        # Finished: the replay of this very graph is on screen, playing the backward pass.
        replay_screen = app.screen
        assert type(replay_screen).__name__ == "LeechReplayScreen"
        assert replay_screen.replay.ask == ask and set(replay_screen.replay.graph.order) == set(graph.order)
        graph_view = replay_screen.graph_view
        for _ in replay_screen.replay.steps:  # → steps it to the end, whatever the timer has done
            await pilot.press("right")
        await pilot.pause()
        drawn = graph_view.frame_plain()
        for name in graph.order:  # that graph's nodes, with its input values
            assert name in drawn
        for name in graph.input_ids:
            assert format_number(graph.nodes[name].value) in drawn
        out, up = graph.output, graph.nodes[edge.target].grad
        worked = (f"d{out}/d{node} = d{out}/d{edge.target} · ∂{edge.target}/∂{node} = "
                  f"{factor(up)} · {factor(edge.local_grad)} = {format_number(graph.nodes[node].grad)}")
        assert f"Your entry: {worked}" in drawn  # the animation stops on the entry, its arithmetic as caption
        assert format_number(graph.nodes[node].grad) in drawn
        text = widget_text(replay_screen.query_one("#replay-text"), flat=True)
        assert worked in text
        assert f"upstream d{out}/d{edge.target} = {format_number(up)}" in text
        # What they typed for the slip the leech is about, not their later try.
        assert f"You answered ∂{out}/∂{node} = {format_number(edge.local_grad)};" in text
        assert f"finished on your entry ∂{out}/∂{node}" in widget_text(replay_screen.query_one("#replay-status"), flat=True)

        # Enter: back to the finished graph, with the lesson offer; Enter again: practice goes on.
        await pilot.press("enter")
        await until_made(pilot)
        assert app.screen is screen and screen.generated is first
        note = widget_text(screen.query_one("#practice-note"), flat=True)
        assert "Lesson" in note and "ctrl+o" in note and "Enter" in note
        await pilot.press("enter")
        await until_made(pilot)
        assert app.screen is screen and screen.generated is not first and screen.problems_done == 1
        assert type(app.screen).__name__ == "PracticeScreen"  # one replay per leech


@async_test
async def test_skipping_the_graph_of_a_leech_shows_its_replay_before_the_next_one(tmp_path):
    clock = FrozenClock()
    app = make_fuzz_app(tmp_path)
    app.options.clock = clock
    async with app.run_test(size=(80, 24)) as pilot:
        screen, graph, ask = await third_missing_upstream(pilot, clock)
        first = screen.generated
        await pilot.press("pagedown")
        await until_made(pilot)
        assert type(app.screen).__name__ == "LeechReplayScreen" and app.screen.replay.ask == ask
        assert screen.generated is first  # the next graph waits for the replay
        await pilot.press("escape")
        await until_made(pilot)
        assert app.screen is screen and screen.generated is not first


@async_test
async def test_after_a_leech_the_next_graph_is_on_its_skill_even_without_the_lesson(tmp_path):
    """The issue: the learner 'is offered the lesson on it after the third time and then gets practice on
    that skill'. Declining the lesson (going on with Enter or PgDn) still gives the leech's skill next, even
    when another skill is weaker by then."""
    from tutor.practice.mastery import next_skill, ratings
    from tutor.ui.screens.practice import practice_skills

    clock = FrozenClock()
    app = make_fuzz_app(tmp_path)
    app.options.clock = clock
    async with app.run_test(size=(80, 24)) as pilot:
        screen, graph, ask = await third_missing_upstream(pilot, clock)
        first = screen.generated
        # Meanwhile local-mul has become the weakest skill: by mastery alone it would come next.
        app.session.store.record_skill_events([
            SkillEvent("local-mul", False, 1, clock.now - timedelta(minutes=30 + n)) for n in range(6)])
        assert next_skill(ratings(app.session.skill_events()), allowed=practice_skills()) == "local-mul"
        await pilot.press("pagedown")  # leave the graph without the lesson: its replay, then go on
        await until_made(pilot)
        assert type(app.screen).__name__ == "LeechReplayScreen"
        await pilot.press("enter")
        await until_made(pilot)
        assert app.screen is screen and screen.generated is not first
        assert screen.generated.skill == "upstream"
        await pilot.press("pagedown")  # once: after that, the skill that most needs work again
        await until_made(pilot)
        assert screen.generated.skill == "local-mul"
