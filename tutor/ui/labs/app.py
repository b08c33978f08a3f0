"""A small app that opens one lab directly: what ``backprop-tutor lab NAME`` runs.

No lesson is open here, so answers to the lab's questions are checked but not recorded in
progress (a lab opened from a lesson records them; see :mod:`tutor.ui.labs.questions`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from textual.app import App
from textual.binding import Binding

from tutor.ui import textual_guards


class LabApp(App):
    TITLE = "backprop-tutor"
    CSS = """
    Screen { background: $background; }
    Toast { max-width: 60; }
    """
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", show=False, priority=True)]

    def __init__(self, lab_name: str, settings: Mapping[str, Any] | None = None, *,
                 animation_interval: float = 0.8, **lab_options: Any) -> None:
        textual_guards.install()
        super().__init__()
        self.lab_name = lab_name
        self.lab_settings = dict(settings or {})
        self.lab_options = lab_options
        self.animation_interval = animation_interval  # the playground's graph view reads it
        self.session = None  # no progress store: nothing is recorded

    def on_mount(self) -> None:
        from tutor.ui.labs import lab_screen

        self.push_screen(lab_screen(self.lab_name, self.lab_settings, **self.lab_options),
                         lambda _finished: self.exit())


def run_lab(lab_name: str) -> int:
    app = LabApp(lab_name)
    app.run()
    return int(app.return_code or 0)
