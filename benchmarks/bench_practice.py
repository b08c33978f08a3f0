"""Practice generation: time per problem and rejection rate, per skill and per level.

For every (skill, level, kind) the generator serves and seeds 0..N-1 (default 20), times
``tutor.practice.generate.generate`` (the tutor's path: candidates screened on the engine-only
graph; the sympy build happens when the problem is shown) and counts the candidates it tried.
Rejection rate = (attempts - 1) / attempts over all problems of a skill. A GenerationFailed is
counted, not raised. The first call (imports, warm caches) is made before timing.

Two clocks: wall time (what a learner waits) and this process's CPU time, which other processes
on a shared machine do not inflate; compare runs on the CPU column when the load differs.

    python benchmarks/bench_practice.py [SEEDS] [--levels 4,5]
"""

from __future__ import annotations

import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run(module: Any, seeds: int, levels: set[int] | None = None) -> None:
    """The report for ``module`` (tutor.practice.generate, or an older copy of it to compare)."""
    generate, failure = module.generate, module.GenerationFailed
    generate("local-add", 1, 0)  # imports and caches outside the timing
    times: dict[str, list[float]] = defaultdict(list)
    by_level: dict[int, list[float]] = defaultdict(list)
    cpu_by_level: dict[int, list[float]] = defaultdict(list)
    attempts: dict[str, list[int]] = defaultdict(list)
    failed: dict[str, int] = defaultdict(int)
    started = time.perf_counter()
    for skill_id, level, kind in module.all_requests():
        if levels and level not in levels:
            continue
        for seed in range(seeds):
            begin, begin_cpu = time.perf_counter(), time.process_time()
            try:
                problem = generate(skill_id, level, seed, kind)
            except failure:
                failed[skill_id] += 1
                continue
            finally:
                elapsed = (time.perf_counter() - begin) * 1000
                times[skill_id].append(elapsed)
                by_level[level].append(elapsed)
                cpu_by_level[level].append((time.process_time() - begin_cpu) * 1000)
            attempts[skill_id].append(problem.attempts)
    everything = [value for values in times.values() for value in values]
    print(f"{len(everything)} problems, {seeds} seeds per request, {time.perf_counter() - started:.1f} s")
    print(f"all: p50 {statistics.median(everything):.1f} ms, p95 {percentile(everything, 0.95):.1f} ms, "
          f"max {max(everything):.0f} ms; GenerationFailed {sum(failed.values())}")
    for level in sorted(by_level):
        values, cpu = by_level[level], cpu_by_level[level]
        print(f"level {level}: wall p50 {statistics.median(values):.1f} ms, p95 {percentile(values, 0.95):.1f} ms; "
              f"cpu p50 {statistics.median(cpu):.1f} ms, p95 {percentile(cpu, 0.95):.1f} ms")
    print(f"{'skill':<18} {'p50 ms':>7} {'p95 ms':>7} {'rejected':>9} {'failed':>6}")
    for skill_id, values in times.items():
        tried = attempts[skill_id]
        rejected = (sum(tried) - len(tried)) / sum(tried) if tried else 1.0
        print(f"{skill_id:<18} {statistics.median(values):7.1f} {percentile(values, 0.95):7.1f} "
              f"{rejected:9.0%} {failed[skill_id]:6d}")


def main() -> None:
    arguments = sys.argv[1:]
    levels: set[int] | None = None
    if "--levels" in arguments:
        at = arguments.index("--levels")
        levels = {int(level) for level in arguments[at + 1].split(",")}
        del arguments[at:at + 2]
    seeds = int(arguments[0]) if arguments else 20
    from tutor.practice import generate

    run(generate, seeds, levels)


if __name__ == "__main__":
    main()
