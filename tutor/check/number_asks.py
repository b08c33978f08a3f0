"""Grading number asks (``value:``, ``grad:``, ``local:``): exact arithmetic at the given point, no sympy.

A wrong number is named by the first author mistake or wrong rule (:mod:`tutor.check.rules`) that
gives it; the worked answer and the rule that gives the answer are written in the graph's own names.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tutor.check.ask_kinds import Ask
from tutor.check.compare import EXACT, ROUNDED, compare_numbers, matches, precise_text
from tutor.check.models import CORRECT, INCORRECT, UNCHECKED, AuthorMistake, GradeResult, Tolerance
from tutor.check.numbers import Num, describe, equals_sign, evaluate_tree, factor, is_finite, to_float
from tutor.check.problem import Problem
from tutor.check.rule_texts import MAX_SHOWN_PATHS, ask_rule, chain_symbols, more_paths
from tutor.check.rules import also_fits, wrong_rules
from tutor.expr.convert import EvaluationError
from tutor.expr.tree import Expression

RULE_ERRORS = (EvaluationError, ZeroDivisionError, OverflowError)


def coinciding_number_mistakes(problem: Problem, ask: Ask, tolerance: Tolerance | None,
                                author: Sequence[tuple[AuthorMistake, Expression]]) -> list[str]:
    """Ids of the wrong rules and author mistakes that give the right number at the given point."""
    found: list[str] = []
    state = problem.state
    right_here = problem.right_value(ask, state)
    for rule in wrong_rules(problem, ask):
        if rule.diagnosis in found:
            continue
        try:
            wrong = rule.compute(state)
        except RULE_ERRORS:
            continue
        if matches(wrong, right_here, tolerance) and _differs_somewhere(problem, ask, rule):
            found.append(rule.diagnosis)
    for mistake, tree in author:
        try:
            value, _ = evaluate_tree(tree, state.values)
        except EvaluationError:
            continue
        if matches(value, right_here, tolerance):
            found.append(mistake.id or "author")
    return list(dict.fromkeys(found))


def _differs_somewhere(problem: Problem, ask: Ask, rule: Any) -> bool:
    states = problem.random_states()
    if not states:
        return True  # can't show the rule is harmless on this graph, so report it
    for state in states:
        try:
            wrong = rule.compute(state)
        except RULE_ERRORS:
            continue
        right = problem.right_value(ask, state)
        if is_finite(wrong) and not matches(wrong, right, Tolerance(rel=1e-9, abs=1e-12)):
            return True
    return False


def grade_number(
    problem: Problem,
    ask: Ask,
    tree: Expression,
    expected: str,
    tolerance: Tolerance | None,
    mistakes: Sequence[tuple[AuthorMistake, Expression]],
) -> GradeResult:
    state = problem.state
    right = problem.right_value(ask, state)
    label = problem.label(ask)
    worked = _worked(problem, ask)
    try:
        value, largest = evaluate_tree(tree, state.values)
    except EvaluationError as error:
        return GradeResult(INCORRECT, expected, None, f"Your answer has no value here: {error.message}.",
                           worked=worked, rule=ask_rule(problem, ask))
    if not is_finite(value):
        return GradeResult(UNCHECKED, expected, None, TOO_LARGE)
    outcome = compare_numbers(value, right, tolerance)
    if outcome == EXACT:
        return GradeResult(CORRECT, expected, None, f"Correct: {label} = {describe(right)}.", worked=worked)
    if outcome == ROUNDED:
        return GradeResult(CORRECT, expected, None,
                           f"Correct (rounded): {label} = {precise_text(right)}; yours, {describe(value)}, is "
                           f"within the tolerance.", rounded=True, worked=worked)
    if within_rounding_noise(value, right, largest):
        return GradeResult(UNCHECKED, expected, None, TOO_LARGE)
    found = _diagnose(problem, ask, value, right, tolerance, mistakes)
    if found is not None:
        diagnosis, message, rule, detail = found
        return GradeResult(INCORRECT, expected, diagnosis, message, worked=_joined(detail, worked),
                           rule=rule or ask_rule(problem, ask))
    return GradeResult(INCORRECT, expected, None, f"Not quite: you gave {describe(value)}. {_hint(problem, ask)}",
                       worked=worked, rule=ask_rule(problem, ask))


def _joined(*sentences: str) -> str:
    """Sentences in order, each once (a rule's detail may already be the worked line)."""
    return " ".join(dict.fromkeys(sentence for sentence in sentences if sentence))


TOO_LARGE = ("Your answer passes through numbers too large to work out exactly (for example a huge power or "
              "exp), so it was not graded; it is not marked wrong. Write it more simply.")


def within_rounding_noise(value: Num, right: Num, largest: float) -> bool:
    """A float answer that went through huge numbers carries their rounding error: (exp(40) + 42) - exp(40)
    comes out as 32 or 48 in floats. If the gap to the right answer is inside that error, we can't tell."""
    if not isinstance(value, float) or largest < 1e12:
        return False
    return abs(value - to_float(right)) <= largest * 1e-14


def _diagnose(
    problem: Problem,
    ask: Ask,
    value: Num,
    right: Num,
    tolerance: Tolerance | None,
    mistakes: Sequence[tuple[AuthorMistake, Expression]],
) -> tuple[str, str, str, str] | None:
    """(diagnosis, message, rule, detail) of the first mistake that gives ``value``; the detail may reveal the
    answer. An author's mistake without a ``rule`` of its own gets the ask's general rule."""
    if not is_finite(value):
        return None
    state = problem.state
    for mistake, tree in mistakes:
        try:
            wrong, _ = evaluate_tree(tree, state.values)
        except EvaluationError:
            continue
        if matches(wrong, right, tolerance):
            continue  # the author's "mistake" is right at this point; it never fires
        if matches(value, wrong, tolerance):
            return mistake.id or "author", mistake.feedback, mistake.rule, ""
    fitting = [(rule, wrong) for rule, wrong in _rule_answers(problem, ask, right, tolerance)
               if matches(value, wrong, tolerance)]
    if not fitting:
        return None
    rule, wrong = fitting[0]
    message, general, detail = rule.explain(wrong, right)
    return rule.diagnosis, message + also_fits(rule.diagnosis, [other.diagnosis for other, _ in fitting]), general, \
        detail


def _rule_answers(problem: Problem, ask: Ask, right: Num, tolerance: Tolerance | None) -> list[tuple[Any, Num]]:
    """(rule, its wrong answer here) for every wrong rule that gives a finite answer other than the right one."""
    found = []
    for rule in wrong_rules(problem, ask):
        try:
            wrong = rule.compute(problem.state)
        except RULE_ERRORS:
            continue
        if is_finite(wrong) and not matches(wrong, right, tolerance):
            found.append((rule, wrong))
    return found


def _hint(problem: Problem, ask: Ask) -> str:
    """Where to look again, in this graph's names, without the rule's formula (that is GradeResult.rule)."""
    graph = problem.graph
    if ask.kind == "value":
        node = graph.nodes[ask.node]
        if node.is_input:
            return f"{ask.node} is an input: its value is given with the problem."
        return f"Work {ask.node} out again from the values of {_names(node.inputs)}."
    if ask.kind == "local":
        others = _names([name for name in graph.nodes[ask.node].inputs if name != ask.operand]) or "the rest"
        return (f"Differentiate {ask.node} = {graph.nodes[ask.node].formula} with respect to {ask.operand} alone, "
                f"holding {others} fixed, then put in this graph's values.")
    if ask.node == problem.output:
        return f"{problem.label(ask)} is the output's gradient with respect to itself."
    consumers = list(dict.fromkeys(edge.target for edge in problem.edges_out[ask.node]))
    return f"Follow the chain rule back from {problem.output} to {ask.node}, through {_names(consumers)}."


def _names(names: Sequence[str]) -> str:
    unique = list(dict.fromkeys(names))
    return unique[0] if len(unique) == 1 else ", ".join(unique[:-1]) + " and " + unique[-1] if unique else ""


def _worked(problem: Problem, ask: Ask) -> str:
    """The right answer worked out on this graph (``GradeResult.worked``): it gives the answer away."""
    state = problem.state
    graph = problem.graph
    right = problem.right_value(ask, state)
    label = problem.label(ask)
    if ask.kind == "value":
        node = graph.nodes[ask.node]
        if node.is_input:
            return f"{ask.node} is an input: {ask.node} = {describe(right)}."
        step = next(step for step in graph.forward_steps() if step.node_id == ask.node)
        sign = equals_sign(right, *state.arguments.get(ask.node, ()))
        return f"{ask.node} = {step.formula} = {step.substituted} {sign} {describe(right)}."
    if ask.kind == "local":
        edges = [edge for edge in problem.edges_into[ask.node] if edge.source == ask.operand]
        formula = " + ".join(edge.local_grad_formula for edge in edges)
        return f"For {ask.node} = {graph.nodes[ask.node].formula}: {label} = {formula} = {describe(right)}."
    if ask.node == problem.output:
        return f"{label} = 1: the gradient of the output with respect to itself."
    out_edges = problem.edges_out[ask.node]
    numbers = []
    shown: list[Num] = [right]
    for edge in out_edges[:MAX_SHOWN_PATHS]:
        local = state.locals[(edge.target, edge.slot)]
        shown.append(local)
        if edge.target == problem.output:
            numbers.append(factor(local))
        else:
            shown.append(state.grads[edge.target])
            numbers.append(f"{factor(state.grads[edge.target])} · {factor(local)}")
    worked = f"{label} = {chain_symbols(problem, ask.node)}"
    if len(out_edges) > 1 or out_edges[0].target != problem.output:
        worked += f" = {' + '.join(numbers)}{more_paths(len(out_edges))}"
    # Rounded factors do not multiply to the rounded result exactly, so the last step is "≈" then.
    return f"{worked} {equals_sign(*shown)} {describe(right)}."
