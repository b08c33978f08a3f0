"""Check a learner's file against the engine and name the bug.

Every check program (fixed ones, then random ones from small to large) runs once in the child
with the learner's ``Value``; the parent runs the same op list through :mod:`tutor.engine.value`
and compares each value and input gradient. The smallest failing program is shrunk further, and
the learner's numbers are matched against every mutant engine (:mod:`tutor.exercises.mutants`).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from tutor.engine import EngineDomainError, Value
from tutor.exercises.catalog import DEFAULT_RANDOM_SIZES, DEFAULT_TOLERANCE, EXERCISES, Exercise
from tutor.exercises.extras import check_extras
from tutor.exercises.harness import run_in_child
from tutor.exercises.mutants import MUTATIONS, MUTATIONS_BY_ID, run_rows
from tutor.exercises.programs import CheckProgram, program_ops, random_program, smaller_programs
from tutor.exercises.report import CheckResult, Report, child_problem, stopped_report

TOLERANCE = DEFAULT_TOLERANCE[0]
RANDOM_SIZES = DEFAULT_RANDOM_SIZES
Tolerance = tuple[float, float]  # (rel, abs)


UNDIAGNOSED = "wrong-gradient"
RUNTIME_ERROR = "runtime-error"  # the file did not load, or raised on every program it ran


def diagnosis_ids() -> tuple[str, ...]:
    """Every diagnosis id a check can report: a mutant's, the two of the checker's own, one per non-graph exercise."""
    extra = tuple(f"{exercise.id}-wrong" for exercise in EXERCISES.values() if exercise.extra)
    return (*(mutation.id for mutation in MUTATIONS), UNDIAGNOSED, RUNTIME_ERROR, *extra)


def reference(rows: list[list]) -> dict | None:
    """The tutor engine's values and input gradients, or None when the program is undefined there."""
    slots: list = []
    try:
        for row in rows:
            op = row[0]
            if op == "input":
                slots.append(Value(row[2]))
            elif op == "const":
                slots.append(row[1])
            elif op in ("add", "sub", "mul", "div"):
                a, b = slots[row[1]], slots[row[2]]
                slots.append(a + b if op == "add" else a - b if op == "sub" else a * b if op == "mul" else a / b)
            elif op == "pow":
                slots.append(slots[row[1]] ** row[2])
            elif op == "neg":
                slots.append(-slots[row[1]])
            else:
                slots.append(getattr(slots[row[1]], op)())
            if op != "const" and not isinstance(slots[-1], Value):
                return None  # only constants went in: nothing of the learner's class to check
    except (AttributeError, EngineDomainError, ZeroDivisionError, OverflowError):
        return None
    slots[-1].backward()
    values = [None if row[0] == "const" else slot.data for row, slot in zip(rows, slots)]
    grads = {row[1]: slot.grad for row, slot in zip(rows, slots) if row[0] == "input"}
    if not all(math.isfinite(v) for v in [*(v for v in values if v is not None), *grads.values()]):
        return None
    return {"values": values, "grads": grads}


def _close(a: object, b: float, tolerance: Tolerance = DEFAULT_TOLERANCE) -> bool:
    rel, absolute = tolerance
    return isinstance(a, (int, float)) and abs(a - b) <= max(absolute, rel * abs(b))


def _agrees(learner: dict, expected: dict, tolerance: Tolerance = DEFAULT_TOLERANCE) -> bool:
    values_ok = all(want is None or _close(got, want, tolerance)
                    for got, want in zip(learner["values"], expected["values"]))
    return values_ok and all(_close(learner["grads"].get(k), v, tolerance) for k, v in expected["grads"].items())


def _programs_for(exercise: Exercise, seed: int) -> list[CheckProgram]:
    programs = [CheckProgram(text, {k: float(v) for k, v in inputs.items()}) for text, inputs in exercise.programs]
    rng = random.Random(seed)
    for size in exercise.random_sizes:
        for _ in range(20):  # skip random programs the engine cannot evaluate (overflow, log of <= 0)
            candidate = random_program(rng, exercise.ops, size, exercise.random_range)
            if program_ops(candidate.text, candidate.inputs) <= set(exercise.ops) \
                    and reference(candidate.rows()) is not None:
                programs.append(candidate)
                break
    return programs


CheckCallback = Callable[[CheckResult, int, int], None]


def _name(program: CheckProgram) -> str:
    return program.text.replace("\n", "; ")


