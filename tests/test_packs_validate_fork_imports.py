"""What sympy imports on first use is imported before validate forks (tutor.packs.validate._import_before_forking),
so each forked child does not import it again: checking a graph problem then imports no new module."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_RUN = """
import sys
from tutor.packs.loader import discover_packs
from tutor.packs.validate import _import_before_forking, validate_problem
import tutor.check
pack = next(pack for pack in discover_packs(include_user=False).packs if pack.id == "backprop")
refs = [ref for ref in pack.problems() if type(ref.problem).__name__ in ("TraceProblem", "AskProblem")
        and not getattr(ref.problem, "ask", "").startswith("derivative")][:3]
_import_before_forking(refs)
before = set(sys.modules)
for ref in refs:
    assert validate_problem(ref, 2) == []
print("new modules:", sorted(set(sys.modules) - before))
"""


def test_checking_graph_problems_after_the_imports_before_the_fork_imports_nothing_new() -> None:
    done = subprocess.run([sys.executable, "-c", _RUN], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "new modules: []" in done.stdout
