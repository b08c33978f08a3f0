"""The core never imports Textual: only tutor/ui and the CLI may."""

import subprocess
import sys
from pathlib import Path

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


def test_core_modules_do_not_import_textual() -> None:
    # One fresh interpreter imports every core module in turn and names the first that pulls in Textual.
    modules = _core_modules()
    assert len(modules) > 20  # the walk found the core, not an empty folder
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "    if any(m == 'textual' or m.startswith('textual.') for m in sys.modules):\n"
        "        print(name); sys.exit(1)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=TUTOR_DIR.parent)
    assert result.returncode == 0, f"{result.stdout.strip()} pulls in Textual (or failed to import):\n{result.stderr}"


def test_no_textual_in_core_source() -> None:
    offenders = [
        str(path)
        for package in CORE_PACKAGES
        for path in (TUTOR_DIR / package).rglob("*.py")
        if "import textual" in path.read_text() or "from textual" in path.read_text()
    ]
    assert offenders == []


def _modules_after(code: str) -> set[str]:
    """Top-level package names in sys.modules after running ``code`` in a fresh interpreter."""
    probe = code + "\nimport sys\nprint(' '.join(sorted({name.split('.')[0] for name in sys.modules})))\n"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=TUTOR_DIR.parent)
    assert result.returncode == 0, result.stderr
    return set(result.stdout.split())


def test_importing_the_core_packages_leaves_textual_unloaded() -> None:
    # The packages the UI builds on, imported the way the UI imports them (package __init__ files included).
    loaded = _modules_after(
        "import tutor.engine, tutor.expr, tutor.graph, tutor.check, tutor.render, tutor.packs, tutor.progress, "
        "tutor.labs, tutor.exercises, tutor.formatting, tutor.diagnosis_ids"
    )
    assert "tutor" in loaded and "sympy" in loaded  # the probe really imported the core
    assert "textual" not in loaded and "textual_plotext" not in loaded


def test_cli_help_imports_neither_sympy_nor_textual() -> None:
    # `backprop-tutor --help` lists the subcommands without paying for the checker or the app.
    loaded = _modules_after(
        "import contextlib, io\n"
        "from tutor.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    main(['--help'])\n"
    )
    assert "argparse" in loaded  # the parser was built
    assert {"sympy", "textual"}.isdisjoint(loaded)
