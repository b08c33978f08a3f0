"""How fast the progress store is at the sizes a learner reaches, and what export/import cost in memory.

Prints: answers recorded per second (each one its own fsync'd transaction, with its review update),
opening time (schema check + quick_check) for a store with N answers, the UI's usual read queries,
then export and import of those N answers, each in a fresh process so its peak memory (ru_maxrss) is
its own, next to the same process's memory before it started (interpreter, pydantic, fsrs).
Uses a temporary folder; nothing of yours is touched.

Run from the repository root:  python benchmarks/bench_progress.py [--answers N]
(the README's figures: --answers 1000000; the default is quick)
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tutor.progress import Attempt, LessonProblems, ProgressStore, SpacedReview, Verdict  # noqa: E402
from tutor.progress.model import format_timestamp  # noqa: E402

VERDICTS = [Verdict.CORRECT, Verdict.CORRECT, Verdict.INCORRECT, Verdict.GAVE_UP, Verdict.INVALID]


def make_attempt(rng: random.Random, index: int, start: datetime) -> Attempt:
    lesson = rng.randrange(10)
    return Attempt(f"pack{rng.randrange(3)}", "1.0", f"lesson{lesson}", f"l{lesson}-q{rng.randrange(12)}",
                   "2*(a*b+c)*b", rng.choice(VERDICTS), variant_seed=rng.randrange(2**31),
                   diagnosis=rng.choice([None, "sign", "forgot-chain-rule", "added-instead"]),
                   hints_used=rng.randrange(3), seconds=rng.uniform(5, 300), answered_at=start + timedelta(minutes=index))


def timed(label: str, action, repeat: int = 1) -> object:
    began = time.perf_counter()
    for _ in range(repeat):
        result = action()
    elapsed = (time.perf_counter() - began) / repeat
    print(f"  {label:<46} {elapsed * 1000:9.2f} ms")
    return result


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def fill(store: ProgressStore, rng: random.Random, start: datetime, first: int, last: int) -> None:
    """Bulk answers (no review updates): 10,000 rows per executemany, one transaction."""
    with store.write_transaction() as connection:
        for low in range(first, last, 10_000):
            rows = []
            for index in range(low, min(last, low + 10_000)):
                a = make_attempt(rng, index, start)
                rows.append((f"{index:032x}", a.pack_id, a.pack_version, a.lesson_id, a.problem_id, a.variant_seed,
                             a.answer_text, a.verdict.value, a.diagnosis, a.hints_used, a.seconds,
                             format_timestamp(a.answered_at)))
            connection.executemany(
                "INSERT INTO attempts (uid, pack_id, pack_version, lesson_id, problem_id, variant_seed, answer_text, "
                "verdict, diagnosis, hints_used, seconds, answered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def phase(action: str, database: str, file: str) -> None:
    """One export or import in this process; prints a JSON line with seconds and memory."""
    import fsrs  # noqa: F401

    from tutor.progress import transfer  # noqa: F401 - imported before the baseline, like the CLI does

    with ProgressStore(database) as store:
        baseline = peak_mb()
        began = time.perf_counter()
        if action == "export":
            store.export_json(file)
            detail = f"{Path(file).stat().st_size / 1e6:.0f} MB file"
        else:
            summary = store.import_json(file)
            detail = f"{summary.attempts_added:,} added, {summary.attempts_already_present:,} already present"
        elapsed = time.perf_counter() - began
    print(json.dumps({"seconds": elapsed, "baseline_mb": baseline, "peak_mb": peak_mb(), "detail": detail}))


def run_phase(label: str, action: str, database: Path, file: Path) -> None:
    output = subprocess.run([sys.executable, __file__, "--phase", action, str(database), str(file)],
                            check=True, capture_output=True, text=True).stdout
    figures = json.loads(output.strip().splitlines()[-1])
    print(f"  {label:<46} {figures['seconds']:8.1f} s   peak {figures['peak_mb']:6.0f} MB "
          f"(process before it: {figures['baseline_mb']:.0f} MB; {figures['detail']})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=20000, help="answers in the large store (default 20000)")
    parser.add_argument("--durable-writes", type=int, default=200, help="answers recorded one by one (default 200)")
    parser.add_argument("--phase", nargs=3, metavar=("ACTION", "DB", "FILE"), help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.phase:
        phase(*options.phase)
        return
    rng = random.Random(7)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "progress.db"
        with ProgressStore(path) as store:
            fill(store, rng, start, 0, max(0, options.answers - options.durable_writes))
            review = SpacedReview(store)
            began = time.perf_counter()
            for index in range(options.answers - options.durable_writes, options.answers):
                review.record_attempt(make_attempt(rng, index, start))
            elapsed = time.perf_counter() - began
            print(f"record_attempt + review, one transaction each (synchronous=FULL): "
                  f"{options.durable_writes / elapsed:,.0f} answers/s ({elapsed / options.durable_writes * 1000:.2f} ms each)")
        size = path.stat().st_size
        print(f"store with {options.answers:,} answers: {size / 1e6:.1f} MB on disk")
        store = timed("open (schema check + quick_check)", lambda: ProgressStore(path))
        review = SpacedReview(store)
        lessons = [LessonProblems(f"pack{p}", f"lesson{n}", [f"l{n}-q{q}" for q in range(12)])
                   for p in range(3) for n in range(10)]
        now = start + timedelta(minutes=options.answers + 60 * 24)
        repeat = 20 if options.answers <= 100_000 else 3
        timed("lesson_completion (12 problems)", lambda: store.lesson_completion("pack0", lessons[0].problem_ids), repeat)
        timed("continue_target (30 lessons)", lambda: store.continue_target(lessons), repeat)
        timed("lesson_stats (all)", store.lesson_stats, repeat)
        timed("frequent_diagnoses", store.frequent_diagnoses, repeat)
        timed("count_due", lambda: review.count_due(now), repeat)
        store.close()
        export_path = Path(folder) / "export.json"
        print(f"export and import of {options.answers:,} answers, each in its own process:")
        run_phase("export_json", "export", path, export_path)
        run_phase("import_json into an empty store", "import", Path(folder) / "imported.db", export_path)
        run_phase("import_json again (all already present)", "import", Path(folder) / "imported.db", export_path)


if __name__ == "__main__":
    main()
