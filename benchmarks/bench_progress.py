"""How fast the progress store is at the sizes a learner reaches.

Prints: answers recorded per second (each one its own fsync'd transaction, with its review update),
opening time (schema check + quick_check) for a store with N answers, the UI's usual read queries,
and export/import time. Uses a temporary folder; nothing of yours is touched.

Run from the repository root:  python benchmarks/bench_progress.py [--answers N]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tutor.progress import Attempt, LessonProblems, ProgressStore, SpacedReview, Verdict  # noqa: E402

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=20000, help="answers in the large store (default 20000)")
    parser.add_argument("--durable-writes", type=int, default=200, help="answers recorded one by one (default 200)")
    options = parser.parse_args()
    rng = random.Random(7)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "progress.db"
        with ProgressStore(path) as store:
            review = SpacedReview(store)
            began = time.perf_counter()
            for index in range(options.durable_writes):
                review.record_attempt(make_attempt(rng, index, start))
            elapsed = time.perf_counter() - began
            print(f"record_attempt + review, one transaction each (synchronous=FULL): "
                  f"{options.durable_writes / elapsed:,.0f} answers/s ({elapsed / options.durable_writes * 1000:.2f} ms each)")
            with store.write_transaction() as connection:  # bulk fill for the read benchmarks
                for index in range(options.durable_writes, options.answers):
                    attempt = make_attempt(rng, index, start)
                    stored = store.insert_attempt(connection, attempt)
                    review._review(connection, pack_id=attempt.pack_id, lesson_id=attempt.lesson_id,
                                   problem_id=attempt.problem_id, verdict=attempt.verdict,
                                   hints_used=attempt.hints_used, at=attempt.answered_at,
                                   duration_seconds=attempt.seconds, attempt_uid=stored.uid)
        size = path.stat().st_size
        print(f"store with {options.answers:,} answers: {size / 1e6:.1f} MB on disk")
        store = timed("open (schema check + quick_check)", lambda: ProgressStore(path))
        review = SpacedReview(store)
        lessons = [LessonProblems(f"pack{p}", f"lesson{l}", [f"l{l}-q{q}" for q in range(12)])
                   for p in range(3) for l in range(10)]
        now = start + timedelta(minutes=options.answers + 60 * 24)
        timed("lesson_completion (12 problems)", lambda: store.lesson_completion("pack0", lessons[0].problem_ids), 20)
        timed("continue_target (30 lessons)", lambda: store.continue_target(lessons), 20)
        timed("lesson_stats (all)", store.lesson_stats, 20)
        timed("frequent_diagnoses", store.frequent_diagnoses, 20)
        timed("count_due", lambda: review.count_due(now), 20)
        export_path = Path(folder) / "export.json"
        timed("export_json", lambda: store.export_json(export_path))
        store.close()
        with ProgressStore(Path(folder) / "imported.db") as target:
            timed("import_json into an empty store", lambda: target.import_json(export_path))


if __name__ == "__main__":
    main()
