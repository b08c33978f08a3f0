"""The feedback panel shared by every problem kind, and the hint ladder.

A wrong answer shows the checker's message at once: the mistake and where, never the right answer.
The rule in symbols (``Judgement.rule``) and then the worked answer (``Judgement.worked``, the
arithmetic that gives it away) follow on later tries; :class:`tutor.ui.widgets.problems.ProblemView`
decides when (``RULE_AFTER_WRONG_TRIES``, ``WORKED_AFTER_WRONG_TRIES``) and says so with ``rule=True``
and ``worked=True``.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Group
from rich.markdown import Markdown as RichMarkdown
from rich.text import Text
from textual.widget import Widget
from textual.widgets import Static

from tutor.ui.grading import Judgement

HEADLINES = {
    "correct": ("✓ Correct", "bold green"),
    "incorrect": ("✗ Not quite", "bold red"),
    "invalid": ("⚠ Cannot read that answer (no penalty)", "bold yellow"),
    "unchecked": ("? Could not check this answer", "bold yellow"),
    "gave-up": ("Solution", "bold cyan"),
}


def caret_lines(answer_text: str, column: int | None) -> Text:
    """The answer with a caret under the column the parser stopped at (1-based)."""
    text = Text("  " + answer_text, style="bold")
    if column is not None and column >= 1:
        text.append("\n  " + " " * (column - 1) + "^", style="bold yellow")
    return text


RevealHook = Callable[[Widget], None]


def reveal_into_view(panel: Widget) -> None:
    """Scroll ``panel`` into view after the next layout, through its host's ``reveal_hook`` when it has one."""
    hook: RevealHook | None = getattr(panel, "reveal_hook", None)  # FeedbackPanel's and HintLadder's
    if hook is not None:
        hook(panel)
    else:
        panel.call_after_refresh(panel.scroll_visible, animate=False)


