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
"""

from __future__ import annotations

from textual import events
from textual.widgets import Input


class AnswerInput(Input):
    async def _on_key(self, event: events.Key) -> None:
        typed = self.check_consume_key(event.key, event.character)
        await super()._on_key(event)  # inserts a typed character; for other keys it only restarts the blink
        if typed:
            return
        for binding in self._bindings.key_to_bindings.get(event.key, ()):
            if not binding.priority and await self.app.run_action(binding.action, self):
                event.stop()
                event.prevent_default()
                return
