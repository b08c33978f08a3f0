"""Interactive lab screens, one module per lab (``tutor/ui/labs/<lab name with _ for ->.py``).

Each module registers its screen with :func:`tutor.ui.lab_registry.register_lab_screen` when it is
imported; lessons find it with :func:`tutor.ui.lab_registry.find_lab_screen`, and
``backprop-tutor lab NAME`` opens it through :func:`tutor.ui.labs.app.run_lab`. The shared
pieces are in :mod:`tutor.ui.labs.screen` (layout, workers, questions) and its helpers.

This package stays empty of imports so that looking a lab up does not load all six.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any


def lab_screen(name: str, settings: Mapping[str, Any] | None = None, **options: Any) -> Any:
    """A new screen for lab ``name`` (a LAB_NAMES entry), importing only that lab's module."""
    module = importlib.import_module(f"{__name__}.{name.replace('-', '_')}")
    return module.SCREEN(settings, **options)
