"""Deep validation of lesson packs: everything `backprop-tutor validate` checks beyond structure.

For every problem and every variant it renders (default: seeds 0..49, plus any seed a test
names), it parses the program and the answers, builds the graph (engine and sympy must agree),
asks the checker for every expected answer, makes sure no author mistake and no built-in
diagnosis gives the right answer, and grades every ``tests`` entry the way a learner's answer is
graded. An error that shows up in many variants is reported once, with the first variant that
shows it and how many more do.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tutor.packs.errors import PackError
from tutor.packs.grading import (
    grade_choice_answer,
    grade_numeric_answer,
    grade_request,
    mistakes_for,
    trace_entries,
)
from tutor.packs.loader import LoadedPack, PackCatalog, ProblemRef
from tutor.packs.models import (
    AskProblem,
    ChoiceProblem,
    CodeProblem,
    GraphProblemBase,
    LabProblem,
    LayerProblem,
    NumericProblem,
    TraceProblem,
    allowed_ids,
)
from tutor.packs.variants import RenderedProblem, VariantError, draw_params, format_value, render_problem

DEFAULT_SEED_COUNT = 50
# Below this many problems to check, forking a second process costs more than it saves.
PARALLEL_MIN_PROBLEMS = 40
CHILD_SILENCE_LIMIT = 120.0  # seconds a forked validate child may go without a word before it is ended
UNCHECKED_RETRIES = 2


@dataclass
class PackReport:
    pack: LoadedPack
    errors: list[PackError]
    only_file: Path | None = None  # a lesson file validated inside its pack
    cached: bool = False  # the result came from the validation cache

    @property
    def problem_count(self) -> int:
        if self.only_file is not None:
            return lesson_file_problem_count(self.pack, self.only_file)
        return self.pack.problem_count

    @property
    def clean(self) -> bool:
        return not any(error.severity == "error" for error in self.errors)


@dataclass
class ValidationReport:
    packs: list[PackReport] = field(default_factory=list)

    @property
    def error_count(self) -> int:
        return sum(len(report.errors) for report in self.packs)

    @property
    def clean(self) -> bool:
        return all(report.clean for report in self.packs)

    def summary(self) -> str:
        failing = sum(1 for report in self.packs if not report.clean)
        problems = sum(report.problem_count for report in self.packs)
        if not self.packs:
            return "no lesson packs found"
        if all(report.only_file is not None for report in self.packs):
            what = _plural(len(self.packs), "lesson file")
        else:
            what = _plural(len(self.packs), "pack")
        if failing == 0:
            return f"{what} clean ({_plural(problems, 'problem')}) — no errors"
        return f"{_plural(self.error_count, 'error')} in {failing} of {what}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def validate_catalog(catalog: PackCatalog, seed_count: int = DEFAULT_SEED_COUNT,
                     strict: bool = False, *, cache: Any = None) -> ValidationReport:
    return validate_targets([(pack, None) for pack in catalog.packs], seed_count, strict, cache=cache)


def validate_targets(targets: Iterable[tuple[LoadedPack, Path | None]], seed_count: int = DEFAULT_SEED_COUNT,
                     strict: bool = False, *, cache: Any = None, jobs: int = 1) -> ValidationReport:
    """Validate each (pack, lesson file or None); ``cache`` (a :class:`tutor.packs.cache.ValidationCache`)
    returns an unchanged pack's result without checking it again."""
    report = ValidationReport()
    spare: list[bool] = []  # the algebra worker's keep_spare, once validate has turned it off
    try:
        _validate_each(targets, seed_count, strict, cache, jobs, report, spare)
    finally:
        if spare:
            from tutor.check.worker import algebra_worker

            algebra_worker().keep_spare = spare[0]
    return report


def _validate_each(targets: Iterable[tuple[LoadedPack, Path | None]], seed_count: int, strict: bool, cache: Any,
                   jobs: int, report: ValidationReport, spare: list[bool]) -> None:
    from tutor.packs.cache import cache_key

    warmed = False
    for pack, only_file in targets:
        key = None
        if cache is not None:
            options = {"seeds": seed_count, "strict": strict, "origin": pack.origin,
                       "only": None if only_file is None else str(_resolved(only_file))}
            key = cache_key(pack.path, options)
            cached = cache.load(key)
            if cached is not None:
                # Load errors are never cached: one may depend on other packs (an id used twice).
                report.packs.append(PackReport(pack, _sorted_errors(_scoped(pack.errors, only_file) + cached),
                                               only_file, cached=True))
                continue
        if not warmed:  # (only now: importing tutor.check is heavy, and a cached pack needs none of it)
            from tutor.check.worker import algebra_worker, warm_up

            # No spare algebra process: validate asks for few formula checks, and a spare importing sympy took
            # CPU from the checks on a two-core machine. After a job is killed the next one waits for a fresh
            # process, which does not count against its time budget.
            worker = algebra_worker()
            spare.append(worker.keep_spare)
            worker.keep_spare = False
            warm_up()  # formula answers need the algebra worker: it starts now, and is waited for only
            warmed = True  # before the first formula ask (_wait_for_algebra), while other problems are checked
        errors = validate_pack(pack, seed_count, strict, only_file, problem_cache=cache, jobs=jobs)
        if cache is not None and not any(_depends_on_the_moment(error) for error in errors):
            load_errors = set(pack.errors)
            cache.store(key, [error for error in errors if error not in load_errors])
        report.packs.append(PackReport(pack, errors, only_file))


def _depends_on_the_moment(error: PackError) -> bool:
    """An error a busy machine can cause (the algebra out of time) or an internal one: never cached."""
    return "but is unchecked" in error.message or "internal error" in error.message


