"""The long key fuzz (issue 13): random keys and resizes on every screen for N minutes.

    python benchmarks/fuzz_keys.py --minutes 10 [--seed S]

Prints the seed, how many keys and resizes were sent, how often each screen was visited and the
number of crashes (a crash stops the run and prints the replayable seed and the last keys). The
same driver runs briefly in CI (tests/test_ui_key_fuzz.py).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from ui_key_fuzz_support import FuzzFailure, fuzz  # noqa: E402 - the driver lives with the tests


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=20261203)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        try:
            report = asyncio.run(fuzz(Path(data_dir), seed=args.seed, seconds=args.minutes * 60))
        except FuzzFailure as failure:
            print(f"CRASH: {failure}")
            return 1
    print(report.summary())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