def check_file(exercise: str | Exercise, path: str | Path, seed: int = 17, timeout: float = 10.0,
               on_check: CheckCallback | None = None) -> Report:
    """Check the learner's file; ``on_check(result, index, total)`` as each check finishes, in order.

    ``exercise`` is a built-in exercise's id or an :class:`Exercise` (a lesson pack's ``checks:``
    merged with the built-in one it names): both take this one path.
    """
    if isinstance(exercise, str):
        exercise = EXERCISES[exercise]
    if exercise.extra:
        return check_extras(exercise, Path(path), timeout, on_check)
    tolerance = exercise.tolerance
    programs = _programs_for(exercise, seed)
    if not programs:
        return Report(True, [], None, "This exercise has no graph checks.")
    judged: dict[int, CheckResult] = {}

    def judge(index: int, result: dict) -> None:
        judged[index] = _judge(programs[index], result, tolerance)
        if on_check is not None:
            on_check(judged[index], index, len(programs))

    answer = run_in_child(Path(path), [{"kind": "graph", "rows": p.rows()} for p in programs], timeout, judge)
    problem = child_problem(answer, timeout)
    if problem:
        return stopped_report(problem, judged, [_name(program) for program in programs])
    checks: list[CheckResult] = []
    tried: list[tuple[CheckProgram, dict]] = []
    failures: list[tuple[CheckProgram, dict]] = []
    for index, (program, result) in enumerate(zip(programs, answer.results)):
        check = judged.get(index) or _judge(program, result, tolerance)
        checks.append(check)
        if "ok" in result:
            tried.append((program, result["ok"]))
            if not check.passed:
                failures.append((program, result["ok"]))
    errors = [check for check in checks if not check.passed and check.message.startswith("Your code raised")]
    if errors and not failures:
        return Report(False, checks, RUNTIME_ERROR, errors[0].message)
    if not failures:
        return Report(True, checks, None, f"All {len(checks)} checks pass: values and gradients match the engine.")
    smallest, learner = min(failures, key=lambda item: len(item[0].rows()))
    within = set(exercise.ops) | {op for text, at in exercise.programs for op in program_ops(text, at)}
    smallest, learner, more = _shrink(Path(path), smallest, learner, timeout, tolerance=tolerance, within=within)
    tried += more
    diagnosis = _diagnose(tried, tolerance, tuple(within))
    smallest, learner = _showing_the_op(Path(path), diagnosis, smallest, learner, tried, timeout, tolerance, within)
    expected = reference(smallest.rows())
    assert expected is not None  # only programs the engine can evaluate are ever counted as failures
    message = _explain(diagnosis, smallest, learner, expected, tolerance)
    return Report(False, checks, diagnosis, message, _drawing(smallest, learner, expected, tolerance))


def _judge(program: CheckProgram, result: dict, tolerance: Tolerance = DEFAULT_TOLERANCE) -> CheckResult:
    """One check: the learner's answer to one program against the engine's."""
    name = _name(program)
    if "error" in result:
        return CheckResult(name, False, "Your code raised an error:\n" + result["error"])
    expected = reference(program.rows())
    learner = result["ok"]
    if expected is None or _agrees(learner, expected, tolerance):
        return CheckResult(name, True, "values and gradients match the engine")
    return CheckResult(name, False, _difference(learner, expected, tolerance))


def _difference(learner: dict, expected: dict, tolerance: Tolerance = DEFAULT_TOLERANCE) -> str:
    for name, grad in expected["grads"].items():
        if not _close(learner["grads"].get(name), grad, tolerance):
            return f"d L/d {name}: yours {learner['grads'].get(name)}, engine {grad:.6g}"
    return "a forward value differs from the engine's"


def _uses(program: CheckProgram, op: str) -> bool:
    return any(row[0] == op for row in program.rows())


def _showing_the_op(path: Path, diagnosis: str, smallest: CheckProgram, learner: dict,
                    tried: list[tuple[CheckProgram, dict]], timeout: float,
                    tolerance: Tolerance = DEFAULT_TOLERANCE,
                    within: set[str] | None = None) -> tuple[CheckProgram, dict]:
    """The smallest failing program that uses the diagnosed op itself.

    A learner's ``a - b`` built as ``a + b*-1`` fails through their ``__mul__``: the bug is named
    right, but the graph drawn would be a subtraction. Draw a failing program with a product instead.
    """
    op = MUTATIONS_BY_ID[diagnosis].op if diagnosis in MUTATIONS_BY_ID else None
    if op is None or _uses(smallest, op):
        return smallest, learner
    failing = [(program, answer) for program, answer in tried if _uses(program, op)
               and (expected := reference(program.rows())) is not None and not _agrees(answer, expected, tolerance)]
    if not failing:
        return smallest, learner
    program, answer = min(failing, key=lambda item: len(item[0].rows()))
    program, answer, _ = _shrink(path, program, answer, timeout, keep=lambda c: _uses(c, op), tolerance=tolerance,
                                 within=within)
    return program, answer


