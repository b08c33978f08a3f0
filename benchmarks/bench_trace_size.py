"""`trace --format json` and `grade` on large programs, over process start, next to the engine alone.

Each figure is the best of --runs fresh processes (`backprop-tutor trace - --format json` with
the program on standard input; `backprop-tutor grade` with one JSON request), minus the best
time of the same command on a one-node program (process start: Python, imports, sympy).
Peak memory is each child's own maximum resident set (os.wait4's rusage), so memory growth
can be read against the number of nodes. The engine column builds the same chain with
tutor.engine.Value in this process and runs backward() (best of --runs).

Programs stay inside the documented cap (tutor.graph.build.MAX_GRAPH_NODES = 10,000 nodes):
the chain has one operation per line (x + 0.1, tanh, *1.0001 in turn), so N lines are N nodes;
the one-line sum x^1*1 + x^2*2 + ... has three nodes a term.

Run from the repository root:  python benchmarks/bench_trace_size.py [--runs 3] [--sizes 1000,3000,10000]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tutor.engine import Value  # noqa: E402
from tutor.graph.build import MAX_GRAPH_NODES, build_graph  # noqa: E402


def chain_program(nodes: int) -> str:
    """A program of exactly ``nodes`` graph nodes: the input x and one operation per line."""
    lines, previous = [], "x"
    for index in range(1, nodes - 1):
        step = (f"{previous} + 0.1", f"tanh({previous})", f"{previous}*1.0001")[(index - 1) % 3]
        lines.append(f"v{index} = {step}")
        previous = f"v{index}"
    lines.append(f"L = {previous}*2")
    return "\n".join(lines) + "\n"


def terms_program(terms: int) -> str:
    return "L = " + " + ".join(f"x^{i % 5 + 1}*{i % 7 + 1}" for i in range(terms))


def engine_seconds(nodes: int, runs: int) -> float:
    """Build the same chain with tutor.engine.Value and backpropagate (no parsing, no graph)."""
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        x = Value(0.5)
        node = x
        for index in range(1, nodes - 1):
            kind = (index - 1) % 3
            node = node + 0.1 if kind == 0 else node.tanh() if kind == 1 else node * 1.0001
        (node * 2).backward()
        best = min(best, time.perf_counter() - started)
    return best


def measured(command: list[str], stdin: bytes) -> tuple[float, int, bytes, float]:
    """One run: wall seconds, the child's own peak RSS in KB (Linux reports KB), its output, and its CPU
    seconds (user + system; on a shared machine this varies less than the wall time)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(stdin)
    process.stdin.close()
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited with {process.returncode}")
    return elapsed, usage.ru_maxrss, output, usage.ru_utime + usage.ru_stime


def best_of(command: list[str], stdin: bytes, runs: int) -> tuple[float, int, bytes, float]:
    """The fastest run's wall time and output, the largest peak memory, the least CPU time."""
    results = [measured(command, stdin) for _ in range(runs)]
    fastest = min(results, key=lambda result: result[0])
    return fastest[0], max(result[1] for result in results), fastest[2], min(result[3] for result in results)


def tutor_command() -> list[str]:
    found = shutil.which("backprop-tutor")
    return [found] if found else [sys.executable, "-m", "tutor"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", default="1000,3000,10000", help="trace sizes in nodes (at most 10,000)")
    parser.add_argument("--terms", type=int, default=300, help="terms of the grade requests' program")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    if max(sizes) > MAX_GRAPH_NODES:
        raise SystemExit(f"sizes must be within the cap of {MAX_GRAPH_NODES} nodes")
    tutor = tutor_command()
    trace = [*tutor, "trace", "-", "--at", "x=0.5", "--format", "json"]
    grade = [*tutor, "grade"]

    start_trace, start_trace_kb, _, start_trace_cpu = best_of(trace, b"L = x*2\n", args.runs)
    print(f"trace process start (1-node program): {start_trace:.2f} s wall, {start_trace_cpu:.2f} s CPU, "
          f"{start_trace_kb / 1024:.0f} MB")
    print()
    print("| trace --format json | nodes | wall | over start | CPU over start | engine alone | peak memory | over start |")
    print("|---|---|---|---|---|---|---|---|")
    for size in sizes:
        program = chain_program(size)
        nodes = len(build_graph(program, {"x": 0.5}, symbolic=False).order)
        wall, peak_kb, output, cpu = best_of(trace, program.encode(), args.runs)
        assert len(json.loads(output)["nodes"]) == nodes
        engine = engine_seconds(size, args.runs)
        print(f"| chain | {nodes:,} | {wall:.2f} s | {wall - start_trace:.2f} s | {cpu - start_trace_cpu:.2f} s | "
              f"{engine * 1000:.0f} ms | "
              f"{peak_kb / 1024:.0f} MB | {(peak_kb - start_trace_kb) / 1024:.0f} MB |")
    # One long line: a sum of terms x^k*c, 3 nodes a term (the parser and node splitting on a wide statement).
    wide = terms_program((max(sizes) - 1) // 3)
    nodes = len(build_graph(wide, {"x": 0.5}, symbolic=False).order)
    wall, peak_kb, output, cpu = best_of(trace, wide.encode(), args.runs)
    assert len(json.loads(output)["nodes"]) == nodes
    print(f"| one-line sum | {nodes:,} | {wall:.2f} s | {wall - start_trace:.2f} s | {cpu - start_trace_cpu:.2f} s | "
          f"| {peak_kb / 1024:.0f} MB | {(peak_kb - start_trace_kb) / 1024:.0f} MB |")

    tiny = json.dumps({"program": "L = x*2", "at": {"x": 1}, "ask": "grad:x", "answer": "2"}) + "\n"
    start_grade, start_grade_kb, _, start_grade_cpu = best_of(grade, tiny.encode(), args.runs)
    print()
    print(f"grade process start (L = x*2, grad:x): {start_grade:.2f} s wall, {start_grade_cpu:.2f} s CPU, "
          f"{start_grade_kb / 1024:.0f} MB")
    print()
    program = terms_program(args.terms)
    nodes = len(build_graph(program, {"x": 0.5}, symbolic=False).order)
    right = None
    print(f"| grade, {args.terms} terms ({nodes:,} nodes) | answer | verdict | wall | over start | CPU over start "
          f"| peak memory |")
    print("|---|---|---|---|---|---|---|")
    for ask, answer in (("grad:x", "3"), ("derivative:x", "3"), ("derivative:x", "right")):
        if answer == "right":
            answer = right or "0"
        request = json.dumps({"program": program, "at": {"x": 0.5}, "ask": ask, "answer": answer}) + "\n"
        wall, peak_kb, output, cpu = best_of(grade, request.encode(), args.runs)
        record = json.loads(output)
        if ask == "derivative:x" and right is None:
            right = record.get("expected")
        shown = answer if len(answer) <= 12 else answer[:9] + "..."
        print(f"| {ask} | {shown} | {record['verdict']} | {wall:.2f} s | {wall - start_grade:.2f} s | "
              f"{cpu - start_grade_cpu:.2f} s | {peak_kb / 1024:.0f} MB |")


if __name__ == "__main__":
    main()
