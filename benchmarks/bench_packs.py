"""Lesson packs: how long loading (what the UI pays at start-up) and `validate` take.

Run: python benchmarks/bench_packs.py [--seeds N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tutor.packs.loader import discover_packs  # noqa: E402
from tutor.packs.validate import validate_pack  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5)
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


if __name__ == "__main__":
    main()