def validate_pack(pack: LoadedPack, seed_count: int = DEFAULT_SEED_COUNT, strict: bool = False,
                  only_file: Path | None = None, problem_cache: Any = None, jobs: int = 1) -> list[PackError]:
    """The pack's load errors plus every deep error of the lessons that loaded (and, if strict, style rules).

    ``only_file``: check only the problems written in that file of the pack (a lesson file), and report only
    the errors located in it — the lesson is read inside its pack, so ids and references are the pack's.
    ``problem_cache`` (a ValidationCache): each problem's deep errors are kept by the problem's own text, so
    after an edit only the problems that changed are checked again. ``jobs`` > 1 shares the problems of a
    big pack among that many processes (see _validate_in_parallel); the errors are the same."""
    wanted = None if only_file is None else _resolved(only_file)
    texts: dict[Path, list[str] | None] = {}

    def in_scope(path: Path) -> bool:
        return wanted is None or _resolved(path) == wanted

    errors = _scoped(pack.errors, only_file)
    if strict:
        errors.extend(error for error in strict_errors(pack) if in_scope(error.file))
    # Formula asks last: they wait for the algebra worker (a process importing sympy, started by
    # validate_targets), which gets ready on the other core meanwhile instead of holding up the fifth problem
    # of the course. The errors are sorted by place below, so the order they are found in does not show.
    refs = [ref for ref in sorted(pack.problems(), key=_needs_algebra)
            if in_scope(ref.source.path) and (str(ref.source.path), ref.path) not in pack.problems_with_errors]
    with _long_lived_objects_frozen():
        if jobs > 1 and len(refs) >= PARALLEL_MIN_PROBLEMS and hasattr(os, "fork"):
            errors.extend(_validate_in_parallel(refs, seed_count, problem_cache, texts, jobs))
        else:
            for ref in refs:
                errors.extend(_validate_problem_cached(ref, seed_count, problem_cache, texts))
    return _sorted_errors(errors)


@contextlib.contextmanager
def _long_lived_objects_frozen() -> Iterator[None]:
    """While the problems are checked, the objects that exist already (the loaded packs, sympy, the checker's
    modules: some 70,000) are left out of the garbage collector's full passes, which the checks' millions of
    short-lived numbers set off again and again: 11% of the checking's CPU (1.24 -> 1.10 s for the built-in
    course in one process). A forked child inherits them frozen, so it does not copy their pages either
    (gc.freeze exists for that). They are unfrozen after. A process that froze objects of its own manages the
    collector itself (the test suite does): then nothing is changed."""
    import gc

    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _validate_in_parallel(refs: list[ProblemRef], seed_count: int, cache: Any, texts: dict[Path, list[str] | None],
                          jobs: int) -> list[PackError]:
    """The problems' deep errors, the work shared with ``jobs - 1`` forked copies of this process.

    A child inherits the loaded pack and the imported checker (nothing is imported or parsed again).
    The problems that need no algebra worker are handed out one at a time through a pipe holding their
    numbers, so a process that is done takes the next and none sits idle while another still has a
    queue; the formula asks stay here (the worker's pipe belongs to this process), checked as soon as the
    worker is ready: until then this process takes from the queue as well. A child sends back the numbers it checked and
    their errors as JSON and leaves with os._exit, so no exit handler of ours runs twice. A child that
    fails in any way costs only time: the problems it did not report are checked here.
    """
    import json
    import struct

    shared = [ref for ref in refs if not _needs_algebra(ref)]
    _import_before_forking(shared)
    tokens = b"".join(struct.pack("<I", index) for index in range(len(shared)))
    if len(tokens) > 60000:  # more than a pipe holds without a reader: share them out in turn instead
        return [error for ref in refs for error in _validate_problem_cached(ref, seed_count, cache, texts)]
    queue, filling = os.pipe()
    os.write(filling, tokens)
    os.close(filling)  # once every number is taken, a read returns b"": the queue is empty

    def next_index() -> int | None:
        data = os.read(queue, 4)  # one read of 4 bytes is whole: numbers are written and taken 4 at a time
        return struct.unpack("<I", data)[0] if len(data) == 4 else None

    children: list[tuple[int, int]] = []
    for _ in range(jobs - 1):
        reading, writing = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child
            status = 1
            try:
                os.close(reading)
                done, found = [], []
                while (index := next_index()) is not None:
                    found.extend(_validate_problem_cached(shared[index], seed_count, cache, texts))
                    done.append(index)
                payload = json.dumps({"done": done, "errors": [
                    [str(error.file), error.line, error.column, error.message, error.severity] for error in found]})
                with os.fdopen(writing, "wb") as pipe:
                    pipe.write(payload.encode())
                status = 0
            finally:
                os._exit(status)
        os.close(writing)
        children.append((pid, reading))
    from tutor.check.worker import is_ready  # (tutor.check is imported by now)

    errors: list[PackError] = []
    checked: set[int] = set()
    formula_asks = [ref for ref in refs if _needs_algebra(ref)]
    # Until the algebra process is ready (it imports sympy: 1.5 s at load 6, when this process waited for it
    # with nothing to do), this process takes problems from the queue too; then the formula asks, then the rest.
    while formula_asks and not is_ready() and (index := next_index()) is not None:
        errors.extend(_validate_problem_cached(shared[index], seed_count, cache, texts))
        checked.add(index)
    errors += [error for ref in formula_asks for error in _validate_problem_cached(ref, seed_count, cache, texts)]
    while (index := next_index()) is not None:
        errors.extend(_validate_problem_cached(shared[index], seed_count, cache, texts))
        checked.add(index)
    os.close(queue)
    for pid, reading in children:
        sent, status = _child_reply(pid, reading)
        try:
            if status != 0:
                raise ValueError(f"exit status {status}")
            reply = json.loads(sent)
            found = [PackError(Path(file), int(line), int(column), str(message),
                               "warning" if severity == "warning" else "error")
                     for file, line, column, message, severity in reply["errors"]]
            reported = {int(index) for index in reply["done"]}
        except (ValueError, TypeError, KeyError):
            continue  # its problems are among those not reported, checked below
        errors.extend(found)
        checked |= reported
    for index, ref in enumerate(shared):
        if index not in checked:
            errors.extend(_validate_problem_cached(ref, seed_count, cache, texts))
    return errors


