"""Time the graph drawing: layout (grandalf + edge routing) and one animation frame.

Graphs of 10, 30 and 60 nodes are built with build_graph from seeded random programs (every
intermediate used, a mix of +, -, *, tanh, fan-out up to several consumers). For each size:

* layout: compute_layout from scratch (what the first frame of a new graph costs), best and median
  of several runs;
* frame: render_frame for every step of the animation with the layout passed in, as the TUI
  does, and again letting render_frame find the layout in the cache (as the command line does).

Targets (issue 4): layout under 20 ms and a frame under 5 ms at 60 nodes.

Run from the repository root:  python benchmarks/bench_render.py [--repeats N]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tutor.graph import build_graph  # noqa: E402
from tutor.render import FrameOptions, animation_steps, compute_layout, layout_for, render_frame  # noqa: E402

SIZES = (10, 30, 60)
LAYOUT_TARGET_MS = 20.0
FRAME_TARGET_MS = 5.0


def random_program(node_count: int, seed: int) -> tuple[str, dict[str, float]]:
    """A program whose graph has exactly ``node_count`` nodes, every computed node used."""
    rng = random.Random(seed)
    input_count = max(2, node_count // 5)
    inputs = [f"x{index}" for index in range(input_count)]
    unused = list(inputs)
    names = list(inputs)
    lines = []
    while len(names) < node_count - 1 or len(unused) > 1:
        first = unused.pop(rng.randrange(len(unused))) if unused else rng.choice(names[-6:])
        op = rng.choice(["+", "*", "-", "tanh"])
        if op == "tanh":
            expression = f"tanh({first})"
        else:
            take_unused = unused and rng.random() < 0.5
            second = unused.pop(rng.randrange(len(unused))) if take_unused else rng.choice(names[-8:])
            expression = f"{first} {op} {second}"
        name = f"h{len(lines)}"
        lines.append(f"{name} = {expression}")
        names.append(name)
        unused.append(name)
    lines.append(f"L = {unused[0]}^2")
    values = {name: rng.choice([0.5, -1.0, 2.0, 0.25, -0.75]) for name in inputs}
    return "; ".join(lines), values


def milliseconds(seconds: float) -> float:
    return seconds * 1000.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="layout runs per graph (default 15)")
    args = parser.parse_args()

    print(f"{'nodes':>5} {'edges':>5} {'size':>9}  {'layout best':>11} {'median':>8}  "
          f"{'frame mean':>10} {'max':>7} {'via cache':>9}")
    worst_layout = worst_frame = 0.0
    for size in SIZES:
        # Not every program hits the size exactly (the last lines join leftovers); try seeds until one does.
        seed = size
        while True:
            program, values = random_program(size, seed)
            graph = build_graph(program, values)
            if len(graph.order) == size:
                break
            seed += 1000
        layout_times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            layout = compute_layout(graph)
            layout_times.append(time.perf_counter() - start)

        steps = animation_steps(graph)
        options = FrameOptions(max_width=120)
        render_frame(graph, steps[0], options, layout=layout)  # warm the base grid, as the first frame does
        frame_times = []
        for step in steps:
            start = time.perf_counter()
            render_frame(graph, step, options, layout=layout)
            frame_times.append(time.perf_counter() - start)
        layout_for(graph)
        start = time.perf_counter()
        for step in steps:
            render_frame(graph, step, options)
        cached_mean = (time.perf_counter() - start) / len(steps)

        best, median = min(layout_times), statistics.median(layout_times)
        frame_mean, frame_max = statistics.fmean(frame_times), max(frame_times)
        worst_layout, worst_frame = max(worst_layout, median), max(worst_frame, frame_mean)
        print(f"{len(graph.order):>5} {len(graph.edges):>5} {layout.width:>4}x{layout.height:<4}  "
              f"{milliseconds(best):>8.1f} ms {milliseconds(median):>5.1f} ms  "
              f"{milliseconds(frame_mean):>7.2f} ms {milliseconds(frame_max):>4.2f} ms {milliseconds(cached_mean):>6.2f} ms")

    print(f"\nat 60 nodes: layout median {milliseconds(worst_layout):.1f} ms (target < {LAYOUT_TARGET_MS:g} ms), "
          f"frame mean {milliseconds(worst_frame):.2f} ms (target < {FRAME_TARGET_MS:g} ms): "
          + ("within targets" if milliseconds(worst_layout) < LAYOUT_TARGET_MS
             and milliseconds(worst_frame) < FRAME_TARGET_MS else "OVER TARGET"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
