"""What the trace and layer workspaces share: answer rows with a mark, and the table-beside-a-drawing view.

Kept apart from both workspaces so that neither imports the other, and the problem widgets import
neither (``tutor.ui.widgets.factory`` picks the widget for a problem).
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Input, Label, Static

from tutor.ui.grading import Judgement
from tutor.ui.trace_state import CORRECT, INCORRECT, REVEALED
from tutor.ui.widgets import workspace
from tutor.ui.widgets.answer_input import HELD_BACKSPACE, HELD_ENTER, AnswerInput
from tutor.ui.widgets.problems import EMPTY_ANSWER_NOTE, ProblemView, Prompt

MARKS = {CORRECT: "✓", INCORRECT: "✗", REVEALED: "·"}


class AnswerRow(Horizontal):
    """One labelled answer box with its mark; the trace table and the layer table both use it.

    The row being typed in shows its label in reverse video, which reads without colour too (NO_COLOR).
    """

    DEFAULT_CSS = """
    AnswerRow:focus-within > .entry-label { text-style: bold reverse; }
    """

    def __init__(self, entry, *, id: str, input_id: str, placeholder: str) -> None:
        super().__init__(id=id)
        self.entry = entry
        self.input = AnswerInput(placeholder=placeholder, id=input_id, compact=True, holds_after_enter=True)
        self.mark = Label("", classes="entry-mark")

    def compose(self) -> ComposeResult:
        yield Label(self.entry.label, classes="entry-label")
        yield self.mark
        yield self.input

    def set_status(self, status: str, shown_text: str | None = None) -> None:
        for name in ("-correct", "-incorrect", "-revealed"):
            self.remove_class(name)
        if status in MARKS:
            self.add_class(f"-{status}")
        self.mark.update(MARKS.get(status, ""))
        if shown_text is not None:
            self.input.value = shown_text
        if status in (CORRECT, REVEALED):
            self.input.disabled = True


class AnswerTableView(ProblemView):
    """A problem answered as a table of rows beside a replayable drawing (the trace and layer workspaces).

    A subclass sets ``rows``, ``progress``, ``_pending`` and ``playback_view`` (the drawing pane) and
    provides ``_heading``, ``_judge`` and ``_redraw``; ``ENTRY_NOUN`` and ``EMPTY_NOTE`` word its
    status line and its note for an empty submission.
    """

    ENTRY_NOUN = "entries"
    EMPTY_NOTE = EMPTY_ANSWER_NOTE
    SIDE_MIN = 34  # the table's narrowest: labels, marks and a short answer still fit
    SIDE_MAX = 64
    SIDE_TIGHT: int | None = None  # narrower still, when that shows the whole drawing (see workspace.arrange)

    BINDINGS = [
        Binding("f5,ctrl+f", "replay('forward')", "Forward ▶", show=False),
        Binding("f6,ctrl+b", "replay('backward')", "Backward ◀", show=False),
        Binding("f7", "step(-1)", "Step back", show=False),
        Binding("f8", "step(1)", "Step on", show=False),
        Binding("f9", "pause", "Pause", show=False),
        Binding("up", "move(-1)", "Previous entry", show=False),
        Binding("down", "move(1)", "Next entry", show=False),
    ]

    def compose(self) -> ComposeResult:
        with Horizontal(id="workspace"):
            yield self.playback_view
            with VerticalScroll(id="side"):
                yield Prompt(self.problem.prompt, id="prompt")
                heading_shown = set()
                for row in self.rows:
                    if row.entry.kind not in heading_shown:
                        heading_shown.add(row.entry.kind)
                        yield Static(self._heading(row.entry.kind), classes="table-heading")
                    yield row
                yield self.hint_ladder
                yield self.feedback
        yield Static(self._status_text(), id="status")

    def on_resize(self) -> None:
        self.arrange_workspace()

    def arrange_workspace(self) -> None:
        """The drawing takes the room it needs, the table the rest (or the rows below it, on a narrow screen)."""
        pane = self.playback_view
        drawing_width, drawing_height = pane.drawing_size()
        workspace_height = max(0, self.size.height - 1)  # the status line
        arrangement = workspace.arrange(self.size.width, workspace_height, drawing_width, drawing_height,
                                        side_min=self.SIDE_MIN, side_max=self.SIDE_MAX,
                                        side_tight=self.SIDE_TIGHT)
        workspace.apply(arrangement, self.query_one("#workspace"), pane, self.query_one("#side"))

    def row_for(self, ask: str):
        return next(row for row in self.rows if row.entry.ask == ask)

    def _status_text(self, playback: str = "") -> str:
        if playback:
            return playback + "  ·  F7/F8 step · F9 pause · Esc exercise"
        done = sum(not self.progress.is_open(entry.ask) for entry in self.progress.entries)
        # Hint and give-up are in the footer; the replay keys live here so the footer fits 80 columns
        # (it was cut at "esc Hom").
        return (f"{done}/{len(self.progress.entries)} {self.ENTRY_NOUN}  ·  enter checks  ·  ↑/↓ move  ·  "
                f"F5/F6 replay forward/backward")

    def focus_answer(self) -> None:
        entry = self.progress.next_open
        if entry is not None:
            self.row_for(entry.ask).input.focus()

    def answer_box(self) -> Input | None:
        entry = self.progress.next_open
        return None if self.completed or entry is None else self.row_for(entry.ask).input

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        row = next((row for row in self.rows if row.input is event.input), None)
        if row is not None:
            self._submit(row, event.value)

    def _submit(self, row: AnswerRow, text: str, type_ahead: list[str] | None = None) -> None:
        """Grade ``text`` for ``row``; keys typed after it wait in the row until the grade is back.

        ``type_ahead``: keys pressed after ``text`` that are not in the row yet (handed on from the entry
        above). The row's box started holding keys itself at the Enter that sent ``text``.
        """
        if self.completed or not self.progress.is_open(row.entry.ask) or row.entry.ask in self._pending:
            return
        held = [*(type_ahead or []), *row.input.release_keys()]
        if not text.strip():
            self.feedback.show_text(self.EMPTY_NOTE, kind="info", title="feedback")
            self._type_into(row, held)
            return
        self._pending.add(row.entry.ask)
        row.input.hold_keys()
        row.input.type_ahead = held
        self._grade(row.entry.ask, text)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.feedback.reveal_hook = self._reveal_below_entry
        self.hint_ladder.reveal_hook = self._reveal_below_entry

    def on_mount(self) -> None:
        for row in self.rows:
            row.input.stray_key_sink = self._stray_key

    def _stray_key(self, key: str) -> None:
        """A key that was on its way to a box the focus has since left: it belongs where the focus is now.

        Keys still queued for the old box arrived before any queued for the new one, so handling them
        here, as they come, keeps the order they were typed in.
        """
        focused = self.app.focused
        row = next((row for row in self.rows if row.input is focused), None)
        if row is None:
            return  # the focus left the table (the problem is done): there is no entry left to type into
        if row.input.type_ahead is not None:
            row.input.type_ahead.append(key)
        else:
            self._type_into(row, [key])

    def show_judgement(self, judgement: Judgement, *, key: str | None = None, about: str | None = None) -> None:
        if key is not None and judgement.verdict == "correct":
            next_entry = self.progress.next_open
            if next_entry is not None:
                # At once, not after this handler as Widget.focus would: the row just graded right is
                # disabled, which handed the focus to the graph, and keys already on their way (type-ahead)
                # went there and were lost.
                self.screen.set_focus(self.row_for(next_entry.ask).input, scroll_visible=False)
        super().show_judgement(judgement, key=key, about=about)
        if key is not None:
            self._hand_on_type_ahead(self.row_for(key), judgement.verdict == "correct")

    def _reveal_below_entry(self, panel) -> None:
        # Two refreshes, as Widget.scroll_visible waits: after one the panel's new text is not laid out yet.
        self.call_after_refresh(self.call_after_refresh, self._keep_in_view, panel)

    def _keep_in_view(self, panel) -> None:
        """Scroll the table so ``panel`` (the feedback or the hints) shows without hiding the entry it is about.

        Both panels sit below every row; on a short terminal (80x24, a 16-entry trace) scrolling one
        into view pushed the entry being corrected off the top, so the learner read "work z3 out
        again" with no z3 in sight. The entry wins: as much of the panel shows below it as fits.
        """
        if not panel.is_mounted:
            return
        side = self.query_one("#side", VerticalScroll)
        focused = self.app.focused
        row = next((row for row in self.rows if row.input is focused), None)
        if row is None:
            entry = self.progress.next_open
            row = self.row_for(entry.ask) if entry is not None else None
        height = side.scrollable_content_region.height
        target = side.scroll_y  # as little scrolling as shows the panel (the way scroll_visible scrolls) ...
        if panel.virtual_region.bottom > target + height:
            target = panel.virtual_region.bottom - height
        if panel.virtual_region.y < target:
            target = panel.virtual_region.y
        if row is not None:  # ... and never past the entry
            target = max(min(target, row.virtual_region.y), row.virtual_region.bottom - height)
        side.scroll_to(y=max(0, target), animate=False, immediate=True)

    def _hand_on_type_ahead(self, row: AnswerRow, was_right: bool) -> None:
        """What was typed while ``row`` was being graded goes on to the entries it was meant for.

        Right answer: into the next open entry, Enters included (``6 Enter 8 Enter`` fills two entries).
        Wrong answer: the row keeps the wrong answer to fix, and each answer typed ahead waits, unsent,
        in the open entry below it that it was typed for: nothing typed is lost, and nothing is
        submitted before the learner has seen what was wrong.
        """
        held = row.input.release_keys()
        if not held:
            return
        if was_right:
            next_entry = self.progress.next_open
            if next_entry is not None:
                self._type_into(self.row_for(next_entry.ask), held)
            return
        below = [other for other in self.rows[self.rows.index(row) + 1:] if self.progress.is_open(other.entry.ask)]
        answers = "".join(held).split(HELD_ENTER)
        for other, keys in zip(below, answers):
            self._type_into(other, list(keys))

    def _type_into(self, row: AnswerRow, keys: list[str]) -> None:
        box = row.input
        box.cursor_position = len(box.value)
        for index, key in enumerate(keys):
            if key == HELD_ENTER:
                if box.value.strip():
                    self._submit(row, box.value, keys[index + 1:])
                    return
            elif key == HELD_BACKSPACE:
                box.action_delete_left()
            else:
                box.insert_text_at_cursor(key)

    @work(thread=True, group="grade")
    def _grade(self, ask: str, text: str) -> None:
        try:
            judgement = self._judge(text, ask)
        except Exception as error:  # noqa: BLE001 - a checker bug must not take the lesson down
            judgement = Judgement("unchecked", text, f"The checker could not judge this answer ({error}).")
        self.post_message(self.Graded(ask, judgement))

    def action_pause(self) -> None:
        self.playback_view.toggle_pause()

    def action_move(self, delta: int) -> None:
        open_rows = [row for row in self.rows if not row.input.disabled]
        if not open_rows:
            return
        focused = self.app.focused
        index = next((i for i, row in enumerate(open_rows) if row.input is focused), None)
        if index is None:
            open_rows[0].input.focus()
            return
        # No wrapping around: ↓ on the last open entry stays there rather than jumping to the first.
        open_rows[max(0, min(len(open_rows) - 1, index + delta))].input.focus()

    def leave_playback(self) -> bool:
        """Esc during a replay returns to the exercise; True when it did something."""
        if self.playback_view.in_playback and not self.completed:
            self.playback_view.leave_playback()
            self._redraw()
            return True
        return False