def _import_before_forking(refs: list[ProblemRef]) -> None:
    """Import once, before the fork, what the checks of these problems import when first needed: each process
    imported it again after the fork (the labs and numpy: 0.2 s of CPU, seen in the forked child)."""
    import importlib

    kinds = {type(ref.problem) for ref in refs}
    wanted = ["tutor.engine.forward_mode"]  # the cross-check of every graph built without sympy
    if any(issubclass(kind, GraphProblemBase) for kind in kinds):
        # sympy imports these the first time it adds (Add.flatten), takes a log (log.eval) or compares (is_eq), that
        # is in each process's first graph: 0.1 s of CPU in every child, seen as modules imported after the fork.
        wanted += ["sympy.tensor.tensor", "sympy.sets.setexpr", "sympy.assumptions.wrapper"]
    if LabProblem in kinds:
        wanted += ["tutor.labs", "numpy.random"]  # numpy.random: the NaN hunt's reset, imported on first use
    if LayerProblem in kinds:
        wanted += ["tutor.check.matrix", "tutor.graph.layers", "tutor.expr.matrix"]
    if CodeProblem in kinds:
        wanted += ["tutor.exercises.catalog", "tutor.exercises.checking", "tutor.exercises.programs"]
    for name in wanted:
        importlib.import_module(name)


def _child_reply(pid: int, reading: int) -> tuple[bytes, int]:
    """What a forked child sent and its exit status; a child silent for CHILD_SILENCE_LIMIT seconds is ended.

    A child is a copy of a process that may have had other threads; should it ever wait on a lock one
    of them held at the fork, validate must not wait with it: its problems are checked here instead.
    """
    import select
    import signal

    chunks: list[bytes] = []
    with os.fdopen(reading, "rb", buffering=0) as pipe:
        while True:
            ready, _, _ = select.select([pipe], [], [], CHILD_SILENCE_LIMIT)
            if not ready:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                return b"", -1
            chunk = pipe.read(65536)
            if not chunk:
                break
            chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    return b"".join(chunks), status


def _needs_algebra(ref: ProblemRef) -> bool:
    return isinstance(ref.problem, AskProblem) and ref.problem.ask.startswith("derivative")


def _validate_problem_cached(ref: ProblemRef, seed_count: int, cache: Any,
                             texts: dict[Path, list[str] | None]) -> list[PackError]:
    if cache is None:
        return validate_problem(ref, seed_count)
    located = _problem_key(ref, seed_count, texts)
    if located is None:
        return validate_problem(ref, seed_count)
    key, start = located
    cached = cache.load(key)
    if cached is not None:  # lines are kept relative to the problem's first line: it may have moved
        return [PackError(error.file, error.line + start, error.column, error.message, error.severity)
                for error in cached]
    found = validate_problem(ref, seed_count)
    if not any(_depends_on_the_moment(error) for error in found):
        cache.store(key, [PackError(error.file, error.line - start, error.column, error.message, error.severity)
                          for error in found])
    return found


def _problem_key(ref: ProblemRef, seed_count: int, texts: dict[Path, list[str] | None]) -> tuple[str, int] | None:
    """A key for one problem's deep errors: its text in the file (from its first line to the next step's),
    its parsed model, the file, the seeds and the tutor's code; and the problem's first line."""
    import hashlib
    import json

    from tutor.packs.cache import code_fingerprint

    path = ref.source.path
    if path not in texts:
        try:
            texts[path] = path.read_text(encoding="utf-8-sig").split("\n")
        except (OSError, ValueError):
            texts[path] = None
    lines = texts[path]
    if lines is None:
        return None
    positions = ref.source.positions
    start = positions.of_value(ref.path).line
    *prefix, _, index = ref.path
    following = tuple(prefix) + ("steps", index + 1)
    end = positions.values.get(following)
    region = "\n".join(lines[start - 1: (end.line - 1) if end is not None else len(lines)])
    digest = hashlib.sha256(json.dumps({
        "problem": 1, "code": code_fingerprint(), "seeds": seed_count, "file": str(_resolved(path)),
        "model": ref.problem.model_dump(mode="json", by_alias=True), "text": region,
    }, sort_keys=True, default=str).encode())
    return digest.hexdigest(), start


def _sorted_errors(errors: Iterable[PackError]) -> list[PackError]:
    unique = list(dict.fromkeys(errors))
    return sorted(unique, key=lambda error: (str(error.file), error.line, error.column, error.message))


def _scoped(errors: Iterable[PackError], only_file: Path | None) -> list[PackError]:
    if only_file is None:
        return list(errors)
    wanted = _resolved(only_file)
    return [error for error in errors if _resolved(error.file) == wanted]


def _resolved(path: Path) -> Path:
    try:
        return Path(path).resolve()
    except (OSError, ValueError):
        return Path(path)


def lesson_file_problem_count(pack: LoadedPack, lesson_file: Path) -> int:
    wanted = _resolved(lesson_file)
    return sum(1 for ref in pack.problems() if _resolved(ref.source.path) == wanted)


def pack_has_file(pack: LoadedPack, lesson_file: Path) -> bool:
    """True when ``lesson_file`` is one of the pack's lesson files (loaded, or reported as broken)."""
    wanted = _resolved(lesson_file)
    return any(_resolved(source.source.path) == wanted for source in pack.lesson_sources) or \
        any(_resolved(error.file) == wanted for error in pack.errors)


def strict_errors(pack: LoadedPack) -> list[PackError]:
    """The built-in curriculum's house rules: hints, an explanation, and tests that include a diagnosed mistake."""
    errors = []
    for ref in pack.problems():
        problem = ref.problem
        where = ref.path + ("id",)
        if not problem.hints:
            errors.append(ref.source.error_at(where, "no hints (--strict wants at least one)"))
        if not problem.explanation:
            errors.append(ref.source.error_at(where, "no explanation (--strict wants one)"))
        if isinstance(problem, (TraceProblem, AskProblem, LayerProblem)):
            diagnosed = [test for test in problem.tests if test.verdict == "incorrect" and test.diagnosis]
            if len(problem.tests) < 2 or not diagnosed:
                errors.append(ref.source.error_at(
                    where, "--strict wants at least two tests, one of them a wrong answer with its diagnosis"))
    return errors


