"""Checks that look at several fields at once but need neither the expression language nor the checker.

They run whenever a pack is loaded (cheap: no parsing, no sympy). Deeper checks that compute
answers live in :mod:`tutor.packs.validate`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from tutor.diagnosis_ids import BUILTIN_DIAGNOSES
from tutor.packs.errors import PackError, SourceFile, did_you_mean
from tutor.packs.models import (
    LAYER_DIAGNOSES,
    NAME_PATTERN,
    PLACEHOLDER_PATTERN,
    AskProblem,
    ChoiceProblem,
    ChoiceTest,
    ComputedParam,
    GraphProblemBase,
    LayerProblem,
    Lesson,
    NumericProblem,
    Problem,
    TextStep,
    TraceProblem,
)
from tutor.packs.variants import placeholder_names

DataPath = tuple[Any, ...]


@dataclass
class LessonSource:
    """A validated lesson and where it was written: its file and its path inside that file."""

    lesson: Lesson
    source: SourceFile
    prefix: DataPath = ()  # () for a lesson file, ("lessons", 3) for a lesson written in a manifest

    def step_path(self, step_index: int) -> DataPath:
        return self.prefix + ("steps", step_index)

    def problems_with_paths(self) -> Iterator[tuple[Problem, DataPath]]:
        for index, step in enumerate(self.lesson.steps):
            if not isinstance(step, TextStep):
                yield step, self.step_path(index)


def check_lessons(lessons: Iterable[LessonSource],
                  problems_with_errors: set[tuple[str, DataPath]] | None = None) -> list[PackError]:
    """Cross-field errors of every lesson; ``problems_with_errors`` collects (file, path) of faulty problems."""
    errors: list[PackError] = []
    first_lesson: dict[str, tuple[LessonSource, DataPath]] = {}
    first_problem: dict[str, tuple[LessonSource, DataPath]] = {}
    for lesson_source in lessons:
        lesson_id = lesson_source.lesson.id
        if lesson_id in first_lesson:
            errors.append(_duplicate(lesson_source, lesson_source.prefix + ("id",), "lesson", lesson_id,
                                     *first_lesson[lesson_id]))
        else:
            first_lesson[lesson_id] = (lesson_source, lesson_source.prefix + ("id",))
        for problem, path in lesson_source.problems_with_paths():
            if problem.id in first_problem:
                errors.append(_duplicate(lesson_source, path + ("id",), "problem", problem.id,
                                         *first_problem[problem.id]))
            else:
                first_problem[problem.id] = (lesson_source, path + ("id",))
            problem_errors = check_problem(problem, lesson_source.source, path)
            if problem_errors and problems_with_errors is not None:
                problems_with_errors.add((str(lesson_source.source.path), path))
            errors.extend(problem_errors)
    return errors


def _duplicate(where: LessonSource, path: DataPath, what: str, identifier: str,
               first_source: LessonSource, first_path: DataPath) -> PackError:
    first = first_source.source.positions.of_value(first_path)
    from tutor.packs.errors import display_path

    location = f"line {first.line}" if first_source.source.path == where.source.path else \
        f"{display_path(first_source.source.path)}:{first.line}"
    return where.source.error_at(path, f"{what} id '{identifier}' is already used (at {location}); "
                                       f"{what} ids must be unique in the pack")


def check_problem(problem: Problem, source: SourceFile, path: DataPath) -> list[PackError]:
    errors: list[PackError] = []

    def error(relative: DataPath, message: str, *, key: bool = False, column: int | None = None, line: int = 1) -> None:
        if column is not None:
            errors.append(source.error_at_position(source.positions.inside_string(path + relative, column, line),
                                                   message))
        else:
            errors.append(source.error_at(path + relative, message, key=key))

    params = getattr(problem, "params", None) or {}
    for name, spec in params.items():
        if not re.match(NAME_PATTERN, str(name)):
            error(("params", name), f"parameter name '{name}' is not a name: use letters, digits and _", key=True)
        if isinstance(spec, ComputedParam):
            _check_computed(name, spec.compute, list(params)[: list(params).index(name)], error)
        elif not spec.allowed_values():
            error(("params", name), f"parameter '{name}' has no value left once the `not:` values are removed")
        if hasattr(spec, "choice"):
            for index, excluded in enumerate(spec.exclude):
                if excluded not in spec.choice:
                    error(("params", name, "not", index), f"{excluded!r} is not one of the choices, so `not:` has no effect")
    for index, requirement in enumerate(getattr(problem, "require", None) or []):
        _check_requirement(requirement, list(params), ("require", index), error)
    if getattr(problem, "require", None) and not params:
        error(("require",), "`require` sets conditions on the parameters, but this problem has no params", key=True)
    _check_placeholders(problem, params, error)

    builtin_ids = LAYER_DIAGNOSES if isinstance(problem, LayerProblem) else BUILTIN_DIAGNOSES
    if isinstance(problem, (TraceProblem, AskProblem, NumericProblem, LayerProblem)):
        mistake_ids: dict[str, int] = {}
        for index, mistake in enumerate(problem.mistakes):
            if mistake.id is not None:
                if mistake.id in mistake_ids:
                    error(("mistakes", index, "id"), f"mistake id '{mistake.id}' is already used in this problem")
                elif mistake.id in builtin_ids:
                    error(("mistakes", index, "id"), f"'{mistake.id}' is a built-in diagnosis id; "
                                                      "give your mistake its own id")
                mistake_ids.setdefault(mistake.id, index)
            _check_ask_presence(problem, mistake.ask, ("mistakes", index), "mistake", error)
        known = list(builtin_ids) + list(mistake_ids)
        for index, test in enumerate(problem.tests):
            _check_ask_presence(problem, test.ask, ("tests", index), "test", error)
            if test.diagnosis is not None:
                if test.verdict != "incorrect":
                    error(("tests", index, "diagnosis"), f"only an incorrect answer has a diagnosis "
                                                          f"(this test expects '{test.verdict}')")
                elif test.diagnosis not in known:
                    error(("tests", index, "diagnosis"),
                          f"unknown diagnosis '{test.diagnosis}'{did_you_mean(test.diagnosis, known)} "
                          f"(a built-in id or one of this problem's mistake ids)")
            if test.seed is not None and not params:
                error(("tests", index, "seed"), "`seed` picks a variant, but this problem has no params")
    if isinstance(problem, (GraphProblemBase, LayerProblem)):
        for index, entry in enumerate(problem.allow_coincidences):
            allowed = entry if isinstance(entry, str) else entry.id
            if allowed not in builtin_ids:
                error(("allow_coincidences", index) + (() if isinstance(entry, str) else ("id",)),
                      f"'{allowed}' is not a built-in diagnosis{did_you_mean(allowed, builtin_ids)} "
                      "(author mistakes may never give the right answer)")
    if isinstance(problem, ChoiceProblem):
        errors.extend(_check_choice(problem, source, path))
    return errors


def _check_ask_presence(problem: Problem, ask: str | None, relative: DataPath, what: str, error: Any) -> None:
    if isinstance(problem, TraceProblem):
        if ask is None:
            error(relative, f"a {what} of a trace problem needs `ask:` (which entry, e.g. \"grad:a\" or \"value:z1\")")
        elif not (ask.startswith("value:") or ask.startswith("grad:")):
            error(relative + ("ask",), f"a trace problem's entries are value:NODE and grad:NODE, not '{ask}'")
    elif isinstance(problem, LayerProblem):
        if ask is None:
            error(relative, f"a {what} of a layer problem needs `ask:` (which quantity, e.g. \"layer:dL/dW1\")")
        elif not ask.startswith("layer:"):
            error(relative + ("ask",), f"a layer problem's entries are layer:NAME (layer:z1, layer:dL/dW1), "
                                       f"not '{ask}'")
    elif ask is not None:
        error(relative + ("ask",), f"`ask:` belongs to trace problems; this {what} is about the problem's own question",
              key=True)


def _names_in(text: str) -> set[str]:
    from tutor.expr import ParseError, parse_expression
    from tutor.expr.tree import names_in

    try:
        return set(names_in(parse_expression(PLACEHOLDER_PATTERN.sub(lambda match: match.group(1), text))))
    except ParseError:
        return set()


def _check_computed(name: str, text: str, earlier: list[str], error: Any) -> None:
    """A computed parameter's expression reads, and uses only parameters written before it."""
    from tutor.expr import ParseError, parse_expression

    plain = PLACEHOLDER_PATTERN.sub(lambda match: match.group(1), text)
    try:
        parse_expression(plain, allowed_names=set(earlier))
    except ParseError as error_found:
        later = [word for word in _names_in(text) if word not in earlier]
        hint = " (a computed parameter may use only the parameters written before it)" if later else ""
        error(("params", name), f"cannot read the computed parameter {name} = {text!r}: {error_found.message}{hint}",
              column=error_found.column if plain == text else None)


