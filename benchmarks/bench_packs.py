"""Lesson packs: how long loading (what the UI pays at start-up) and `validate` take.

Also, each as a fresh `backprop-tutor` process in the same run (issue 19's target: `validate` of the
built-in course within 5x the time of `backprop-tutor packs`, and an unchanged pack near-instant the
second time): `packs`, `validate --no-cache`, `validate` twice with an empty cache folder (the
first fills it, the second reads it), and `validate` of a copy of the course after one hint of one
problem changed (the other problems come from the per-problem cache).

`validate` runs with its default --jobs (2 processes on a machine with two or more cores).

Run: python benchmarks/bench_packs.py [--seeds N] [--repeat R] [--cli-repeat R]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ROOT = Path(__file__).resolve().parents[1]

from tutor.packs.loader import discover_packs  # noqa: E402
from tutor.packs.validate import validate_pack  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cli-repeat", type=int, default=3)
    args = parser.parse_args()
    load_times = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        catalog = discover_packs(include_user=False)
        load_times.append(time.perf_counter() - started)
    problems = sum(pack.problem_count for pack in catalog.packs)
    print(f"load built-in packs ({len(catalog.packs)} packs, {problems} problems): "
          f"median {statistics.median(load_times) * 1000:.1f} ms over {args.repeat} runs")
    for pack in catalog.packs:
        started = time.perf_counter()
        errors = validate_pack(pack, args.seeds)
        elapsed = time.perf_counter() - started
        print(f"validate {pack.id} ({pack.problem_count} problems, {args.seeds} seeds): {elapsed:.2f} s, "
              f"{len(errors)} errors")
    command_line(args.seeds, args.cli_repeat)


CPU_SECONDS: dict[str, list[float]] = {}  # per command: CPU time of the process and everything it waited for


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(arguments: list[str], environment: dict[str, str], name: str | None = None) -> float:
    """Wall seconds of one fresh process; its CPU seconds (its forked child and algebra process included:
    it waits for them) go to CPU_SECONDS[name], steadier than wall time on a shared machine."""
    started, cpu = time.perf_counter(), _children_cpu()
    # cwd: `python -m` puts the working folder before PYTHONPATH, so run from another checkout it timed that one's code.
    done = subprocess.run([sys.executable, "-m", "tutor", *arguments], env=environment, capture_output=True,
                          text=True, check=False, cwd=ROOT)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0,):
        raise SystemExit(f"backprop-tutor {' '.join(arguments)} exited {done.returncode}: {done.stderr[-500:]}")
    if name is not None:
        CPU_SECONDS.setdefault(name, []).append(_children_cpu() - cpu)
    return elapsed


def command_line(seeds: int, repeat: int) -> None:
    course = str(ROOT / "lessons" / "backprop")
    load_at_start = os.getloadavg()[0]
    timings: dict[str, list[float]] = {"packs": [], "validate --no-cache": [], "validate (first, cache empty)": [],
                                       "validate (second, unchanged)": [], "validate (one problem edited)": []}
    with tempfile.TemporaryDirectory() as home:
        import shutil

        copy = Path(home) / "course"
        shutil.copytree(course, copy)
        edited = copy / "05-multiple-paths.yaml"
        original_text = edited.read_text()
        environment = {**os.environ, "BACKPROP_TUTOR_HOME": home, "PYTHONPATH": str(Path(course).parents[1])}
        for round_number in range(repeat):
            environment["BACKPROP_TUTOR_CACHE_DIR"] = str(Path(home) / f"cache-{round_number}")
            seed_option = ["--seeds", str(seeds)]
            timings["packs"].append(_timed(["packs"], environment, "packs"))
            timings["validate --no-cache"].append(_timed(["validate", "--no-cache", *seed_option, course], environment,
                                                         "validate --no-cache"))
            timings["validate (first, cache empty)"].append(_timed(["validate", *seed_option, course], environment))
            timings["validate (second, unchanged)"].append(_timed(["validate", *seed_option, course], environment))
            # The author's loop: the copy checked once, then one hint of one problem changed.
            edited.write_text(original_text)
            _timed(["validate", *seed_option, str(copy)], environment)
            edited.write_text(original_text.replace("hints:\n", f"hints:\n      - \"Edit {round_number}.\"\n", 1))
            timings["validate (one problem edited)"].append(_timed(["validate", *seed_option, str(copy)], environment))
    packs = statistics.median(timings["packs"])
    print(f"\nas processes, medians of {repeat} rounds (built-in course, {seeds} seeds; load average "
          f"{load_at_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end, on {os.cpu_count()} cores):")
    for name, values in timings.items():
        median = statistics.median(values)
        print(f"  backprop-tutor {name:<32} {median:6.2f} s   {median / packs:5.1f}x packs   "
              f"(min {min(values):.2f}, max {max(values):.2f})")
    packs_cpu = statistics.median(CPU_SECONDS["packs"])
    cold_cpu = statistics.median(CPU_SECONDS["validate --no-cache"])
    print(f"  CPU time (medians, all processes): packs {packs_cpu:.2f} s, validate --no-cache {cold_cpu:.2f} s "
          f"({cold_cpu / packs_cpu:.1f}x; on {os.cpu_count()} cores validate runs 2 checking processes)")
    cold = statistics.median(timings["validate --no-cache"]) / packs
    warm = statistics.median(timings["validate (second, unchanged)"]) / packs
    print(f"target (issue 19): cold validate within 5x packs: {'met' if cold <= 5 else 'not met'} ({cold:.1f}x); "
          f"an unchanged pack near-instant (within 2x packs): {'met' if warm <= 2 else 'not met'} ({warm:.1f}x)")


if __name__ == "__main__":
    main()
