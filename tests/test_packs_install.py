"""The built-in packs are installed with the package (slow: builds and installs into a fresh venv).

Run with BACKPROP_SLOW_TESTS=1. It installs the project non-editable, then runs
`backprop-tutor packs` from an unrelated folder: the packs must come from the installed
`tutor/builtin_lessons`, not from the source checkout.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(os.environ.get("BACKPROP_SLOW_TESTS") != "1",
                                reason="slow: set BACKPROP_SLOW_TESTS=1 to build and install into a fresh venv")


def test_pip_install_ships_the_builtin_packs(tmp_path: Path) -> None:
    environment_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(environment_dir)
    binaries = environment_dir / ("Scripts" if sys.platform == "win32" else "bin")
    python = binaries / "python"
    install = subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(REPO)],
                             capture_output=True, text=True, timeout=1800)
    assert install.returncode == 0, install.stderr[-3000:]

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    environment = {**os.environ, "BACKPROP_TUTOR_HOME": str(tmp_path / "home"), "COLUMNS": "200"}
    environment.pop("PYTHONPATH", None)
    listing = subprocess.run([str(binaries / "backprop-tutor"), "packs"], capture_output=True, text=True,
                             cwd=elsewhere, env=environment, timeout=300)
    assert listing.returncode == 0, listing.stderr
    assert "broken" not in listing.stdout, listing.stdout
    shipped = sorted(path.name for path in (REPO / "lessons").iterdir() if (path / "pack.yaml").is_file())
    for pack_id in shipped:
        assert any(line.split("│")[1].strip() == pack_id for line in listing.stdout.splitlines() if "│" in line), \
            listing.stdout
    installed_lessons = subprocess.run(
        [str(python), "-c", "from tutor.packs.loader import builtin_packs_dir; print(builtin_packs_dir())"],
        capture_output=True, text=True, cwd=elsewhere, env=environment, timeout=120).stdout.strip()
    assert installed_lessons.endswith(os.path.join("tutor", "builtin_lessons"))
    assert str(environment_dir) in installed_lessons

    # The installed checker and engine grade the installed example pack end to end.
    validation = subprocess.run([str(binaries / "backprop-tutor"), "validate", str(Path(installed_lessons) / "example")],
                                capture_output=True, text=True, cwd=elsewhere, env=environment, timeout=1200)
    assert validation.returncode == 0, validation.stdout[-3000:] + validation.stderr[-3000:]
