"""The settings column of a lab: one control per setting, built from the lab core's setting specs.

A ``choice`` setting becomes a Select, a ``bool`` a Checkbox, an ``int`` or ``float`` a
:class:`NumberInput` (Enter or leaving the field applies it; the up and down arrows step it).
The panel only reports changes (:class:`SettingsPanel.Changed`); the screen hands them to the lab
core, whose validation message comes back through :meth:`SettingsPanel.show_error`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Checkbox, Input, Label, Select, Static

from tutor.labs import SettingSpec
from tutor.ui.widgets.answer_input import AnswerInput


def format_setting(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def describe_range(spec: SettingSpec) -> str:
    """``0 < value ≤ 100``, ``1 to 50``, or '' when unbounded."""
    if spec.minimum is None and spec.maximum is None:
        return ""
    low = "" if spec.minimum is None else f"{format_setting(spec.minimum)} {'<' if spec.minimum_exclusive else '≤'} "
    high = "" if spec.maximum is None else f" {'<' if spec.maximum_exclusive else '≤'} {format_setting(spec.maximum)}"
    return f"{low}value{high}"


# What a number or a number expression (0.25^10, 1e-5, 2*(3+1)) can contain.
NUMBER_CHARACTERS = frozenset("0123456789.eE+-*/^() ")


class NumericField(AnswerInput):
    """An Input for numbers. A letter that is one of the screen's one-key shortcuts (``r`` runs,
    ``s`` steps) goes to the screen even while typing here; any other letter is ignored, so a
    stray key cannot reach an app-wide binding such as ``q`` (quit). Editing keys keep their order
    with the characters around them (AnswerInput): ``5 BSpace 2 Enter`` sent at once answers 2."""

    def _is_shortcut(self, character: str | None) -> bool:
        shortcuts = getattr(self.screen, "shortcut_keys", None)
        return character is not None and callable(shortcuts) and character in shortcuts()

    def check_consume_key(self, key: str, character: str | None) -> bool:
        return character is not None and character.isprintable() and not self._is_shortcut(character)

    async def _on_key(self, event: events.Key) -> None:
        if event.is_printable and event.character not in NUMBER_CHARACTERS:
            event.prevent_default()  # never typed into the field
            if not self._is_shortcut(event.character):
                event.stop()  # and not passed on either


class NumberInput(NumericField):
    """A number field: Enter applies, ↑/↓ step it (by 1 for whole numbers, by a factor for the rest)."""

    BINDINGS = [
        Binding("up", "step(1)", "Step up", show=False),
        Binding("down", "step(-1)", "Step down", show=False),
    ]

    @dataclass
    class Stepped(Message):
        field: NumberInput

    def __init__(self, spec: SettingSpec, value: Any, *, step: float | None = None, factor: float | None = None,
                 **kwargs: Any) -> None:
        super().__init__(format_setting(value), compact=True, **kwargs)
        self.spec = spec
        # Whole numbers step by 1 unless given a factor; other numbers multiply (learning rates and
        # epsilons live on a log scale) unless given a step.
        self.step_size = step if step is not None else (1 if spec.kind == "int" and factor is None else None)
        self.factor = factor if factor is not None else 2.0

    def parsed(self) -> int | float:
        """The typed number; ValueError with a sentence the learner can act on."""
        text = self.value.strip()
        if not text:
            raise ValueError("type a number")
        if self.spec.kind == "int":
            try:
                return int(text)
            except ValueError:
                raise ValueError(f"'{text}' is not a whole number") from None
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"'{text}' is not a number (write e.g. 0.5 or 1e-5)") from None
        if not math.isfinite(number):
            raise ValueError("the number must be finite")
        return number

    def action_step(self, direction: int) -> None:
        try:
            current = self.parsed()
        except ValueError:
            current = self.spec.default
        if self.step_size is not None:
            stepped: float = current + direction * self.step_size
        else:
            stepped = current * self.factor if direction > 0 else current / self.factor
        stepped = self._clamped(stepped, current)
        if self.spec.kind == "int":
            stepped = int(round(stepped))
        elif self.step_size is None:
            stepped = float(f"{stepped:.6g}")  # 1e-5 * 10 should read 0.0001, not 0.00010000000000000002
        if stepped == current:
            return
        self.value = format_setting(stepped)
        self.cursor_position = len(self.value)
        self.post_message(self.Stepped(self))

    def _clamped(self, number: float, current: float) -> float:
        """``number`` kept within the setting's range: an inclusive bound stops it, an exclusive one refuses."""
        spec = self.spec
        if spec.minimum is not None and (number < spec.minimum or (spec.minimum_exclusive and number == spec.minimum)):
            return current if spec.minimum_exclusive else spec.minimum
        if spec.maximum is not None and (number > spec.maximum or (spec.maximum_exclusive and number == spec.maximum)):
            return current if spec.maximum_exclusive else spec.maximum
        return number


class SettingCheckbox(Checkbox):
    """A checkbox whose box is empty when off: Textual's compact one shows an X either way, told
    apart by colour only."""

    @property
    def BUTTON_INNER(self) -> str:  # noqa: N802 - overrides Textual's class constant
        return "X" if self.value else " "