def _check_requirement(text: str, names: list[str], relative: DataPath, error: Any) -> None:
    from tutor.expr import ParseError, parse_expression
    from tutor.packs.variants import split_requirement

    try:
        left, operator, right, _ = split_requirement(text)
    except ValueError as problem:
        error(relative, str(problem))
        return
    for offset, side in ((0, left), (len(left) + len(operator), right)):
        try:
            parse_expression(side, allowed_names=set(names))
        except ParseError as error_found:
            error(relative, f"cannot read the condition {text!r}: {error_found.message} (parameters: "
                            f"{', '.join(names) or 'none'})",
                  column=None if error_found.column is None else error_found.column + offset)
            return


def _check_placeholders(problem: Problem, params: dict[str, Any], error: Any) -> None:
    """Every {name} in an expression field names a parameter; every parameter is used somewhere."""
    expression_fields: list[tuple[DataPath, str]] = []
    text_paths: list[tuple[DataPath, str]] = [(("prompt",), problem.prompt), (("title",), problem.title or ""),
                                              (("explanation",), problem.explanation or "")]
    text_paths.extend((("hints", index), hint) for index, hint in enumerate(problem.hints))
    if isinstance(problem, GraphProblemBase):
        expression_fields.append((("program",), problem.program))
        expression_fields.extend((("at", name), value) for name, value in problem.at.items() if isinstance(value, str))
    if isinstance(problem, TraceProblem):
        text_paths.extend((("entry_hints", ask, index), hint)
                          for ask, hints in problem.entry_hints.items() for index, hint in enumerate(hints))
    if isinstance(problem, NumericProblem):
        expression_fields.append((("answer",), problem.answer))
    if isinstance(problem, LayerProblem):
        expression_fields.extend(_network_expression_fields(problem))
    if isinstance(problem, (TraceProblem, AskProblem, NumericProblem, LayerProblem)):
        expression_fields.extend((("mistakes", index, "answer"), mistake.answer) for index, mistake in enumerate(problem.mistakes))
        expression_fields.extend((("tests", index, "answer"), test.answer) for index, test in enumerate(problem.tests))
        text_paths.extend((("mistakes", index, "feedback"), mistake.feedback)
                          for index, mistake in enumerate(problem.mistakes))
        text_paths.extend((("mistakes", index, "rule"), mistake.rule)
                          for index, mistake in enumerate(problem.mistakes) if mistake.rule)
    if isinstance(problem, ChoiceProblem):
        text_paths.extend((("options", index, "text"), option.text) for index, option in enumerate(problem.options))
        text_paths.extend((("options", index, "feedback"), option.feedback or "")
                          for index, option in enumerate(problem.options))
    text_fields = [text for _, text in text_paths]
    for relative, text in expression_fields:
        for match in PLACEHOLDER_PATTERN.finditer(text):
            name = match.group(1)
            if name not in params:
                hint = did_you_mean(name, list(params))
                declared = f" (declared: {', '.join(params)})" if params else " (this problem has no params)"
                error(relative, f"{{{name}}} is not a parameter of this problem{hint}{declared}",
                      column=match.start() + 1)
    for relative, text in text_paths:
        # Prose keeps braces that name no parameter, so a misspelt placeholder ({x_2} for x2) would reach the
        # learner as raw braces: an error, with the way to write real braces.
        for line_number, line_text in enumerate(text.splitlines() or [""], start=1):
            for match in PLACEHOLDER_PATTERN.finditer(line_text):
                name = match.group(1)
                if name in params:
                    continue
                near = difflib.get_close_matches(name, list(params), n=1, cutoff=0.6) or \
                    difflib.get_close_matches(name.replace("_", ""), list(params), n=1, cutoff=0.6)
                hint = f" Did you mean {{{near[0]}}}?" if near else ""
                declared = f"the parameters are {', '.join(params)}" if params else "this problem has no params"
                error(relative, f"{{{name}}} names no parameter ({declared}), so the learner would see the braces "
                                f"as they are.{hint} For braces in the text, write them with spaces: {{ {name} }}",
                      column=match.start() + 1, line=line_number)
    used = {name for _, text in expression_fields for name in placeholder_names(text)}
    for spec in params.values():  # a parameter that a computed one or a condition reads is used
        if isinstance(spec, ComputedParam):
            used |= _names_in(spec.compute)
    for requirement in getattr(problem, "require", None) or []:
        used |= _names_in(re.sub(r"[<>=!]=?", "+", requirement))
    used |= {name for text in text_fields for name in placeholder_names(text)}
    if isinstance(problem, GraphProblemBase):
        program_words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", problem.program))
        used |= {name for name in params if name in program_words and name not in problem.at}
    for name in params:
        if name not in used:
            error(("params", name), f"parameter '{name}' is never used: write {{{name}}} where it goes, or name a "
                                    "program input after it", key=True)


