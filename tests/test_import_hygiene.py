"""The core never imports Textual: only tutor/ui and the CLI may."""

import subprocess
import sys
from pathlib import Path

import pytest

CORE_PACKAGES = ["engine", "expr", "graph", "check", "render", "packs", "progress", "labs"]
TUTOR_DIR = Path(__file__).resolve().parents[1] / "tutor"


def _core_modules() -> list[str]:
    modules = []
    for package in CORE_PACKAGES:
        for path in sorted((TUTOR_DIR / package).rglob("*.py")):
            relative = path.relative_to(TUTOR_DIR.parent).with_suffix("")
            parts = list(relative.parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules.append(".".join(parts))
    return modules


@pytest.mark.parametrize("module", _core_modules())
def test_core_module_does_not_import_textual(module: str) -> None:
    code = f"import sys, {module}; sys.exit(1 if any(m == 'textual' or m.startswith('textual.') for m in sys.modules) else 0)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=TUTOR_DIR.parent)
    assert result.returncode == 0, f"{module} pulls in Textual (or failed to import):\n{result.stderr}"


def test_no_textual_in_core_source() -> None:
    offenders = [
        str(path)
        for package in CORE_PACKAGES
        for path in (TUTOR_DIR / package).rglob("*.py")
        if "import textual" in path.read_text() or "from textual" in path.read_text()
    ]
    assert offenders == []
