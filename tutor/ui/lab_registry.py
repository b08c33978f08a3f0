"""Where interactive lab screens plug into lessons.

Lab screens live in ``tutor/ui/labs/`` (one module per lab). That package registers each screen
here when it is imported::

    from tutor.ui.lab_registry import register_lab_screen

    @register_lab_screen("xor")
    def open_xor_lab(problem) -> Screen:      # problem: the pack's LabProblem (.lab, .settings, .prompt)
        return XorLabScreen(settings=problem.settings)

A lesson that reaches a ``lab`` problem calls :func:`find_lab_screen`; with a factory registered it
offers an "Open lab" button and pushes the screen. The screen may ``dismiss(True)`` when the learner
has finished the lab, which marks the problem done. Without a factory the lesson says the lab is
coming soon. A lab module may be ``tutor/ui/labs/<lab name>.py`` (``-`` written as ``_``);
it is imported when its lab is first needed.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from typing import Any

LabScreenFactory = Callable[[Any], Any]

_FACTORIES: dict[str, LabScreenFactory] = {}
_LABS_PACKAGE = "tutor.ui.labs"


def register_lab_screen(lab_name: str) -> Callable[[LabScreenFactory], LabScreenFactory]:
    def decorator(factory: LabScreenFactory) -> LabScreenFactory:
        _FACTORIES[lab_name] = factory
        return factory

    return decorator


def find_lab_screen(lab_name: str) -> LabScreenFactory | None:
    """The screen factory for ``lab_name``, importing ``tutor.ui.labs`` (if it exists) so labs can register."""
    if lab_name in _FACTORIES:
        return _FACTORIES[lab_name]
    try:
        if importlib.util.find_spec(_LABS_PACKAGE) is None:
            return None
        importlib.import_module(_LABS_PACKAGE)
        module_name = f"{_LABS_PACKAGE}.{lab_name.replace('-', '_')}"
        if lab_name not in _FACTORIES and importlib.util.find_spec(module_name) is not None:
            importlib.import_module(module_name)
    except ImportError:
        return None
    return _FACTORIES.get(lab_name)
