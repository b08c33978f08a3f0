"""The replay a leech earns: the learner's own graph, animated up to the entry they keep getting wrong.

What to play and what to say is decided by :mod:`tutor.practice.replay`; this screen only shows it,
with the graph widget every trace uses (:class:`tutor.ui.widgets.graph_view.GraphView`): the pass
plays once, one step per interval, and stops on the entry, whose worked arithmetic stands under
the graph next to what the learner typed. ←/→ step, space pauses or plays it again, r restarts it;
Enter (or Esc) goes on.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from tutor.formatting import format_number
from tutor.ui.screens.home import TitleBar
from tutor.ui.textual_guards import dismiss_if_on_top
from tutor.ui.widgets.graph_view import DEFAULT_INTERVAL, GraphView


def replay_text(replay: Any, rule: str = "") -> Text:
    """What stands under the graph: the slip, the learner's answer, the entry's arithmetic and the rule."""
    text = Text()
    text.append(f"The same slip three times lately ({replay.diagnosis}). Here it is on your own graph:\n",
                style="bold")
    text.append(f"You answered {replay.label} = {replay.answer}; it is {format_number(replay.expected)}.\n")
    for line in replay.worked:
        text.append(f"  {line}\n", style="bold cyan" if not line.startswith(" ") else "cyan")
    if rule:
        text.append(f"The rule: {rule}", style="dim")
    return text


class LeechReplayScreen(Screen):
    DEFAULT_CSS = """
    LeechReplayScreen #replay-graph { height: auto; max-height: 70%; }
    LeechReplayScreen #replay-status { height: 1; padding: 0 1; color: $text-muted; }
    LeechReplayScreen #replay-worked { height: 1fr; min-height: 4; padding: 0 1; background: $warning 20%; }
    """

    BINDINGS = [
        Binding("enter", "go_on", "Go on"),
        Binding("escape", "go_on", "Go on", show=False),
        Binding("r", "again", "Play again"),
    ]

    def __init__(self, replay: Any, *, rule: str = "", interval: float = DEFAULT_INTERVAL) -> None:
        super().__init__()
        self.replay = replay
        self.rule = rule
        self.graph_view = GraphView(replay.graph, interval=interval, id="replay-graph")

    @property
    def title_text(self) -> str:
        return f"{self.replay.stage} pass, up to your entry {self.replay.label}"

    def compose(self) -> ComposeResult:
        yield TitleBar(f"Your graph, worked  ·  {self.replay.label}", id="title")
        yield self.graph_view
        yield Static("", id="replay-status")
        with VerticalScroll(id="replay-worked"):
            yield Static(replay_text(self.replay, self.rule), id="replay-text")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.graph_view.focus()  # ←/→ step and space pauses, as in every replay
        self.graph_view.play(list(self.replay.steps), self.title_text)

    @on(GraphView.PlaybackChanged)
    def _playback_changed(self, event: GraphView.PlaybackChanged) -> None:
        event.stop()
        label = event.label.removeprefix(f"{self.title_text}: ")  # the pane's title says it already
        if label.endswith("finished"):
            label += f" on your entry {self.replay.label}  ·  ←/→ step"
        self.query_one("#replay-status", Static).update(label)

    def action_again(self) -> None:
        self.graph_view.play(list(self.replay.steps), self.title_text)

    def action_go_on(self) -> None:
        dismiss_if_on_top(self)
