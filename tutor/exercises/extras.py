"""Checks that are not graphs: clipping, the relative error of a gradient check, XOR training."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tutor.exercises.catalog import DEFAULT_XOR_TARGET, Exercise
from tutor.exercises.harness import run_in_child
from tutor.exercises.report import CheckResult, Report, child_problem, stopped_report

# A case: its name, the task sent to the child, and a judge that returns a message when the result is wrong.
Case = tuple[str, dict[str, Any], Callable[[dict[str, Any]], str | None]]

XOR_TARGET_LOSS, XOR_TIMEOUT = DEFAULT_XOR_TARGET  # a pack's `checks: target:` may change them


def check_extras(exercise: Exercise, path: Path, timeout: float,
                 on_check: Callable[[CheckResult, int, int], None] | None = None) -> Report:
    cases = _cases(exercise)
    limit = exercise.xor_target[1] if "xor" in exercise.extra else timeout
    judged: dict[int, CheckResult] = {}

    def judge(index: int, result: dict[str, Any]) -> None:
        judged[index] = _judge(cases[index], result)
        if on_check is not None:
            on_check(judged[index], index, len(cases))

    answer = run_in_child(path, [task for _, task, _ in cases], limit, judge)
    problem = child_problem(answer, limit)
    if problem:
        return stopped_report(problem, judged, [name for name, _, _ in cases])
    checks = [judged.get(index) or _judge(case, result)
              for index, (case, result) in enumerate(zip(cases, answer.results))]
    failed = [check for check in checks if not check.passed]
    if not failed:
        return Report(True, checks, None, f"All {len(checks)} checks pass.")
    return Report(False, checks, f"{exercise.id}-wrong", failed[0].message)


def _judge(case: Case, result: dict[str, Any]) -> CheckResult:
    name, _, judge = case
    if "error" in result:
        return CheckResult(name, False, "Your code raised an error:\n" + result["error"])
    try:
        message = judge(result["ok"])
    except (TypeError, KeyError, ValueError) as error:  # a result of the wrong shape is a wrong answer
        message = f"your function's result could not be read ({error})"
    return CheckResult(name, message is None, message or "correct")


def _close(a: float | None, b: float) -> bool:
    return a is not None and abs(a - b) <= 1e-9 * max(1.0, abs(b))


def _cases(exercise: Exercise) -> list[Case]:
    cases: list[Case] = []
    if "clip" in exercise.extra:
        grads = [3.0, -4.0, 0.5]
        clipped = [1.0, -1.0, 0.5]
        norm = math.sqrt(sum(g * g for g in grads))
        scaled = [g * 2.0 / norm for g in grads]
        cases.append(("clip_by_value", {"kind": "clip", "function": "clip_by_value", "data": [0, 0, 0],
                                        "grads": grads, "limit": 1.0},
                      lambda r: None if all(map(_close, r["grads"], clipped)) else
                      f"each grad should be clamped into [-1, 1]: expected {clipped}, got {r['grads']}"))
        cases.append(("clip_by_global_norm", {"kind": "clip", "function": "clip_by_global_norm",
                                              "data": [0, 0, 0], "grads": grads, "limit": 2.0},
                      lambda r: (None if _close(r["returned"], norm) and all(map(_close, r["grads"], scaled)) else
                                 f"scale every grad by max_norm / norm when the norm is larger (direction kept) "
                                 f"and return the norm before clipping ({norm:g}); got grads {r['grads']}, "
                                 f"returned {r['returned']}")))
        cases.append(("clip_by_global_norm below the limit", {"kind": "clip", "function": "clip_by_global_norm",
                                                              "data": [0, 0, 0], "grads": grads, "limit": 10.0},
                      lambda r: None if all(map(_close, r["grads"], grads)) else
                      "gradients whose norm is below max_norm must be left unchanged"))
    if "relative_error" in exercise.extra:
        for analytic, numeric in ((1.0, 1.0), (2.0, 2.2), (0.0, 1e-9), (0.0, 0.0), (-3.0, 3.0)):
            denominator = max(abs(analytic), abs(numeric), 1e-12)
            expected = abs(analytic - numeric) / denominator
            cases.append((f"relative_error({analytic}, {numeric})",
                          {"kind": "relative_error", "function": "relative_error", "args": [analytic, numeric]},
                          _relative_error_judge(expected)))
    if "xor" in exercise.extra:
        target = exercise.xor_target[0]
        cases.append(("train_xor", {"kind": "xor", "function": "train_xor"},
                      lambda r: None if r["returned"] < target else
                      f"the final loss {r['returned']:.4g} is not below {target:g}"))
    return cases


def _relative_error_judge(expected: float) -> Callable[[dict[str, Any]], str | None]:
    # A function per case binds this case's expected value (a bare lambda in the loop would see the last one).
    def judge(result: dict[str, Any]) -> str | None:
        if _close(result["returned"], expected):
            return None
        return f"|a - n| / max(|a|, |n|, 1e-12) should be {expected:g}, got {result['returned']}"

    return judge
