"""`validate` of an unchanged pack reads its result from the cache without importing the checker (issue 19).

Importing tutor.check imports sympy (~0.4 s): a cached pack needs none of it, and the warm run is meant
to be near-instant.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_RUN = """
import sys
from tutor.cli import main
status = main(["validate", sys.argv[1]])
print("status", status, "imported", "tutor.check" in sys.modules, "sympy" in sys.modules)
"""


def test_an_unchanged_pack_is_validated_without_importing_the_checker(tmp_path: Path) -> None:
    environment = {**os.environ, "BACKPROP_TUTOR_CACHE_DIR": str(tmp_path / "cache"),
                   "BACKPROP_TUTOR_HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    done = [subprocess.run([sys.executable, "-c", _RUN, str(ROOT / "lessons" / "example")], env=environment,
                           capture_output=True, text=True, check=True, timeout=120) for _ in range(2)]
    runs = [run.stdout + run.stderr for run in done]
    assert "status 0 imported True True" in runs[0]  # checked afresh: the checker and sympy are needed
    assert "from the cache" in runs[1]
    assert "status 0 imported False False" in runs[1]