def _network_expression_fields(problem: LayerProblem) -> list[tuple[DataPath, str]]:
    """Every text entry of a layer problem's network (weights, biases, x, target, a {param} activation)."""
    fields: list[tuple[DataPath, str]] = []
    network = problem.network
    for index, layer in enumerate(network.layers):
        if hasattr(layer, "linear"):
            for row, entries in enumerate(layer.linear.W):
                fields.extend((("network", "layers", index, "linear", "W", row, column), entry)
                              for column, entry in enumerate(entries) if isinstance(entry, str))
            fields.extend((("network", "layers", index, "linear", "b", row), entry)
                          for row, entry in enumerate(layer.linear.b or []) if isinstance(entry, str))
        elif "{" in layer.activation:
            fields.append((("network", "layers", index, "activation"), layer.activation))
    fields.extend((("network", "x", index), entry) for index, entry in enumerate(network.x or [])
                  if isinstance(entry, str))
    for row, entries in enumerate(network.X or []):
        fields.extend((("network", "X", row, column), entry) for column, entry in enumerate(entries)
                      if isinstance(entry, str))
    target = network.target
    if isinstance(target, str):
        fields.append((("network", "target"), target))
    elif isinstance(target, list):
        for index, entry in enumerate(target):
            if isinstance(entry, list):
                fields.extend((("network", "target", index, column), item) for column, item in enumerate(entry)
                              if isinstance(item, str))
            elif isinstance(entry, str):
                fields.append((("network", "target", index), entry))
    return fields


