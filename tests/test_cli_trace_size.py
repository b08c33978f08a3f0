"""`backprop-tutor trace -` at the documented cap, as a real subprocess: the program on standard input,
JSON out, no traceback; one node past the cap is refused with the cap named (issue 14 §1)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tutor.graph.build import MAX_GRAPH_NODES

ROOT = Path(__file__).resolve().parents[1]


def _chain(nodes: int) -> str:
    """Exactly ``nodes`` graph nodes: the input x and one operation per line."""
    lines, previous = [], "x"
    for index in range(1, nodes - 1):
        lines.append(f"v{index} = " + (f"{previous} + 0.1", f"tanh({previous})", f"{previous}*1.0001")[(index - 1) % 3])
        previous = f"v{index}"
    return "\n".join([*lines, f"L = {previous}*2"]) + "\n"


def _trace(program: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tutor", "trace", "-", "--at", "x=0.5", "--format", "json"],
                          input=program.encode(), capture_output=True, cwd=ROOT, timeout=120)


def test_trace_reads_a_program_at_the_cap_from_standard_input() -> None:
    completed = _trace(_chain(MAX_GRAPH_NODES))
    assert completed.returncode == 0, completed.stderr.decode()[-2000:]
    assert b"Traceback" not in completed.stderr
    graph = json.loads(completed.stdout)
    assert len(graph["nodes"]) == MAX_GRAPH_NODES
    gradients = {node["id"]: node["grad"] for node in graph["nodes"]}
    assert gradients["L"] == 1 and gradients[f"v{MAX_GRAPH_NODES - 2}"] == 2


def test_one_node_past_the_cap_is_refused_with_the_cap_named() -> None:
    completed = _trace(_chain(MAX_GRAPH_NODES + 1))
    assert completed.returncode == 2
    assert b"Traceback" not in completed.stderr
    assert f"more than {MAX_GRAPH_NODES} nodes".encode() in completed.stderr
