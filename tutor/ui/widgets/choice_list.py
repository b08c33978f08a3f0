"""Multiple-choice options that are never answered by accident (lessons, quizzes and labs).

* Nothing is chosen when the list opens, so an Enter meant for the step before answers nothing.
* A letter (A, B, …) chooses its option directly; ↑/↓ move, and in a single-choice list the choice
  follows the cursor; space marks and unmarks in a multiple-choice list.
* What is chosen is written in the option's own text — ``(•)``/``( )`` or ``[x]``/``[ ]`` — so it
  reads the same without colour (NO_COLOR, a screen reader, a monochrome terminal).
* Enter checks what is chosen; with nothing chosen it says how to choose instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

SINGLE_MARKS = ("( ) ", "(•) ")
MULTIPLE_MARKS = ("[ ] ", "[x] ")
MAX_LETTERED_OPTIONS = 26


def option_letter(index: int) -> str:
    return chr(ord("A") + index)


class ChoiceList(OptionList):
    BINDINGS = [
        Binding("enter", "check", "Check", show=True),
        Binding("space", "mark", "Mark", show=False),
    ]

    @dataclass
    class Checked(Message):
        """Enter with something chosen: the chosen option ids, in display order."""

        choice_list: ChoiceList
        option_ids: list[str]

        @property
        def control(self) -> ChoiceList:
            return self.choice_list

    @dataclass
    class NothingChosen(Message):
        """Enter with nothing chosen: the owner says how to choose (it is not an answer)."""

        choice_list: ChoiceList

        @property
        def control(self) -> ChoiceList:
            return self.choice_list

    def __init__(self, labels: Sequence[tuple[str, Text]], *, multiple: bool = False, **kwargs) -> None:
        """``labels``: (option id, its text without the letter), in the order shown."""
        self.multiple = multiple
        self.option_ids = [option_id for option_id, _label in labels]
        self._labels = [label for _option_id, label in labels]
        self.chosen: list[str] = []
        self._choice_follows_cursor = False  # not while OptionList.__init__ puts its cursor on the first option
        super().__init__(*[Option(self._prompt(index), id=option_id) for index, (option_id, _label) in enumerate(labels)],
                         **kwargs)
        self.highlighted = None  # OptionList puts the cursor on the first option; here nothing starts chosen
        self._choice_follows_cursor = not multiple

    # ------------------------------------------------------------------ what is chosen

    @property
    def letters(self) -> str:
        """"A–D": the letters that choose an option here."""
        count = min(len(self.option_ids), MAX_LETTERED_OPTIONS)
        return option_letter(0) if count == 1 else f"{option_letter(0)}–{option_letter(count - 1)}"

    def choose(self, index: int) -> None:
        """Choose option ``index`` (a multiple-choice list toggles it) and put the cursor on it."""
        option_id = self.option_ids[index]
        if not self.multiple:
            self.chosen = [option_id]
        elif option_id in self.chosen:
            self.chosen = [chosen for chosen in self.chosen if chosen != option_id]
        else:
            self.chosen = [known for known in self.option_ids if known in self.chosen or known == option_id]
        self._redraw_marks()
        if self.highlighted != index:
            self._moving_to_choice = True
            self.highlighted = index

    def show_options(self, labels: Sequence[tuple[str, Text]]) -> None:
        """Replace the options (a lab's next question), with nothing chosen."""
        self.option_ids = [option_id for option_id, _label in labels]
        self._labels = [label for _option_id, label in labels]
        self.chosen = []
        self._choice_follows_cursor = False
        self.clear_options()
        self.add_options([Option(self._prompt(index), id=option_id) for index, option_id in enumerate(self.option_ids)])
        self.highlighted = None
        self._choice_follows_cursor = not self.multiple

    def clear_choice(self) -> None:
        self.chosen = []
        self._redraw_marks()

    def _prompt(self, index: int) -> Text:
        marks = MULTIPLE_MARKS if self.multiple else SINGLE_MARKS
        chosen = self.option_ids[index] in self.chosen
        prompt = Text(marks[chosen], style="bold" if chosen else "")
        prompt.append(f"{option_letter(index)}. " if index < MAX_LETTERED_OPTIONS else "", style="bold")
        prompt.append_text(self._labels[index])
        return prompt

    def _redraw_marks(self) -> None:
        for index in range(len(self.option_ids)):
            self.replace_option_prompt_at_index(index, self._prompt(index))

    # ------------------------------------------------------------------ keys and mouse

    _moving_to_choice = False

    def watch_highlighted(self, highlighted: int | None) -> None:
        super().watch_highlighted(highlighted)
        if self._moving_to_choice:
            self._moving_to_choice = False
            return
        if highlighted is not None and self._choice_follows_cursor and not self.disabled:
            self.choose(highlighted)  # a single choice follows the cursor: what is marked is what Enter checks

    def on_key(self, event: events.Key) -> None:
        character = event.character or ""
        if len(character) == 1 and character.isascii() and character.isalpha():
            index = ord(character.upper()) - ord("A")
            if index < min(len(self.option_ids), MAX_LETTERED_OPTIONS):
                event.stop()
                event.prevent_default()
                if not self.disabled:
                    self.choose(index)

    def action_mark(self) -> None:
        if self.disabled or not self.option_ids:
            return
        self.choose(self.highlighted if self.highlighted is not None else 0)

    def action_check(self) -> None:
        if self.disabled:
            return
        if self.chosen:
            self.post_message(self.Checked(self, list(self.chosen)))
        else:
            self.post_message(self.NothingChosen(self))

    def action_select(self) -> None:
        # A click (OptionList calls this after moving the highlight to the clicked option) chooses that
        # option; in a single-choice list it is then checked, as a click on a button would be.
        if self.disabled or self.highlighted is None:
            return
        if self.multiple:
            self.choose(self.highlighted)
        else:
            if self.option_ids[self.highlighted] not in self.chosen:
                self.choose(self.highlighted)
            self.action_check()
