"""An answer box whose editing keys keep their order with the characters typed around them.

Textual's ``Input`` inserts a typed character in its own key handler, at once, but runs a bound key
(backspace, ←, →, home, end, enter) only after the key event has bubbled up to the app and come back
as a binding (Textual issue #6605). When keys arrive in one burst — a fast typist, a key macro,
``tmux send-keys BSpace BSpace 9 Enter`` — the characters overtake the bound keys: the 9 landed
before the backspaces, the two backspaces then deleted it, and enter submitted an empty answer.

:class:`AnswerInput` runs its *own* bindings inline, in arrival order, the way the app would have
run them (the focused widget is the first place the app looks). Bindings of the screens around it
(PgDn, Esc, ...) still go the usual way: they may replace the very widget whose handler is running,
which must not happen from inside that handler.

While an answer is being checked, the box can *hold* what is typed next (:attr:`AnswerInput.type_ahead`):
a learner who types ``6 Enter 8 Enter`` into a trace table meant the 8 for the next entry, but the
next entry only opens once the 6 has been graded. The table hands the held keys on when the grade
comes back (see ``AnswerTableView``).

A key can also reach a box *after* the focus has left it: the app puts each key in the queue of the
widget focused when the key arrived, so a key already queued for a box when its grade came back (and
the table moved the focus on) is handled by that box later. In tmux, ``2.25 Enter 1 Enter`` lost the
Enter that way and the 1 was typed after the 2.25, so every later answer landed one row too high.
Such a key goes to :attr:`AnswerInput.stray_key_sink`, which gives it to the box focused now.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from rich.cells import cell_len
from textual import events
from textual.widgets import Input
from textual.widgets.input import Selection

# How held keys are written down: the typed character itself, or one of these for the editing keys.
HELD_ENTER = "\n"
HELD_BACKSPACE = "\b"


class AnswerInput(Input):
    # None: keys edit the box as usual. A list: characters, Enter and Backspace are appended to it instead.
    type_ahead: list[str] | None = None
    # Where a character, Enter or Backspace goes when it reaches this box after the focus has left it.
    stray_key_sink: Callable[[str], None] | None = None
    # Set while a character typed elsewhere is being moved into this box (type_while_focusing).
    _typed_before_focus = False
    _cursor_to_end_pending = False

    def __init__(self, *args: Any, holds_after_enter: bool = False, placeholders: Sequence[str] = (),
                 **kwargs: Any) -> None:
        """``holds_after_enter``: Enter on a non-empty box starts holding keys at once. The table that
        grades it learns of the Enter only from a message, and keys already on their way would land
        in the box before that message does; the table takes the held keys (``release_keys``).

        ``placeholders``: versions of the placeholder, longest first; the box shows the longest that
        fits its width (a narrow box beside a graph at 80x24 cut "your answer, e.g. 2*7 or 14" mid-word)."""
        if placeholders:
            kwargs["placeholder"] = placeholders[0]
        super().__init__(*args, **kwargs)
        self.holds_after_enter = holds_after_enter
        self.placeholders = tuple(placeholders)

    def on_resize(self) -> None:
        if self.placeholders:
            self.placeholder = fitting_placeholder(self.placeholders, self.content_size.width)

    def type_while_focusing(self, character: str) -> None:
        """Take the cursor and type ``character``, which was pressed while another widget had the cursor.

        Focusing selects the whole box, after a moment; without care that selection took in the character
        just typed, and the next key replaced it ("11.5" became "1.5")."""
        self._typed_before_focus = True
        self.focus()
        self.insert_text_at_cursor(character)

    def _on_focus(self, event: events.Focus) -> None:
        # Textual runs Input's own Focus handler (which selects everything) right after this one; the cursor
        # goes back to the end after it, or before the next key if one is already on its way.
        if self._typed_before_focus:
            self._cursor_to_end_pending = True
            self.call_later(self._put_cursor_at_end)

    def _put_cursor_at_end(self) -> None:
        if self._cursor_to_end_pending:
            self._typed_before_focus = self._cursor_to_end_pending = False
            self.selection = Selection.cursor(len(self.value))

    def show_placeholders(self, placeholders: Sequence[str]) -> None:
        """Switch to other versions of the placeholder (longest first), fitted to the box's width now."""
        self.placeholders = tuple(placeholders)
        if self.placeholders:
            self.placeholder = fitting_placeholder(self.placeholders, self.content_size.width or 10_000)

    def hold_keys(self) -> None:
        """Start holding characters, Enter and Backspace (the answer in the box is being checked)."""
        if self.type_ahead is None:
            self.type_ahead = []

    def release_keys(self) -> list[str]:
        """Stop holding; the keys held so far, in the order they were pressed."""
        held, self.type_ahead = self.type_ahead or [], None
        return held

    async def _on_key(self, event: events.Key) -> None:
        self._put_cursor_at_end()
        held = (event.character if event.is_printable and event.character
                else {"enter": HELD_ENTER, "backspace": HELD_BACKSPACE}.get(event.key))
        if held is not None and self.stray_key_sink is not None and self.type_ahead is None \
                and self.app.focused is not self:
            event.stop()
            event.prevent_default()
            self.stray_key_sink(held)
            return
        if event.key == "space" and not self.value and self.type_ahead is None:
            # A leading space is never part of an answer: it is a learner pressing space for "next step" on
            # a problem (the box then looked empty, its placeholder gone). Nothing is typed.
            event.stop()
            event.prevent_default()
            return
        if self.type_ahead is not None:
            if held is not None:
                self.type_ahead.append(held)
                event.stop()
                event.prevent_default()
                return
        typed = self.check_consume_key(event.key, event.character)
        await super()._on_key(event)  # inserts a typed character; for other keys it only restarts the blink
        if typed:
            return
        for binding in self._bindings.key_to_bindings.get(event.key, ()):
            if not binding.priority and await self.app.run_action(binding.action, self):
                event.stop()
                event.prevent_default()
                if event.key == "enter" and self.holds_after_enter and self.value.strip():
                    self.hold_keys()
                return


def fitting_placeholder(placeholders: Sequence[str], width: int) -> str:
    """The first (longest) of ``placeholders`` that fits in ``width`` cells, else the last (shortest)."""
    return next((text for text in placeholders if cell_len(text) <= width), placeholders[-1])