_algebra_ready = False


def _wait_for_algebra() -> None:
    """Formula answers are confirmed by the algebra worker: one still starting would make a test 'unchecked'."""
    global _algebra_ready
    if not _algebra_ready:
        from tutor.check.worker import wait_until_ready, warm_up

        warm_up()
        _algebra_ready = wait_until_ready()


def validate_problem(ref: ProblemRef, seed_count: int = DEFAULT_SEED_COUNT) -> list[PackError]:
    if isinstance(ref.problem, LabProblem):
        return _validate_lab_settings(ref)
    if isinstance(ref.problem, CodeProblem):
        return _validate_code_checks(ref)
    if _needs_algebra(ref):
        _wait_for_algebra()
    validator = _ProblemValidator(ref)
    try:
        validator.run(seed_count)
    except Exception as error:  # noqa: BLE001 - one problem's surprise must not stop the other checks
        validator.seed_label = ""
        validator.report((), "internal", f"internal error while checking this problem "
                                         f"({type(error).__name__}: {error}); please report it")
    return validator.errors()


def _validate_lab_settings(ref: ProblemRef) -> list[PackError]:
    """The lab name is checked by the model; its settings only the lab itself can judge."""
    from tutor.labs import LabSettingsError, create_lab

    problem = ref.problem
    assert isinstance(problem, LabProblem)  # validate_problem sends only lab problems here
    try:
        create_lab(problem.lab, dict(problem.settings or {}))
    except LabSettingsError as error:
        return [ref.source.error_at(ref.path + ("settings",), f"lab '{problem.lab}': {error}")]
    return []


def _validate_code_checks(ref: ProblemRef) -> list[PackError]:
    """A code problem's ``checks:``: each program builds, stays within the ops, and the engine runs it finitely."""
    # Deferred, like the other checks' imports here: only packs with code problems need the exercises.
    from tutor.exercises.catalog import EXERCISES
    from tutor.exercises.checking import reference
    from tutor.exercises.programs import compile_program
    from tutor.expr import ParseError
    from tutor.expr.parser import parse_program
    from tutor.graph.build import MAX_HAND_TRACE_NODES

    problem = ref.problem
    assert isinstance(problem, CodeProblem)  # validate_problem sends only code problems here
    checks = problem.checks
    validator = _ProblemValidator(ref)
    if checks is None:
        return []
    base = EXERCISES[problem.exercise]
    if checks.target is not None and "xor" not in base.extra:
        validator.report(("checks", "target"), "target", f"`target` is for the xor exercise's training; "
                         f"`{problem.exercise}` trains nothing", key=True)
    if base.extra:
        for key in ("ops", "programs", "range", "random", "tolerance"):
            if getattr(checks, key) is not None:
                validator.report(("checks", key), key, f"`{key}` is for graph checks; the exercise "
                                 f"`{problem.exercise}` checks {', '.join(base.extra)} instead", key=True)
        return validator.errors()
    allowed = set(checks.ops if checks.ops is not None else base.ops)
    for index, entry in enumerate(checks.programs or []):
        path = ("checks", "programs", index)
        try:
            parsed = parse_program(entry.program)
        except ParseError as error:
            validator.report((*path, "program"), f"program:{index}", f"cannot read the program: {error.message}",
                             column=error.column, line=error.line)
            continue
        missing = [name for name in parsed.inputs if name not in entry.at]
        unused = [name for name in entry.at if name not in parsed.inputs]
        if missing or unused:
            parts = ([f"gives no value for {', '.join(missing)}"] if missing else []) + \
                ([f"names {', '.join(unused)}, which the program does not use"] if unused else [])
            validator.report((*path, "at"), f"at:{index}", f"`at` {' and '.join(parts)} (the program's inputs: "
                             f"{', '.join(parsed.inputs)})", key=True)
            continue
        try:
            rows = compile_program(entry.program, {name: float(value) for name, value in entry.at.items()})
        except ValueError as error:
            validator.report((*path, "program"), f"program:{index}", f"cannot check this program: {error}")
            continue
        outside = sorted({row[0] for row in rows if row[0] not in ("input", "const")} - allowed)
        if outside:
            where = "`ops`" if checks.ops is not None else f"the exercise `{problem.exercise}`'s ops"
            validator.report((*path, "program"), f"ops:{index}", f"the program uses {', '.join(outside)}, "
                             f"outside {where} ({', '.join(sorted(allowed))})")
            continue
        if len(rows) > MAX_HAND_TRACE_NODES:
            validator.report((*path, "program"), f"size:{index}", f"the program has {len(rows)} nodes; a check "
                             f"program may have at most {MAX_HAND_TRACE_NODES}")
            continue
        if reference(rows) is None:
            validator.report((*path, "program"), f"engine:{index}", "the tutor's engine gives no finite value "
                             f"or gradient for this program at {_inputs_text(dict(entry.at))}")
    exercise = problem.checked_exercise()
    if not exercise.programs and not exercise.random_sizes:
        validator.report(("checks",), "empty", "these checks check nothing: no fixed program is left "
                         "and `random: {count: 0}`", key=True)
    return validator.errors()


@dataclass
class _Finding:
    relative_path: tuple[Any, ...]
    message: str
    seed_label: str
    column: int | None
    line: int
    key: bool
    extra_seeds: int = 0


