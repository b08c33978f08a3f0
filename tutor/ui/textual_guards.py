"""Guards for Textual bugs that would otherwise end a learner's session.

Each guard names the Textual version it was found in, what goes wrong, and the test that shows it
(the test fails without the guard). ``install()`` is called by every app the tutor starts; it is
idempotent. When a Textual release fixes a bug, its test keeps passing without the guard: remove it then.
"""

from __future__ import annotations

from typing import Any

from textual.widgets import OptionList

_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    _guard_option_list_paging()


def _guard_option_list_paging() -> None:
    """Textual 8.2.8: PgUp/PgDn in an OptionList whose lines are not laid out yet raise KeyError.

    ``OptionList._move_page`` looks the highlighted option up in its option-to-line map, which is
    empty until the list has been given a width. The command palette (ctrl+p, then PgDn at once)
    and a Select's drop-down are OptionLists, so a fast key ended the app. Until the lines exist
    there is no page to move by, so the key does nothing.
    Test: tests/test_ui_key_fuzz.py::test_page_keys_in_a_palette_that_is_still_opening_do_nothing.
    """
    original = OptionList._move_page

    def move_page_once_laid_out(self: Any, direction: Any) -> None:
        if self.option_count and (self.highlighted or 0) not in self._index_to_line:
            return
        original(self, direction)

    OptionList._move_page = move_page_once_laid_out  # type: ignore[method-assign]


def dismiss_if_on_top(screen: Any, result: Any = None) -> None:
    """Dismiss ``screen`` only while it is the top screen.

    Textual's ``Screen.dismiss`` pops whichever screen is on top, not necessarily the one it is
    called on: a second Esc, or a worker finishing, after a screen has already gone would close the
    screen below it (and on the home screen, end in ScreenStackError).
    """
    if screen.is_active:
        screen.dismiss(result)
