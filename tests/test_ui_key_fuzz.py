"""Keys that reach the tutor at awkward moments must never crash it (issue 13)."""

from __future__ import annotations

from test_ui_support import async_test, make_app


@async_test
async def test_keys_pressed_while_the_home_screen_is_still_loading_do_nothing(tmp_path):
    app = make_app(tmp_path)
    # Hold the packs back for good, so every key below arrives before the lesson list exists.
    app._load_session = lambda: None
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("escape", "j", "k", "enter", "slash", "t", "escape", "down", "j")
        await pilot.pause()
        assert app.is_running
        assert app.session is None
        assert not app.screen.query("#lessons")