class FeedbackPanel(Static):
    """Shows the last judgement: headline, the checker's message, the diagnosis, and a caret for parse errors."""

    DEFAULT_CSS = """
    FeedbackPanel {
        height: auto;
        min-height: 1;
        padding: 0 1;
        border: round $panel;
        border-title-color: $text-muted;
    }
    FeedbackPanel.-correct { border: round $success; }
    FeedbackPanel.-incorrect { border: round $error; }
    FeedbackPanel.-invalid { border: round $warning; }
    FeedbackPanel.-empty { display: none; }
    """
    # Set by a host that must keep something else in view with the panel (AnswerTableView).
    reveal_hook: RevealHook | None = None

    def __init__(self, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.border_title = "feedback"
        self.add_class("-empty")
        self.judgement: Judgement | None = None
        self.about: str | None = None
        self.worked_shown = False

    def clear(self) -> None:
        self.judgement = None
        self.worked_shown = False
        self._set_kind(None)
        self.update("")

    def show_text(self, markdown: str, kind: str = "info", title: str = "feedback") -> None:
        self.judgement = None
        self.worked_shown = False
        self._set_kind(kind)
        self.border_title = title
        self.update(RichMarkdown(markdown))
        self.reveal()

    def show(self, judgement: Judgement, *, about: str | None = None, rule: bool = False, worked: bool = False,
             worked_note: str = "") -> None:
        """``rule``: a wrong answer's general rule is shown (its second rung); ``worked``: the learner has had
        their tries, so its worked answer is shown too; otherwise ``worked_note`` (if any) says what comes next."""
        self.judgement = judgement
        self.about = about
        self.worked_shown = worked and judgement.verdict == "incorrect" and bool(judgement.worked)
        self._set_kind(judgement.verdict)
        self.border_title = f"feedback: {about}" if about else "feedback"
        headline, style = HEADLINES.get(judgement.verdict, (judgement.verdict, "bold"))
        parts: list = [Text(judgement.headline or headline, style=style)]
        if judgement.verdict == "invalid" and judgement.column is not None:
            parts.append(caret_lines(judgement.answer_text, judgement.column))
        if judgement.message:
            parts.append(Text(judgement.message))
        if judgement.diagnosis_text:
            parts.append(RichMarkdown(judgement.diagnosis_text))
        if judgement.diagnosis and judgement.diagnosis != "author":
            parts.append(Text(f"diagnosis: {judgement.diagnosis}", style="dim"))
        if (rule or worked) and judgement.verdict == "incorrect" and judgement.rule:
            line = Text("Rule: ", style="bold")
            line.append(judgement.rule)
            parts.append(line)
        if self.worked_shown:
            line = Text("Worked: ", style="bold cyan")
            line.append(judgement.worked)
            parts.append(line)
        elif judgement.verdict == "incorrect" and judgement.worked and worked_note:
            parts.append(Text(worked_note, style="dim italic"))
        if judgement.explanation:
            parts.append(RichMarkdown(judgement.explanation))
        self.update(Group(*parts))
        self.reveal()

    def reveal(self) -> None:
        """Scroll the panel into view once it has been laid out (small terminals), or let the host
        (``reveal_hook``) do it when the host also has something on screen to keep in view."""
        reveal_into_view(self)

    def _set_kind(self, kind: str | None) -> None:
        for name in ("-correct", "-incorrect", "-invalid", "-empty"):
            self.remove_class(name)
        if kind is None:
            self.add_class("-empty")
        elif kind in ("correct", "incorrect", "invalid"):
            self.add_class(f"-{kind}")


class HintLadder(Static):
    """The hints shown so far, one more each time the learner asks.

    A trace's entries may have hints of their own (``entry_hints``): in such an entry the ladder is its own
    hints, then the problem's. Each entry climbs its own hints; the problem's are one ladder shared by
    every entry, so a general hint seen in one entry is not counted again in another. ``shown`` counts
    every hint shown, which is what an attempt records.
    """

    DEFAULT_CSS = """
    HintLadder { height: auto; padding: 0 1; color: $text-muted; }
    HintLadder.-empty { display: none; }
    """
    # Set by a host that must keep something else in view with the panel (AnswerTableView).
    reveal_hook: RevealHook | None = None

    def __init__(self, hints: list[str], id: str | None = None,
                 entry_hints: dict[str, list[str]] | None = None) -> None:
        super().__init__("", id=id)
        self.hints = list(hints)
        self.entry_hints = {key: list(value) for key, value in (entry_hints or {}).items() if value}
        self.key: str | None = None  # the entry the learner is in (None: a one-answer problem)
        self._general_shown = 0
        self._own_shown: dict[str, int] = {}
        self._asked: set[str | None] = set()  # the entries F2 was pressed in
        self._general_asked = False  # F2 was pressed where the problem's own hints were next
        self.add_class("-empty")

    @property
    def shown(self) -> int:
        return self._general_shown + sum(self._own_shown.values())

    @property
    def remaining(self) -> int:
        own = self.entry_hints.get(self.key or "", [])
        return len(own) - self._own_shown.get(self.key or "", 0) + len(self.hints) - self._general_shown

    @property
    def exhausted(self) -> bool:
        """The learner has asked for the last hint (or for one when there are none)."""
        return self.exhausted_for(self.key)

    def exhausted_for(self, key: str | None) -> bool:
        """Entry ``key``'s last hint has been asked for (or one, when it has none). An entry without hints of
        its own climbs the problem's ladder alone, which every entry shares."""
        own = self.entry_hints.get(key or "")
        if own is None:
            return self._general_asked and self._general_shown >= len(self.hints)
        return key in self._asked and self._own_shown.get(key or "", 0) >= len(own) \
            and self._general_shown >= len(self.hints)

    def set_key(self, key: str | None) -> None:
        """The learner moved to entry ``key``: show what its ladder has shown so far."""
        if key == self.key:
            return
        self.key = key
        if self._visible_hints():
            self._draw(reveal=False)  # moving between entries must not scroll the table
        else:
            self.add_class("-empty")

    def _ladder(self) -> list[str]:
        return self.entry_hints.get(self.key or "", []) + self.hints

    def _visible_hints(self) -> list[str]:
        own = self.entry_hints.get(self.key or "", [])
        shown = self._own_shown.get(self.key or "", 0)
        return own[:shown] + (self.hints[:self._general_shown] if shown >= len(own) else [])

    def next_hint(self) -> bool:
        """Show one more hint; False when there is none left."""
        self._asked.add(self.key)
        own = self.entry_hints.get(self.key or "", [])
        key = self.key or ""
        if self._own_shown.get(key, 0) < len(own):
            self._own_shown[key] = self._own_shown.get(key, 0) + 1
            self._draw()
            return True
        self._general_asked = True
        if self._general_shown < len(self.hints):
            self._general_shown += 1
        else:
            self._draw(extra="No more hints. A wrong answer now shows its worked step; ctrl+g gives up and shows "
                             "the whole solution.")
            return False
        self._draw()
        return True

    def _draw(self, extra: str | None = None, reveal: bool = True) -> None:
        total = len(self._ladder())
        lines = [f"**Hint {index + 1}/{total}:** {hint}" for index, hint in enumerate(self._visible_hints())]
        if extra:
            lines.append(f"*{extra}*")
        self.remove_class("-empty")
        self.update(RichMarkdown("\n\n".join(lines)))
        if reveal:
            reveal_into_view(self)
