"""Backpropagate through a very deep chain, and show where recursive engines give up.

tutor.engine orders the graph with an explicit stack, so a chain of a million operations
backpropagates fine. micrograd 0.1.0 orders it with a recursive function, so it stops with
RecursionError once the chain is deeper than Python's recursion limit (about 1000 frames).

Run from the repository root:  python benchmarks/bench_deep_chain.py [--depth N]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tutor.engine import Value  # noqa: E402

STEP_FACTOR = 1.0000001
STEP_OFFSET = 0.1


def build_chain(value_class: type, depth: int):
    """Alternate ``* STEP_FACTOR`` and ``+ STEP_OFFSET``, ``depth`` operations in all."""
    start = value_class(0.5)
    node = start
    for step in range(depth):
        node = node * STEP_FACTOR if step % 2 else node + STEP_OFFSET
    return start, node


def expected_gradient(depth: int) -> float:
    """d(chain)/d(start): only the multiplications scale the gradient."""
    return STEP_FACTOR ** (depth // 2)


def time_engine(value_class: type, depth: int) -> tuple[float, float, str]:
    """Return (build seconds, backward seconds or nan, outcome text)."""
    started = time.perf_counter()
    start, end = build_chain(value_class, depth)
    built = time.perf_counter()
    try:
        end.backward()
    except RecursionError:
        return built - started, math.nan, "RecursionError"
    finished = time.perf_counter()
    error = abs(start.grad - expected_gradient(depth))
    outcome = "ok" if error < 1e-9 * expected_gradient(depth) else f"WRONG gradient {start.grad!r}"
    return built - started, finished - built, outcome


def micrograd_recursion_depth(micrograd_value: type) -> int:
    """Smallest chain depth (to the nearest 50) at which micrograd's backward() fails."""
    depth = 50
    while depth <= 100_000:
        _, end = build_chain(micrograd_value, depth)
        try:
            end.backward()
        except RecursionError:
            return depth
        depth += 50
    return -1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depth", type=int, default=1_000_000)
    args = parser.parse_args()

    print(f"Python recursion limit: {sys.getrecursionlimit()}")
    print(f"{'engine':<18} {'depth':>10} {'build s':>9} {'backward s':>11}  outcome")
    for depth in (1_000, 100_000, args.depth):
        build_seconds, backward_seconds, outcome = time_engine(Value, depth)
        print(f"{'tutor.engine':<18} {depth:>10} {build_seconds:9.3f} {backward_seconds:11.3f}  {outcome}")

    try:
        from micrograd.engine import Value as MicrogradValue
    except ImportError:
        print("micrograd is not installed (pip install micrograd==0.1.0); skipping comparison")
        return 0
    for depth in (500, 2_000):
        build_seconds, backward_seconds, outcome = time_engine(MicrogradValue, depth)
        backward_text = "-" if math.isnan(backward_seconds) else f"{backward_seconds:.3f}"
        print(f"{'micrograd 0.1.0':<18} {depth:>10} {build_seconds:9.3f} {backward_text:>11}  {outcome}")
    print(f"micrograd's backward() first fails at a chain depth of about "
          f"{micrograd_recursion_depth(MicrogradValue)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
