"""`class report` at class scale: N synthetic learners x M answers each (default 300 x 2,000).

Writes the exports in the export's own streamed layout (one entry per line) to a temporary folder, then,
in a fresh child process, runs the report over all of them against the built-in course's lessons and
prints the seconds and the peak RSS (ru_maxrss) of that process, next to the RSS it had before it began.

    python benchmarks/bench_class_report.py [--learners 300] [--answers 2000] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

DIAGNOSES = ["missing-path", "missing-upstream", "wrong-operand", "power-rule", "sign-flip",
             "activation-derivative", "value-for-grad", "missing-inner-derivative"]


def course_lessons() -> list[tuple[str, list[str]]]:
    from tutor.packs.loader import discover_packs

    pack = discover_packs(()).get("backprop")
    assert pack is not None
    return [(lesson.id, [problem.id for problem in lesson.problems()]) for lesson in pack.lessons
            if not isinstance(lesson, str) and lesson.problems()]


def write_exports(folder: Path, learners: int, answers: int, seed: int) -> int:
    lessons = course_lessons()
    problems = [(lesson, problem) for lesson, ids in lessons for problem in ids]
    encode = json.JSONEncoder(ensure_ascii=False).encode
    start = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
    total_bytes = 0
    for learner in range(learners):
        rng = random.Random(seed * 100_003 + learner)
        skill = rng.uniform(0.3, 0.9)
        path = folder / f"learner-{learner:03d}.json"
        moment = start + timedelta(minutes=rng.randrange(10_000))
        with path.open("w", encoding="utf-8") as handle:
            handle.write('{\n  "format": "backprop-tutor-progress",\n  "format_version": 1,\n'
                         f'  "exported_at": "2026-12-01T12:00:00.000000+00:00",\n  "learner": "Learner {learner}",\n'
                         '  "attempts": [')
            for index in range(answers):
                lesson, problem = problems[min(len(problems) - 1, int(index * len(problems) / answers))] \
                    if rng.random() < 0.8 else rng.choice(problems)
                correct = rng.random() < skill
                verdict = "correct" if correct else rng.choice(["incorrect"] * 8 + ["invalid", "gave-up"])
                moment += timedelta(seconds=rng.randrange(5, 120))
                entry = {"uid": f"{learner}-{index}", "pack_id": "backprop", "pack_version": "1.0.0",
                         "lesson_id": lesson, "problem_id": problem, "variant_seed": rng.randrange(1000),
                         "answer_text": "grad:z1: 42", "verdict": verdict,
                         "diagnosis": rng.choice(DIAGNOSES) if verdict == "incorrect" and rng.random() < 0.7 else None,
                         "hints_used": rng.randrange(3), "seconds": round(rng.uniform(2, 90), 3),
                         "answered_at": moment.isoformat(timespec="microseconds")}
                handle.write((",\n    " if index else "\n    ") + encode(entry))
            handle.write('\n  ],\n  "review_cards": [],\n  "review_log": []\n}\n')
        total_bytes += path.stat().st_size
    return total_bytes


CHILD = r"""
import resource, sys, time
from pathlib import Path
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
from tutor.progress.class_report import Lesson, class_report
from tutor.packs.loader import discover_packs
pack = discover_packs(()).get("backprop")
lessons = [Lesson("backprop", lesson.id, lesson.title, tuple(p.id for p in lesson.problems()))
           for lesson in pack.lessons if not isinstance(lesson, str)]
loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
paths = sorted(Path(sys.argv[1]).glob("*.json"))
started = time.perf_counter()
report = class_report(paths, lessons)
with open(Path(sys.argv[1]) / "gradebook.csv", "w", newline="") as handle:
    report.write_csv(handle)
elapsed = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(f"{elapsed:.2f} {loaded / 1024:.0f} {peak / 1024:.0f} {len(report.learners)} {len(report.problems)} "
      f"{len(report.rules)} {len(report.skipped)} {report.rules[0].diagnosis} {report.rules[0].share:.2f}")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--learners", type=int, default=300)
    parser.add_argument("--answers", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        size = write_exports(Path(folder), args.learners, args.answers, args.seed)
        print(f"wrote {args.learners} exports x {args.answers} answers ({size / 1e6:.0f} MB) "
              f"in {time.perf_counter() - started:.1f} s")
        result = subprocess.run([sys.executable, "-c", CHILD, folder], capture_output=True, text=True, check=True)
        seconds, loaded, peak, learners, problems, rules, skipped, top, share = result.stdout.split()
        print(f"class report: {seconds} s for {learners} learners, {problems} problems, {rules} rules "
              f"({skipped} skipped); top rule {top} at {float(share):.0%} of learners")
        print(f"peak RSS {peak} MB (the process held {loaded} MB before the report: Python, pydantic, the packs)")


if __name__ == "__main__":
    main()
