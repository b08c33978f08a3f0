"""The playground's title says how to get back to the program field, whole, at 80x24 (tmux: it was cut
after 'then trace it  ·', so a newcomer in the answer table did not know shift+Tab leads back)."""

from __future__ import annotations

from tests.test_ui_support import async_test, loaded, make_app, settle


@async_test
async def test_the_way_back_to_the_fields_is_on_screen_at_80x24(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("p")
        await settle(pilot)
        assert type(app.screen).__name__ == "PlaygroundScreen"
        top_line = app.screen._compositor.render_strips()[0].text
        assert "shift+Tab: back to fields" in top_line
