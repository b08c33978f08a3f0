"""Pieces every lab shares: validated settings, setting descriptions for a UI, checked questions.

Settings are small frozen pydantic models. Pydantic does the type and range checking; this
module turns its reports into one sentence a learner can act on ("setting 'seed' should be
greater than or equal to 0 (got -3)") instead of a traceback.
"""

from __future__ import annotations

import math
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import annotated_types
from pydantic import BaseModel, ConfigDict, ValidationError


class LabSettingsError(ValueError):
    """Settings a lab cannot use: unknown name, wrong type, out of range. The message says which."""


class LabSettings(BaseModel):
    """Base of every lab's settings: unknown names are refused, values are immutable and finite."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


SettingsT = TypeVar("SettingsT", bound=LabSettings)


def validate_settings(lab_name: str, settings_class: type[SettingsT], settings: Mapping[str, Any] | SettingsT | None) -> SettingsT:
    """Return ``settings`` as a validated ``settings_class``; defaults for anything not given."""
    if settings is None:
        return settings_class()
    if isinstance(settings, settings_class):
        return settings
    if not isinstance(settings, Mapping):
        raise LabSettingsError(
            f"{lab_name} lab: settings must be a mapping of setting name to value, got {type(settings).__name__}"
        )
    try:
        return settings_class.model_validate(dict(settings))
    except ValidationError as error:
        raise LabSettingsError(f"{lab_name} lab: " + "; ".join(_describe_problems(settings_class, error))) from None


def updated_settings(lab_name: str, current: SettingsT, changes: Mapping[str, Any]) -> SettingsT:
    """``current`` with ``changes`` applied, validated as a whole (cross-setting rules included)."""
    merged = current.model_dump()
    merged.update(changes)
    return validate_settings(lab_name, type(current), merged)


def _describe_problems(settings_class: type[LabSettings], error: ValidationError) -> list[str]:
    known = ", ".join(settings_class.model_fields)
    problems = []
    for problem in error.errors(include_url=False):
        location = ".".join(str(part) for part in problem["loc"])
        message = problem["msg"]
        if problem["type"] == "extra_forbidden":
            problems.append(f"unknown setting '{location}' (the settings are {known})")
            continue
        if message.startswith("Value error, "):
            message = message[len("Value error, "):]
        elif message.startswith("Input should"):
            message = "should" + message[len("Input should"):]
        if location:
            problems.append(f"setting '{location}' {message} (got {problem['input']!r})")
        else:
            problems.append(message)
    return problems


# ------------------------------------------------------------ describing settings to a UI


SettingKind = Literal["int", "float", "bool", "choice"]


@dataclass(frozen=True)
class SettingSpec:
    """What a UI needs to build one control: its kind, default, allowed values and a help line."""

    name: str
    kind: SettingKind
    default: Any
    description: str = ""
    choices: tuple[str, ...] = ()
    minimum: float | None = None  # inclusive unless minimum_exclusive
    maximum: float | None = None  # inclusive unless maximum_exclusive
    minimum_exclusive: bool = False
    maximum_exclusive: bool = False


def setting_specs(settings_class: type[LabSettings]) -> tuple[SettingSpec, ...]:
    specs = []
    for name, info in settings_class.model_fields.items():
        annotation = info.annotation
        choices: tuple[str, ...] = ()
        kind: SettingKind
        if typing.get_origin(annotation) is Literal:
            kind = "choice"
            choices = tuple(str(choice) for choice in typing.get_args(annotation))
        elif annotation is bool:
            kind = "bool"
        elif annotation is int:
            kind = "int"
        elif annotation is float:
            kind = "float"
        else:  # a setting the UI cannot render would be a programming error in a lab
            raise TypeError(f"{settings_class.__name__}.{name}: unsupported setting type {annotation!r}")
        bounds: dict[str, Any] = {}
        for constraint in info.metadata:
            if isinstance(constraint, annotated_types.Ge):
                bounds["minimum"] = constraint.ge
            elif isinstance(constraint, annotated_types.Gt):
                bounds.update(minimum=constraint.gt, minimum_exclusive=True)
            elif isinstance(constraint, annotated_types.Le):
                bounds["maximum"] = constraint.le
            elif isinstance(constraint, annotated_types.Lt):
                bounds.update(maximum=constraint.lt, maximum_exclusive=True)
        specs.append(SettingSpec(name, kind, info.default, info.description or "", choices, **bounds))
    return tuple(specs)


# ------------------------------------------------------------------ checked questions


@dataclass(frozen=True)
class QuestionOption:
    id: str
    text: str


@dataclass(frozen=True)
class LabQuestion:
    """A question graded by the checker. ``expected`` comes from running the lab's model.

    * ``kind == "numeric"``: ``expected`` is an expression text (a number such as ``"19"`` or
      ``"0.0123"``, sometimes a formula such as ``"0.25^10"``); ``tolerance`` is an absolute
      tolerance for :func:`tutor.check.grade_numeric`.
    * ``kind == "choice"``: ``expected`` is the id of the right entry in ``options``;
      ``tolerance`` is None.
    """

    id: str
    text: str
    kind: Literal["numeric", "choice"]
    expected: str
    tolerance: float | None = None
    options: tuple[QuestionOption, ...] = ()
    explanation: str = ""
    settings: dict[str, Any] = field(default_factory=dict)  # lab settings that reproduce the answer

    def checker_tolerance(self) -> Any:
        """``tolerance`` as the checker's ``Tolerance`` (purely absolute), or None for choices.

        Use: ``grade_numeric(answer, question.expected, question.checker_tolerance())``.
        """
        if self.tolerance is None:
            return None
        from tutor.check import Tolerance  # imported here: the checker pulls in sympy

        return Tolerance(rel=0.0, abs=self.tolerance)


def format_expected(number: float, significant: int = 6) -> str:
    """A number as short expression text the checker can parse (``19``, ``0.0123``, ``2.5e-07``)."""
    if number == int(number) and abs(number) < 1e15:
        return str(int(number))
    return f"{number:.{significant}g}"


def last_digit_tolerance(number: float, significant: int) -> float:
    """One unit in the last of ``significant`` digits: a fair tolerance for an answer rounded to them."""
    if number == 0.0 or not math.isfinite(number):
        return 0.0
    return 10.0 ** (math.floor(math.log10(abs(number))) - significant + 1)


def relative_error(analytic: float, numerical: float, tiny: float = 1e-12) -> float:
    """|a - n| / max(|a|, |n|, tiny): 0 when both are 0, about 1 when they disagree completely."""
    scale = max(abs(analytic), abs(numerical), tiny)
    difference = abs(analytic - numerical)
    if math.isinf(difference) or math.isnan(difference):
        return math.inf
    return difference / scale


__all__ = [
    "LabQuestion", "LabSettings", "LabSettingsError", "QuestionOption", "SettingSpec", "format_expected", "last_digit_tolerance",
    "relative_error", "setting_specs", "updated_settings", "validate_settings",
]