class _ProblemValidator:
    def __init__(self, ref: ProblemRef) -> None:
        self.ref = ref
        self.problem = ref.problem
        self.findings: dict[tuple[Any, ...], _Finding] = {}
        self.seed_label = ""
        self.symbolic_done = False
        self.unavoidable_found: dict[tuple[str, str], bool] = {}
        self.test_seeds = {test.seed for test in getattr(ref.problem, "tests", []) if getattr(test, "seed", None) is not None}

    # --- reporting -------------------------------------------------------------------------------

    def report(self, relative_path: tuple[Any, ...], site: str, message: str, *, column: int | None = None,
               line: int = 1, key: bool = False, any_variant: bool = False) -> None:
        """Record an error; the same site in another variant only increments a counter (``any_variant``: an
        error that does not depend on the variant, reported once with no seed)."""
        identity = (relative_path, site)
        if identity in self.findings:
            self.findings[identity].extra_seeds += 0 if any_variant else 1
            return
        label = "" if any_variant else self.seed_label
        self.findings[identity] = _Finding(relative_path, message, label, column, line, key)

    def errors(self) -> list[PackError]:
        results = []
        positions = self.ref.source.positions
        for finding in self.findings.values():
            path = self.ref.path + finding.relative_path
            if finding.key:
                position = positions.of_key(path)
            elif finding.column is not None:
                position = positions.inside_string(path, finding.column, finding.line)
            else:
                position = positions.of_value(path)
            message = finding.seed_label + finding.message
            if finding.extra_seeds:
                message += f" (also in {finding.extra_seeds} other variant{'s' if finding.extra_seeds > 1 else ''})"
            results.append(self.ref.source.error_at_position(position, message))
        return results

    def exact_column(self, relative_path: tuple[Any, ...], rendered_text: str, column: int | None) -> int | None:
        """A column inside a field is only meaningful when no placeholder changed the text."""
        original = _value_at(self.problem, relative_path)
        return column if isinstance(original, str) and original == rendered_text else None

    # --- the checks ------------------------------------------------------------------------------

    def seeds(self, seed_count: int) -> list[int]:
        params = getattr(self.problem, "params", None) or {}
        if not params:
            return [0]
        candidates = list(range(seed_count))
        candidates += [test.seed for test in getattr(self.problem, "tests", []) if getattr(test, "seed", None) is not None]
        return list(dict.fromkeys(candidates))

    def run(self, seed_count: int) -> None:
        seen_variants: set[tuple[Any, ...]] = set()
        test_seeds = {getattr(test, "seed", None) for test in getattr(self.problem, "tests", [])}
        for seed in self.seeds(seed_count):
            try:
                values = draw_params(self.problem, seed)
                drawn = tuple(sorted((name, repr(value)) for name, value in values.items()))
                if drawn in seen_variants and seed not in test_seeds:
                    continue  # the same values again: nothing new to learn (and rendering costs)
                rendered = render_problem(self.problem, seed)
            except VariantError as error:
                self.seed_label = f"seed {seed}: " if getattr(self.problem, "params", None) else ""
                self.report(error.field_path, "variant", error.message, column=self.column_of_variant_error(error))
                continue
            variant = tuple(sorted((name, repr(value)) for name, value in rendered.params.items()))
            if variant in seen_variants and seed not in test_seeds:
                continue  # the same values again: nothing new to learn
            seen_variants.add(variant)
            self.seed_label = _seed_label(rendered)
            if isinstance(self.problem, GraphProblemBase):
                self.check_graph_variant(rendered)
            elif isinstance(self.problem, NumericProblem):
                self.check_numeric_variant(rendered)
            elif isinstance(self.problem, ChoiceProblem):
                self.check_choice_variant(rendered)
            elif isinstance(self.problem, LayerProblem):
                self.check_layer_variant(rendered)

    def column_of_variant_error(self, error: VariantError) -> int | None:
        if error.column is None:
            return None
        original = _value_at(self.problem, error.field_path)
        return error.column if isinstance(original, str) and "{" not in original else None

    def check_graph_variant(self, rendered: RenderedProblem) -> None:
        from tutor.check import (
            Problem,
            RequestError,
            coinciding_mistakes,
            expected_answer,
            grade_answer,
            prepare_problem,
        )
        from tutor.expr import ParseError
        from tutor.graph import GraphBuildError, build_graph

        problem = rendered.problem
        assert isinstance(problem, GraphProblemBase)
        # sympy builds (and cross-checks) the graph of the first variant, of every variant a test names, and of
        # every formula ask; the other variants are checked with the exact arithmetic of the checker, itself
        # cross-checked against the engine (Problem), which is what grading numbers uses. That is most of
        # validate's time: sympy costs 10-20 ms per graph.
        symbolic = (not self.symbolic_done or rendered.seed in self.test_seeds
                    or (isinstance(problem, AskProblem) and problem.ask.startswith("derivative")))
        checker = None
        try:
            if symbolic:
                # The checker's own (cached) graph: expected answers, coincidences and tests below reuse it
                # instead of building the same graph with sympy a second time.
                checker = prepare_problem(problem.program, rendered.at)
            else:
                checker = Problem(build_graph(problem.program, rendered.at, symbolic=False))
            graph = checker.graph
        except (RequestError, ValueError, RuntimeError):
            checker = None  # build it again below for the precise message
        try:
            if checker is None:
                graph = build_graph(problem.program, rendered.at)
                checker = Problem(graph)
        except ParseError as error:
            self.report(("program",), "program", f"cannot read the program: {error.message}",
                        column=self.exact_column(("program",), problem.program, error.column), line=error.line)
            return
        except GraphBuildError as error:
            self.report(("program",), "graph", f"cannot build the graph at {_inputs_text(rendered.at)}: {error.message}")
            return
        except (ValueError, RuntimeError) as error:  # GraphConsistencyError: engine and sympy disagree
            self.report(("program",), "consistency", f"the engine and sympy disagree on this graph: {error}")
            return
        self.symbolic_done = self.symbolic_done or symbolic
        asks = self.graph_asks(rendered, graph)
        for ask, ask_path in asks:
            try:
                expected = expected_answer(grade_request(rendered, "0", ask, mistake_ids=[]), checker)
            except RequestError as error:
                self.report(ask_path, f"expected:{ask}", f"the checker cannot compute {ask}: {error.message}")
                continue
            if not self.check_mistake_answers(rendered, ask, graph):
                continue
            try:
                self.check_coincidences(rendered, ask, ask_path, expected,
                                        lambda request: coinciding_mistakes(request, checker))
            except RequestError as error:
                self.report(ask_path, f"coincide:{ask}", f"cannot compare the mistakes for {ask}: {error.message}")
        try:
            self.check_graph_tests(rendered, {ask for ask, _ in asks}, lambda request: grade_answer(
                checker, request.ask, request.answer, request.tolerance, request.mistakes, request.time_budget))
        except RequestError as error:
            self.report(("tests",), "tests", f"cannot grade the tests: {error.message}", key=True)

    def graph_asks(self, rendered: RenderedProblem, graph: Any) -> list[tuple[str, tuple[Any, ...]]]:
        problem = rendered.problem
        if isinstance(problem, AskProblem):
            problem_error = _ask_error(problem.ask, graph)
            if problem_error:
                self.report(("ask",), "ask", problem_error)
                return []
            return [(problem.ask, ("ask",))]
        assert isinstance(problem, TraceProblem)
        node_lists = (("forward", problem.forward, graph.computed_ids, "computed node"),
                      ("backward", problem.backward, graph.order, "node"))
        for list_name, listed, allowed, what in node_lists:
            for index, node in enumerate(listed or []):
                if node not in allowed:
                    from tutor.packs.errors import did_you_mean

                    self.report((list_name, index), f"{list_name}:{node}",
                                f"'{node}' is not a {what} of the graph{did_you_mean(str(node), allowed)} "
                                f"({what}s: {', '.join(allowed)})")
        entries = trace_entries(rendered, graph)
        for group in ("mistakes", "tests"):
            for index, item in enumerate(getattr(problem, group)):
                if item.ask is not None and item.ask not in entries:
                    self.report((group, index, "ask"), f"entry:{group}:{index}",
                                f"{item.ask} is not an entry of this trace (entries: {', '.join(entries)})")
        for ask in problem.entry_hints:
            if ask not in entries:
                self.report(("entry_hints", ask), f"entry_hints:{ask}", _not_an_entry(ask, entries), key=True,
                            any_variant="{" not in getattr(self.problem, "program", "{"))  # else the graph may vary
        location = ("forward",) if problem.forward is not None else ("program",)
        return [(entry, location if entry.startswith("value:") else
                 (("backward",) if problem.backward is not None else ("program",))) for entry in entries]

    def check_mistake_answers(self, rendered: RenderedProblem, ask: str, graph: Any) -> bool:
        """Report mistakes for ``ask`` that cannot be read; True when all of them can."""
        from tutor.expr import ParseError, parse_expression

        problem = rendered.problem
        assert isinstance(problem, GraphProblemBase)
        names = set(graph.input_ids) if ask.startswith(("derivative:", "derivative2:")) else set(graph.order)
        readable = True
        for index, mistake in enumerate(problem.mistakes):
            if isinstance(problem, TraceProblem) and mistake.ask != ask:
                continue
            try:
                parse_expression(mistake.answer, allowed_names=names)
            except ParseError as error:
                readable = False
                self.report(("mistakes", index, "answer"), "parse",
                            f"cannot read this answer: {error.message}",
                            column=self.exact_column(("mistakes", index, "answer"), mistake.answer, error.column))
        return readable

    def check_coincidences(self, rendered: RenderedProblem, ask: str, ask_path: tuple[Any, ...], expected: str,
                           coinciding_mistakes: Any) -> None:
        problem = rendered.problem
        assert isinstance(problem, GraphProblemBase)
        applicable = mistakes_for(problem, ask)
        indexes = [problem.mistakes.index(mistake) for mistake in applicable]
        synthetic_ids = [f"#mistake-{index}" for index in indexes]
        request = grade_request(rendered, expected, ask, mistake_ids=synthetic_ids)
        for mistake_id in coinciding_mistakes(request):
            if mistake_id in synthetic_ids:
                index = indexes[synthetic_ids.index(mistake_id)]
                name = problem.mistakes[index].id
                label = f"mistake '{name}'" if name else "this mistake"
                self.report(("mistakes", index, "answer"), f"coincide:{ask}",
                            f"{label} gives the right answer {expected} for {ask}, so a right answer would get "
                            "its feedback; change the mistake or exclude these values")
            elif mistake_id not in allowed_ids(problem.allow_coincidences):
                where = ("params",) if rendered.params else ("at",) if problem.at else ask_path
                if self.unavoidable(rendered, ask, mistake_id):
                    fix = ("no choice of values can fix this: the rule gives the right answer wherever the inputs "
                           "keep their signs (an active ReLU, whose slope is always 1, is the usual cause), so `not:` or other numbers "
                           "will not help. Change the program so that the rule makes a difference, or, if the "
                           "coincidence is what the problem is about, accept it: `allow_coincidences: "
                           f"[{{id: {mistake_id}, reason: \"...\"}}]`")
                else:
                    fix = "exclude these values with `not:`" if rendered.params else "choose other input values"
                    fix += f" (or list it in `allow_coincidences` if the right answer is meant to be {expected})"
                self.report(where, f"builtin:{ask}:{mistake_id}",
                            f"for {ask} the built-in diagnosis '{mistake_id}' gives the right answer {expected}, "
                            f"so a learner making that mistake would be marked right; {fix}", key=True)

    def unavoidable(self, rendered: RenderedProblem, ask: str, diagnosis: str) -> bool:
        """True when ``diagnosis`` gives the right answer for ``ask`` at every probed point that keeps each input's
        sign (scaled by 1/3 to 3): no parameter range or `not:` can avoid it, only another program."""
        key = (ask, diagnosis)
        if key not in self.unavoidable_found:
            self.unavoidable_found[key] = _coincides_everywhere(rendered, ask, diagnosis)
        return self.unavoidable_found[key]

    def check_graph_tests(self, rendered: RenderedProblem, asks: set[str], grade: Any) -> None:
        problem = rendered.problem
        assert isinstance(problem, GraphProblemBase)
        for index, test in enumerate(problem.tests):
            if test.seed is not None and test.seed != rendered.seed:
                continue
            ask = test.ask if isinstance(problem, TraceProblem) else problem.ask
            if ask is None or ask not in asks:
                continue  # reported elsewhere
            request = grade_request(rendered, test.answer, ask)
            outcome = grade(request)
            for _ in range(UNCHECKED_RETRIES):
                if outcome.verdict != "unchecked":
                    break
                outcome = grade(request)  # out of time on a busy machine is not the pack's fault
            self.compare_test(index, test, outcome)

    def check_numeric_variant(self, rendered: RenderedProblem) -> None:
        from tutor.check import grade_numeric
        from tutor.expr import EvaluationError, ParseError, evaluate, parse_expression

        problem = rendered.problem
        assert isinstance(problem, NumericProblem)
        try:
            value = evaluate(parse_expression(problem.answer, allowed_names=set()), {})
        except ParseError as error:
            self.report(("answer",), "parse", f"cannot read the answer: {error.message}",
                        column=self.exact_column(("answer",), problem.answer, error.column))
            return
        except EvaluationError as error:
            self.report(("answer",), "evaluate", f"cannot compute the answer {problem.answer}: {error}")
            return
        if value != value or value in (float("inf"), float("-inf")):
            self.report(("answer",), "evaluate", f"the answer {problem.answer} is not a finite number")
            return
        from tutor.packs.grading import checker_tolerance

        tolerance = checker_tolerance(problem.tolerance)
        for index, mistake in enumerate(problem.mistakes):
            try:
                parse_expression(mistake.answer, allowed_names=set())
            except ParseError as error:
                self.report(("mistakes", index, "answer"), "parse", f"cannot read this answer: {error.message}",
                            column=self.exact_column(("mistakes", index, "answer"), mistake.answer, error.column))
                continue
            if grade_numeric(mistake.answer, problem.answer, tolerance).verdict == "correct":
                label = f"mistake '{mistake.id}'" if mistake.id else "this mistake"
                self.report(("mistakes", index, "answer"), "coincide",
                            f"{label} ({mistake.answer}) equals the right answer {problem.answer} within the tolerance")
        for index, test in enumerate(problem.tests):
            if test.seed is not None and test.seed != rendered.seed:
                continue
            try:
                outcome = grade_numeric_answer(rendered, test.answer)
            except ValueError as error:  # RequestError: the problem's own numbers are unusable
                self.report(("tests", index), "request", f"cannot grade this test: {error}")
                continue
            self.compare_test(index, test, outcome)

    def check_layer_variant(self, rendered: RenderedProblem) -> None:
        from tutor.check import RequestError
        from tutor.check.matrix import coinciding_layer_mistakes
        from tutor.expr import ParseError
        from tutor.expr.matrix import parse_matrix
        from tutor.packs.errors import did_you_mean
        from tutor.packs.grading import (
            author_mistakes,
            checker_tolerance,
            grade_layer_answer,
            layer_entries,
            layer_trace_of,
        )

        problem = rendered.problem
        assert isinstance(problem, LayerProblem)
        try:
            trace = layer_trace_of(rendered)
        except RequestError as error:
            self.report(("network",), "network", f"cannot trace the network: {error.message}", key=True)
            return
        for list_name, listed, allowed in (("forward", problem.forward, trace.forward_names),
                                           ("backward", problem.backward, trace.backward_names)):
            for index, name in enumerate(listed or []):
                if name not in allowed:
                    self.report((list_name, index), f"{list_name}:{name}",
                                f"'{name}' is not a {list_name} quantity of this network{did_you_mean(str(name), allowed)} "
                                f"({', '.join(allowed)})")
        where_values = ("params",) if rendered.params else ("network",)
        for name, quantity in trace.quantities.items():
            pre_activation = trace.quantities.get("z" + name[1:]) if name.startswith("a") else None
            if pre_activation is not None and quantity.rule.startswith(f"{name} = relu(") and \
                    (pre_activation.value == 0).any():
                self.report(where_values, f"kink:{name}",
                            f"{pre_activation.name} has an entry exactly 0, where relu has no slope (the convention "
                            f"says 0); choose values that keep every entry of {pre_activation.name} away from 0",
                            key=True)
        entries = layer_entries(rendered, trace)
        for group in ("mistakes", "tests"):
            for index, item in enumerate(getattr(problem, group)):
                if item.ask is not None and item.ask not in entries:
                    self.report((group, index, "ask"), f"entry:{group}:{index}",
                                f"{item.ask} is not an entry of this problem (entries: {', '.join(entries)})")
        tolerance = checker_tolerance(problem.tolerance)
        readable: set[int] = set()
        for index, mistake in enumerate(problem.mistakes):
            try:
                parse_matrix(mistake.answer)
                readable.add(index)
            except ParseError as error:
                self.report(("mistakes", index, "answer"), "parse", f"cannot read this answer: {error.message}",
                            column=self.exact_column(("mistakes", index, "answer"), mistake.answer, error.column))
        for entry in entries:
            quantity = trace.quantities[entry.removeprefix("layer:")]
            indexes = [index for index, mistake in enumerate(problem.mistakes) if mistake.ask == entry and index in readable]
            synthetic = [f"#mistake-{index}" for index in indexes]
            mistakes = author_mistakes([problem.mistakes[index] for index in indexes], synthetic)
            expected = quantity.name
            for found in coinciding_layer_mistakes(quantity, tolerance, mistakes):
                if found in synthetic:
                    index = indexes[synthetic.index(found)]
                    mistake_name = problem.mistakes[index].id
                    label = f"mistake '{mistake_name}'" if mistake_name else "this mistake"
                    self.report(("mistakes", index, "answer"), f"coincide:{entry}",
                                f"{label} is the right answer for {expected} here, so a right answer would get its "
                                "feedback; change the mistake or exclude these values")
                elif found not in allowed_ids(problem.allow_coincidences):
                    fix = "exclude these values with `not:`" if rendered.params else "choose other numbers"
                    self.report(where_values, f"builtin:{entry}:{found}",
                                f"for {entry} the diagnosis '{found}' gives the right answer, so a learner making that "
                                f"mistake would be marked right; {fix} (or list it in `allow_coincidences`)", key=True)
        for index, test in enumerate(problem.tests):
            if test.seed is not None and test.seed != rendered.seed:
                continue
            if test.ask is None or test.ask not in entries:
                continue  # reported elsewhere
            try:
                outcome = grade_layer_answer(rendered, test.answer, test.ask)
            except RequestError as error:
                self.report(("tests", index), "request", f"cannot grade this test: {error.message}")
                continue
            self.compare_test(index, test, outcome)

    def check_choice_variant(self, rendered: RenderedProblem) -> None:
        problem = rendered.problem
        assert isinstance(problem, ChoiceProblem)
        for index, test in enumerate(problem.tests):
            self.compare_test(index, test, grade_choice_answer(rendered, test.answer))

    def compare_test(self, index: int, test: Any, outcome: Any) -> None:
        answer = test.answer if isinstance(test.answer, str) else ", ".join(test.answer)
        where = ("tests", index)
        if outcome.verdict != test.verdict:
            detail = f"; expected answer {outcome.expected}" if getattr(outcome, "expected", None) else ""
            reason = f" ({outcome.message})" if outcome.verdict in ("invalid", "unchecked") and outcome.message else ""
            diagnosis = f", diagnosis {outcome.diagnosis}" if getattr(outcome, "diagnosis", None) else ""
            self.report(where, "verdict",
                        f"test answer {answer!r} should be {test.verdict} but is {outcome.verdict}{diagnosis}{reason}{detail}")
            return
        wanted = getattr(test, "diagnosis", None)
        if wanted is not None and outcome.diagnosis != wanted:
            got = f"'{outcome.diagnosis}'" if outcome.diagnosis else "no diagnosis"
            self.report(where + ("diagnosis",), "diagnosis",
                        f"test answer {answer!r} should be diagnosed '{wanted}' but gets {got}")