class SettingsPanel(Vertical):
    """Controls for a lab's settings. Posts :class:`Changed`; shows validation errors under the field."""

    DEFAULT_CSS = """
    SettingsPanel { height: auto; }
    SettingsPanel .setting-label { height: 1; color: $text-muted; margin-top: 1; }
    SettingsPanel .setting-label.-first { margin-top: 0; }
    SettingsPanel Select { width: 100%; }
    SettingsPanel NumberInput { width: 100%; }
    SettingsPanel NumberInput.-invalid { color: $error; }
    SettingsPanel Checkbox { width: 100%; margin-top: 1; }
    SettingsPanel Checkbox.-tight { margin-top: 0; }
    SettingsPanel #setting-error { height: auto; color: $error; }
    SettingsPanel #setting-error.-hidden { display: none; }
    """

    @dataclass
    class Changed(Message):
        panel: SettingsPanel
        name: str
        value: Any

    def __init__(self, specs: tuple[SettingSpec, ...], values: Mapping[str, Any], *,
                 labels: Mapping[str, str] | None = None, steps: Mapping[str, dict[str, float]] | None = None,
                 tight_checkboxes: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.specs = {spec.name: spec for spec in specs}
        self.values = dict(values)
        self.labels = dict(labels or {})
        self.steps = dict(steps or {})
        self.tight_checkboxes = tight_checkboxes

    def label_of(self, name: str) -> str:
        return self.labels.get(name, name.replace("_", " "))

    def compose(self) -> ComposeResult:
        first = True
        for name, spec in self.specs.items():
            value = self.values.get(name, spec.default)
            tooltip = " ".join(part for part in (spec.description, describe_range(spec) and f"({describe_range(spec)})") if part)
            if spec.kind == "bool":
                checkbox = SettingCheckbox(self.label_of(name), bool(value), compact=True, id=f"setting-{name}")
                checkbox.tooltip = tooltip or None
                if self.tight_checkboxes or first:
                    checkbox.add_class("-tight")
                yield checkbox
            else:
                yield Label(self.label_of(name), classes="setting-label" + (" -first" if first else ""))
                if spec.kind == "choice":
                    control = Select([(choice, choice) for choice in spec.choices], value=str(value),
                                     allow_blank=False, compact=True, id=f"setting-{name}")
                else:
                    control = NumberInput(spec, value, id=f"setting-{name}", **self.steps.get(name, {}))
                control.tooltip = tooltip or None
                yield control
            first = False
        yield Static("", id="setting-error", classes="-hidden")

    # ------------------------------------------------------------------ reading the controls

    def _name_of(self, widget_id: str | None) -> str | None:
        if widget_id and widget_id.startswith("setting-") and widget_id[len("setting-"):] in self.specs:
            return widget_id[len("setting-"):]
        return None

    def _report(self, name: str, value: Any) -> None:
        if self.values.get(name) == value:
            return
        self.values[name] = value
        self.post_message(self.Changed(self, name, value))

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        event.stop()
        name = self._name_of(event.select.id)
        if name is not None and event.value is not Select.BLANK:
            self._report(name, event.value)

    @on(Checkbox.Changed)
    def _checkbox_changed(self, event: Checkbox.Changed) -> None:
        event.stop()
        name = self._name_of(event.checkbox.id)
        if name is not None:
            self._report(name, bool(event.value))

    @on(Input.Submitted)
    @on(NumberInput.Stepped)
    def _number_entered(self, event: Message) -> None:
        field = event.input if isinstance(event, Input.Submitted) else event.field
        if not isinstance(field, NumberInput):
            return
        event.stop()
        self._commit(field)

    @on(Input.Blurred)
    def _number_left(self, event: Input.Blurred) -> None:
        if isinstance(event.input, NumberInput):
            self._commit(event.input)

    def _commit(self, field: NumberInput) -> None:
        name = self._name_of(field.id)
        if name is None:
            return
        try:
            value = field.parsed()
        except ValueError as error:
            self.show_error(name, str(error))
            return
        if self.values.get(name) == value:
            self.clear_error(name)
            return
        self._report(name, value)

    # ------------------------------------------------------------------ written by the screen

    def show_error(self, name: str, message: str) -> None:
        error = self.query_one("#setting-error", Static)
        error.update(f"⚠ {self.label_of(name)}: {message}")
        error.remove_class("-hidden")
        for control in self.query(NumberInput):
            control.set_class(control.id == f"setting-{name}", "-invalid")

    def clear_error(self, name: str | None = None) -> None:
        self.query_one("#setting-error", Static).add_class("-hidden")
        for control in self.query(NumberInput):
            if name is None or control.id == f"setting-{name}":
                control.remove_class("-invalid")

    def set_values(self, values: Mapping[str, Any]) -> None:
        """Show ``values`` in the controls without reporting them back as changes."""
        for name, value in values.items():
            if name not in self.specs:
                continue
            self.values[name] = value
            control = self.query_one(f"#setting-{name}")
            if isinstance(control, Checkbox):
                with control.prevent(Checkbox.Changed):
                    control.value = bool(value)
            elif isinstance(control, Select):
                with control.prevent(Select.Changed):
                    control.value = str(value)
            elif isinstance(control, NumberInput):
                control.value = format_setting(value)
        self.clear_error()

    def reject(self, name: str, previous: Any, message: str) -> None:
        """The lab refused ``name``'s new value: say why, and remember the value still in force."""
        self.values[name] = previous
        control = self.query_one(f"#setting-{name}")
        if isinstance(control, Checkbox):
            with control.prevent(Checkbox.Changed):
                control.value = bool(previous)
        elif isinstance(control, Select):
            with control.prevent(Select.Changed):
                control.value = str(previous)
        self.show_error(name, message)
