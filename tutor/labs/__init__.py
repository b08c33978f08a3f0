"""Headless lab cores: the numbers behind each interactive lab, with no user interface.

Every lab class shares one shape, so a screen can drive any of them the same way:

* ``Lab(settings)`` with ``settings`` a mapping (validated; :class:`LabSettingsError` says which
  setting is wrong and why) -- or use :func:`create_lab` by name;
* ``lab.settings`` (a frozen pydantic model), ``lab.configure(**changes)``, ``lab.reset()``;
* ``lab.snapshot()`` -> JSON-friendly dict of everything worth drawing;
* ``lab.questions()`` -> checked questions whose answers were computed by running the lab
  (the first call may train networks for a few seconds: call it in a worker);
* ``Lab.name``, ``Lab.title``, and :func:`lab_setting_specs` to build the controls.

Lab-specific calls: ``XorLab.step(n)``/``run()``, ``NanHuntLab.step(n)``/``run()``/``set_fix()``
(incremental training), ``VanishingLab.result()``, ``GradcheckLab.result()``/``sweep()``,
``ClippingLab.result()``/``compare()``, ``CheckpointingLab.plan()``/``sweep()``,
``GradientFlowLab.result()`` (pure functions of the settings, cached).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Union

from tutor.labs.base import LabQuestion, LabSettingsError, QuestionOption, SettingSpec, setting_specs
from tutor.labs.checkpointing import CheckpointingLab
from tutor.labs.clipping import ClippingLab
from tutor.labs.gradcheck import GradcheckLab
from tutor.labs.gradient_flow import GradientFlowLab
from tutor.labs.nan_hunt import NanHuntLab
from tutor.labs.vanishing import VanishingLab
from tutor.labs.xor import XorLab

LAB_NAMES: tuple[str, ...] = (
    "xor", "vanishing", "gradcheck", "clipping", "nan-hunt", "checkpointing", "gradient-flow",
)

Lab = Union[XorLab, VanishingLab, GradcheckLab, ClippingLab, NanHuntLab, CheckpointingLab, GradientFlowLab]

LAB_CLASSES: dict[str, type[Lab]] = {
    lab_class.name: lab_class
    for lab_class in (XorLab, VanishingLab, GradcheckLab, ClippingLab, NanHuntLab, CheckpointingLab, GradientFlowLab)
}


class UnknownLabError(LabSettingsError):
    """A lab name that is not one of LAB_NAMES."""


def lab_class(name: str) -> type[Lab]:
    if not isinstance(name, str) or name not in LAB_CLASSES:
        raise UnknownLabError(f"there is no lab called {name!r}; the labs are {', '.join(LAB_NAMES)}")
    return LAB_CLASSES[name]


def create_lab(name: str, settings: Mapping[str, Any] | None = None) -> Lab:
    """A new lab by name, e.g. ``create_lab("xor", {"reduction": "sum", "seed": 3})``."""
    return lab_class(name)(settings)


def lab_setting_specs(name: str) -> tuple[SettingSpec, ...]:
    """The controls a lab's screen should offer: kind, default, range or choices, help text."""
    return setting_specs(lab_class(name).Settings)


__all__ = [
    "LAB_CLASSES", "LAB_NAMES", "Lab", "LabQuestion", "LabSettingsError", "QuestionOption", "SettingSpec",
    "UnknownLabError", "create_lab", "lab_class", "lab_setting_specs",
]