def _check_choice(problem: ChoiceProblem, source: SourceFile, path: DataPath) -> list[PackError]:
    errors: list[PackError] = []
    ids = problem.option_ids()
    seen: set[str] = set()
    for index, option_id in enumerate(ids):
        if option_id in seen:
            errors.append(source.error_at(path + ("options", index, "id") if problem.options[index].id else
                                          path + ("options", index),
                                          f"option id '{option_id}' is used twice"))
        seen.add(option_id)
    correct = problem.correct_ids()
    if problem.multiple and not correct:
        errors.append(source.error_at(path + ("options",), "no option is marked `correct: true`", key=True))
    if not problem.multiple and len(correct) != 1:
        errors.append(source.error_at(
            path + ("options",),
            f"a single-answer problem needs exactly one correct option, this one has {len(correct)}"
            + ("; add `multiple: true` if the learner should pick several" if len(correct) > 1 else ""),
            key=True,
        ))
    for index, test in enumerate(problem.tests):
        answers = [test.answer] if isinstance(test.answer, str) else list(test.answer)
        for answer_index, answer in enumerate(answers):
            if answer not in ids:
                where = ("tests", index, "answer") + (() if isinstance(test.answer, str) else (answer_index,))
                errors.append(source.error_at(path + where, f"no option has id '{answer}'{did_you_mean(answer, ids)} "
                                                            f"(options: {', '.join(ids)})"))
    return errors


def grade_choice(problem: ChoiceProblem, picked: str | list[str]) -> bool:
    """True when the picked ids are exactly the correct ones (one id for a single-answer problem)."""
    chosen = [picked] if isinstance(picked, str) else list(picked)
    if not problem.multiple and len(chosen) != 1:
        return False
    return set(chosen) == set(problem.correct_ids())


__all__ = ["ChoiceTest", "LessonSource", "check_lessons", "check_problem", "grade_choice"]