def _shrink(
    path: Path, program: CheckProgram, learner: dict, timeout: float,
    keep: Callable[[CheckProgram], bool] = lambda candidate: True, tolerance: Tolerance = DEFAULT_TOLERANCE,
    within: set[str] | None = None,
) -> tuple[CheckProgram, dict, list[tuple[CheckProgram, dict]]]:
    """Smaller failing programs, each kept by ``keep`` and using only the ops ``within`` (all when None)."""
    tried: list[tuple[CheckProgram, dict]] = []
    for _ in range(12):
        # Keep only smaller programs the engine can evaluate, each with the engine's answer.
        references = [(c, reference(c.rows())) for c in smaller_programs(program)
                      if keep(c) and (within is None or program_ops(c.text, c.inputs) <= within)]
        judged = [(c, expected) for c, expected in references if expected is not None]
        candidates = [c for c, _ in judged]
        if not candidates:
            break
        answer = run_in_child(path, [{"kind": "graph", "rows": c.rows()} for c in candidates], timeout)
        if child_problem(answer, timeout):
            break
        for candidate, result in zip(candidates, answer.results):
            if "ok" in result:
                tried.append((candidate, result["ok"]))
        smaller = next(((c, r["ok"]) for (c, expected), r in zip(judged, answer.results)
                        if "ok" in r and not _agrees(r["ok"], expected, tolerance)), None)
        if smaller is None:
            break
        program, learner = smaller
    return program, learner, tried


def _diagnose(tried: list[tuple[CheckProgram, dict]], tolerance: Tolerance = DEFAULT_TOLERANCE,
              ops: tuple[str, ...] | None = None) -> str:
    """The first mutant that reproduces every answer; with ``ops``, the rules of those ops are tried first.

    A learner's ``a / b`` written as ``a * b**-1`` with the power rule's ``n`` missing gives the same
    numbers as a sign error in division; checks that test only ``div`` name the division rule.
    """
    order = MUTATIONS if ops is None else sorted(MUTATIONS, key=lambda m: m.op is not None and m.op not in ops)
    for mutation in order:
        for composite in (False, True):
            if all(_agrees(learner, _mutant_or_none(program, mutation.id, composite), tolerance)
                   for program, learner in tried):
                return mutation.id
    return UNDIAGNOSED


def _mutant_or_none(program: CheckProgram, mutation: str, composite: bool) -> dict:
    try:
        return run_rows(program.rows(), mutation, composite)
    except (ArithmeticError, ValueError):
        return {"values": [], "grads": {"": math.nan}}


def _explain(diagnosis: str, program: CheckProgram, learner: dict, expected: dict,
             tolerance: Tolerance = DEFAULT_TOLERANCE) -> str:
    where = f"Smallest failing program: {program.text}  with " + ", ".join(
        f"{k} = {v:g}" for k, v in program.inputs.items())
    wrong = _difference(learner, expected, tolerance)
    if diagnosis in MUTATIONS_BY_ID:
        mutation = MUTATIONS_BY_ID[diagnosis]
        subject = f"The backward rule of {mutation.op}" if mutation.op else "Your backward() pass"
        return f"{subject} looks wrong: {mutation.rule}.\n{where}\n{wrong}"
    return f"A value or gradient differs from the engine's.\n{where}\n{wrong}"


def _drawing(program: CheckProgram, learner: dict, expected: dict, tolerance: Tolerance = DEFAULT_TOLERANCE) -> str:
    """The smallest failing graph drawn by the tutor's renderer, the wrong input flagged."""
    try:
        # Deferred: building and drawing a graph imports sympy and rich, needed only for a failing file.
        from tutor.graph import build_graph
        from tutor.render import FrameOptions, finished_state, render_frame

        graph = build_graph(program.text, program.inputs)
        wrong = {name for name, grad in expected["grads"].items()
                 if not _close(learner["grads"].get(name), grad, tolerance)}
        captions = [f"∂L/∂{name}: yours {learner['grads'].get(name)}, right {expected['grads'][name]:.6g}"
                    for name in sorted(wrong)]
        state = replace(finished_state(graph), flagged_nodes=frozenset(w for w in wrong if w in graph.nodes),
                        caption="; ".join(captions))
        return render_frame(graph, state, FrameOptions(max_width=100, color=False)).plain
    except Exception as error:  # a drawing is a help, never a reason to fail the check
        return f"(graph not drawn: {error})"