UNAVOIDABLE_PROBES = 10


def _coincides_everywhere(rendered: RenderedProblem, ask: str, diagnosis: str) -> bool:
    import random
    from dataclasses import replace

    from tutor.check import Problem, RequestError, wrong_answers
    from tutor.graph import build_graph

    problem = rendered.problem
    assert isinstance(problem, GraphProblemBase)
    generator = random.Random(f"{problem.id}|{ask}|{diagnosis}")
    tried = 0
    for _ in range(UNAVOIDABLE_PROBES * 2):
        if tried >= UNAVOIDABLE_PROBES:
            break
        at = {}
        for name, value in rendered.at.items():
            scaled = round(value * generator.uniform(1 / 3, 3) * 4) / 4
            at[name] = scaled if scaled != 0 or value == 0 else (0.25 if value > 0 else -0.25)
        try:
            checker = Problem(build_graph(problem.program, at, symbolic=False))
            request = replace(grade_request(rendered, "0", ask, mistake_ids=[]), at=at)
            # Whether the rule's number equals the right one here (coinciding_mistakes also drops a rule that
            # equals it at every point it samples, which near some points is true of an unavoidable one).
            answers = [wrong for wrong in wrong_answers(request, checker) if wrong.diagnosis == diagnosis]
        except (RequestError, ValueError, RuntimeError, ArithmeticError):
            continue  # off the program's domain (log of a negative, ...): not a point to judge by
        if not answers:
            continue  # the rule does not apply at this point
        tried += 1
        if not any(wrong.coincides for wrong in answers):
            return False
    return tried >= 3


