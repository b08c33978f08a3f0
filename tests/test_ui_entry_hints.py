"""Pilot test: F2 in a trace entry with hints of its own (`entry_hints:`) shows those first; elsewhere the
problem's hints; the attempts record every hint shown."""

from __future__ import annotations

from test_ui_support import answer, async_test, loaded, make_app, open_lesson, settle, widget_text

PACK = """\
id: entry-hints
title: "Entry hints"
version: "1"
lessons:
  - id: hinted
    title: "Hinted entries"
    steps:
      - kind: trace
        id: hinted-trace
        prompt: "Trace L = (a*b + c)^2."
        program: "z1 = a*b; z2 = z1 + c; L = z2^2"
        at: {a: 2, b: 3, c: 1}
        hints: ["General: work backwards from L, one node at a time.", "General: multiply along the path."]
        entry_hints:
          "grad:b": ["b reaches L through z1 only.", "Local derivative of z1 with respect to b: the other factor."]
"""


async def move(pilot, delta: int, times: int = 1) -> None:
    for _ in range(times):
        await pilot.press("down" if delta > 0 else "up")
    await settle(pilot)


@async_test
async def test_f2_uses_the_focused_entrys_hints_then_the_general_ones(tmp_path):
    pack = tmp_path / "entry-hints.yaml"
    pack.write_text(PACK)
    app = make_app(tmp_path / "data", extra_packs=[pack])
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await open_lesson(pilot, "hinted")
        view = app.screen.current_problem()
        asks = [entry.ask for entry in view.progress.entries]
        assert asks.index("grad:b") == 7
        await move(pilot, +1, times=7)
        assert app.focused is view.row_for("grad:b").input

        await pilot.press("f2")
        await settle(pilot)
        text = widget_text(view.hint_ladder, flat=True)
        assert "Hint 1/4: b reaches L through z1 only." in text and "General" not in text
        assert view.hints_used == 1

        await answer(pilot, "14")  # a wrong try records the hints used so far
        assert view.progress.status["grad:b"] == "incorrect"

        await move(pilot, +1)
        assert app.focused is view.row_for("grad:a").input
        assert view.hint_ladder.has_class("-empty")  # b's hint is not grad:a's
        await pilot.press("f2")
        await settle(pilot)
        text = widget_text(view.hint_ladder, flat=True)
        assert "Hint 1/2: General: work backwards from L" in text and "through z1" not in text
        assert view.hints_used == 2

        await pilot.press("f2")  # grad:a's ladder, the general hints, is done
        await settle(pilot)
        assert "Hint 2/2: General: multiply" in widget_text(view.hint_ladder, flat=True)
        assert view.hints_used == 3
        assert not view.feedback.worked_shown  # the wrong answer on screen is grad:b's: its own hints are not done

        await move(pilot, -1)  # back in grad:b: its own hint again, not the general ones yet
        text = widget_text(view.hint_ladder, flat=True)
        assert "Hint 1/4: b reaches L through z1 only." in text and "General" not in text
        await pilot.press("f2")  # b's last hint; the general ones, already seen, follow and are not counted again
        await settle(pilot)
        text = widget_text(view.hint_ladder, flat=True)
        assert "Hint 2/4: Local derivative of z1" in text and "Hint 4/4: General: multiply" in text
        assert view.hints_used == 4
        assert view.feedback.worked_shown  # grad:b's ladder is done: its wrong answer gets the worked step

        await move(pilot, -1, times=8)
        assert app.focused is view.row_for("value:z1").input
        for typed in ("6", "7", "49", "1", "14", "14", "14", "28", "42"):
            await answer(pilot, typed)
        assert view.completed == "solved"

        await settle(pilot)
        attempts = [stored.attempt for stored in app.session.store.attempts(pack_id="entry-hints")]
        assert [(attempt.verdict.value, attempt.hints_used) for attempt in attempts] == [("incorrect", 1),
                                                                                         ("correct", 4)]
