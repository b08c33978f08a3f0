"""Grading ``derivative:`` answers: formulas judged as functions, not at one point.

1. Evaluate the learner's formula and the true derivative at several random points (exact
   rationals where possible, so ``(x+1)^2 - x^2`` is not fooled by rounding). A clear
   disagreement anywhere means incorrect, and the same points name the mistake: each wrong
   rule of :mod:`tutor.check.rules` is evaluated there too.
2. Otherwise the algebra in the worker process confirms it (``cancel``/``expand`` of the
   difference, then 40-digit numbers), within a hard time budget. Out of time means
   "unchecked", never "incorrect".
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

from tutor.check.ask_kinds import Ask
from tutor.check.models import CORRECT, INCORRECT, UNCHECKED, AuthorMistake, GradeResult, Tolerance
from tutor.check.numbers import Num, describe, format_approx, is_finite, to_float
from tutor.check.problem import PointState, Problem
from tutor.check.rule_texts import ask_rule
from tutor.check.rules import WrongRule, also_fits, wrong_rules
from tutor.check.sampling import DISAGREE, UNDEFINED, Sample, classify, same_function, sample
from tutor.check.worker import DEFAULT_BUDGET_SECONDS, algebra_worker
from tutor.expr import ParseError, parse_expression
from tutor.expr.convert import EvaluationError
from tutor.expr.tree import Expression, names_in


def grade_formula(
    problem: Problem,
    ask: Ask,
    tree: Expression,
    answer: str,
    tolerance: Tolerance | None,
    mistakes: Sequence[tuple[AuthorMistake, Expression]],
    budget: float | None,
) -> GradeResult:
    expected_text = problem.derivative_text(ask.node)
    label = problem.label(ask)
    states = problem.random_states()
    right = [state.grads[ask.node] for state in states]
    samples = [sample(tree, state) for state in states]
    verdicts = [classify(sample, value) for sample, value in zip(samples, right)]

    worked = f"{label} = {expected_text}."
    general = ask_rule(problem, ask)

    def result(verdict: str, message: str, diagnosis: str | None = None) -> GradeResult:
        return GradeResult(verdict=verdict, expected=expected_text, diagnosis=diagnosis, message=message,
                           worked=worked if verdict in (CORRECT, INCORRECT) else "",
                           rule=general if verdict == INCORRECT else "")

    if DISAGREE in verdicts or (verdicts and all(verdict == UNDEFINED for verdict in verdicts)):
        found = _diagnose(problem, ask, states, samples, right, mistakes)
        if found is not None:
            diagnosis, message, rule, detail = found
            return GradeResult(INCORRECT, expected_text, diagnosis, message,
                               worked=" ".join(dict.fromkeys(part for part in (detail, worked) if part)),
                               rule=rule or general)
        return result(INCORRECT, disagreement_message(states, samples, right, verdicts, label, tolerance))
    return confirm_with_algebra(problem, ask, answer, states, label, expected_text, result, budget)


def confirm_with_algebra(
    problem: Problem,
    ask: Ask,
    answer: str,
    states: Sequence[PointState],
    label: str,
    expected_text: str,
    result: Callable[..., GradeResult],  # (verdict, message, **details) -> the caller's GradeResult
    budget: float | None,
    order: int = 1,
) -> GradeResult:
    """Ask the algebra worker whether the answer is the right derivative (of ``order``) as a function.

    Used once the numbers found no mismatch; a worker that runs out of time gives *unchecked*.
    """
    request: dict[str, Any] = {
        "job": "compare-derivative",
        "program": problem.graph.program_text,
        "at": problem.graph.input_values,
        "variable": ask.node,
        "answer": answer,
        "points": [[[name, value.numerator, value.denominator] for name, value in state.inputs.items()
                    if isinstance(value, Fraction)] for state in states],
    }
    if order != 1:
        request["order"] = order
    reply = algebra_worker().run(request, DEFAULT_BUDGET_SECONDS if budget is None else budget)
    if reply is None:
        return result(UNCHECKED, "Checking this formula took longer than the time allowed, so it was not graded "
                                 "(it is not marked wrong). A simpler form, without large powers multiplied out, "
                                 "can be checked quickly.")
    status = reply.get("status")
    if status == "equal":
        return result(CORRECT, f"Correct: {label} = {expected_text}.")
    if status == "different":
        # The difference itself is not in the message: the answer minus it is the right formula, one step away.
        detail = reply.get("detail")
        constant = _is_constant_text(detail)
        by = "a little" if constant is None else "a constant" if constant else "a term that depends on the inputs"
        graded = result(INCORRECT, f"Very close, but not the same function as {label}: your formula differs from "
                                   f"it by {by}. A formula must be exact, with no leftover term.")
        if detail:
            graded = dataclasses.replace(graded, worked=f"Your formula minus {label} is {detail}. {graded.worked}")
        return graded
    if status == "undefined":
        return result(INCORRECT, f"Your formula has no value ({reply.get('detail', 'it is undefined')}).")
    return result(UNCHECKED, "This formula could not be checked automatically, so it was not graded "
                             "(it is not marked wrong).")


def _diagnose(
    problem: Problem,
    ask: Ask,
    states: Sequence[PointState],
    samples: Sequence[Sample],
    right: Sequence[Num],
    mistakes: Sequence[tuple[AuthorMistake, Expression]],
) -> tuple[str, str, str, str] | None:
    """(diagnosis, message, rule, detail) of the mistake the formula matches as a function, if any."""
    usable = [index for index, sample in enumerate(samples) if sample.value is not None and is_finite(sample.value)]
    if not usable:
        return None
    chosen_states = [states[index] for index in usable]
    chosen_samples = [samples[index] for index in usable]
    chosen_right = [right[index] for index in usable]
    for mistake, mistake_tree in mistakes:
        mistake_samples = [sample(mistake_tree, state) for state in chosen_states]
        if same_function(mistake_samples, chosen_right):
            continue  # the author's "mistake" is right here; it never fires
        wrong = [sample.value for sample in mistake_samples]
        if all(value is not None for value in wrong) and same_function(chosen_samples, wrong):  # type: ignore[arg-type]
            return mistake.id or "author", mistake.feedback, mistake.rule, ""
    fitting: list[WrongRule] = []
    for rule in wrong_rules(problem, ask):
        if fitting and rule.diagnosis == fitting[0].diagnosis:
            continue  # only another diagnosis is worth naming as a second reading
        wrong_values: list[Num] = []
        for state in chosen_states:
            try:
                wrong_values.append(rule.compute(state))
            except (EvaluationError, ZeroDivisionError, OverflowError):
                break
        else:
            if not any(classify(Sample(value, 0.0), expected) == DISAGREE
                       for value, expected in zip(wrong_values, chosen_right)):
                continue  # this rule is the right derivative on this graph
            if same_function(chosen_samples, wrong_values):
                fitting.append(rule)
                if len(fitting) == 2:
                    break
    if not fitting:
        return None
    rule = fitting[0]
    try:
        at_point = (rule.compute(problem.state), problem.right_value(ask, problem.state))
    except (EvaluationError, ZeroDivisionError, OverflowError):
        at_point = (chosen_right[0], chosen_right[0])
    message, general, detail = rule.explain(*at_point)
    return rule.diagnosis, message + also_fits(rule.diagnosis, [other.diagnosis for other in fitting]), general, detail


def disagreement_message(
    states: Sequence[PointState],
    samples: Sequence[Sample],
    right: Sequence[Num],
    verdicts: Sequence[str],
    label: str,
    tolerance: Tolerance | None,
) -> str:
    """Why a formula is not the right function, without the right formula (``derivative:`` and ``derivative2:``).

    A test point where the two differ is named with both values, unless the right derivative is the
    same number everywhere: then that number is the answer, and only the learner's value is given.
    """
    if all(verdict == UNDEFINED for verdict in verdicts):
        reason = next((sample.error for sample in samples if sample.error), "it is undefined")
        return f"Your formula has no value at the test points ({reason})."
    allowed = tolerance or Tolerance()
    compared = [(sample, value) for sample, value in zip(samples, right) if sample.value is not None
                and is_finite(sample.value)]
    if compared and all(allowed.allows(to_float(sample.value), to_float(value)) for sample, value in compared):  # type: ignore[arg-type]
        return (f"Close, but not the same function as {label}: a formula must be exact. "
                f"Write numbers exactly (1/3, not 0.333).")
    if len(compared) > 1 and _is_constant([sample for sample, _ in compared]) and len(set(right)) > 1:
        inputs = list(states[0].inputs) if states else []
        changing = _listed(inputs) if inputs else "the inputs"
        verb = "changes" if len(inputs) == 1 else "change"
        return (f"Your formula is a constant, {format_approx(to_float(compared[0][0].value))}, but {label} is not: "  # type: ignore[arg-type]
                f"it changes as {changing} {verb}. Differentiate each part of the program with respect to "
                f"{_asked_variable(label)}.")
    index = next(index for index, verdict in enumerate(verdicts) if verdict == DISAGREE)
    point = ", ".join(f"{name} = {describe(value)}" for name, value in states[index].inputs.items())
    got = format_approx(to_float(samples[index].value))  # type: ignore[arg-type]
    if len(set(right)) <= 1:
        return f"Not the same function as {label}: at {point}, your formula gives {got}, which is not {label} there."
    return (f"Not the same function as {label}. For example at {point}, {label} = "
            f"{format_approx(to_float(right[index]))} but your formula gives {got}.")




def _is_constant(samples: Sequence[Sample]) -> bool:
    values = [sample.value for sample in samples if sample.value is not None and is_finite(sample.value)]
    return len(values) > 1 and len(values) == len(samples) and len(set(values)) == 1


def _listed(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _asked_variable(label: str) -> str:
    """x from dL/dx or d²L/dx²."""
    return label.rsplit("/d", 1)[-1].rstrip("²")


def _is_constant_text(text: Any) -> bool | None:
    """Whether the worker's difference is a number (True), has names (False), or can't be read (None)."""
    if not isinstance(text, str):
        return None
    try:
        return not names_in(parse_expression(text))
    except ParseError:
        return None