def _seed_label(rendered: RenderedProblem) -> str:
    if not rendered.params:
        return ""
    values = ", ".join(f"{name}={format_value(value, in_expression=False)}" for name, value in rendered.params.items())
    return f"seed {rendered.seed} ({values}): "


def _inputs_text(at: dict[str, float]) -> str:
    return ", ".join(f"{name}={format_value(value, in_expression=False)}" for name, value in at.items()) or "no inputs"


def _not_an_entry(ask: str, entries: list[str]) -> str:
    """Why an ``entry_hints`` key names no entry of the trace, with the entries that exist."""
    kind, colon, node = ask.partition(":")
    if not colon or kind not in ("value", "grad"):
        why = f"'{ask}' is not an entry of this trace: write value:NODE or grad:NODE"
    else:
        why = f"'{ask}' is not an entry of this trace"
        if any(entry.endswith(f":{node}") for entry in entries):
            asked = "value" if kind == "grad" else "gradient"
            why += f" (only the {asked} of {node} is asked)"
    return f"{why} (entries: {', '.join(entries)})"


def _ask_error(ask: str, graph: Any) -> str | None:
    """Why ``ask`` does not fit ``graph``, or None."""
    kind, _, target = ask.partition(":")
    if kind in ("value", "grad"):
        if target not in graph.nodes:
            return f"'{target}' is not a node of the graph (nodes: {', '.join(graph.order)})"
    elif kind == "local":
        node, _, operand = target.partition("/")
        if node not in graph.nodes or graph.nodes[node].is_input:
            return f"'{node}' is not a computed node (computed: {', '.join(graph.computed_ids)})"
        if operand not in graph.nodes[node].inputs:
            return f"'{operand}' is not an input of {node} (its inputs: {', '.join(dict.fromkeys(graph.nodes[node].inputs))})"
    elif kind in ("derivative", "derivative2"):
        if target not in graph.input_ids:
            return f"'{target}' is not an input of the program (inputs: {', '.join(graph.input_ids)})"
    elif kind == "layer":
        return "layer:NAME asks belong to `kind: layer` problems, which have a network instead of a program"
    return None


def _value_at(model: Any, path: Iterable[Any]) -> Any:
    value = model
    for item in path:
        if isinstance(value, (list, tuple)) and isinstance(item, int) and item < len(value):
            value = value[item]
        elif isinstance(value, dict):
            value = value.get(item)
        elif hasattr(value, str(item)):
            value = getattr(value, str(item))
        else:
            return None
    return value
