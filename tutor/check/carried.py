"""An earlier wrong value carried forward in a trace: "your method is right; it uses your z2 = 8, which is off".

In a trace the learner fills in ``value:`` and then ``grad:`` entries one after another, and a later
entry is worked out from the learner's own earlier ones. When one of those was off, the later
answer is wrong against the graph but right for the learner's numbers: the method is sound and
only the earlier slip needs fixing. :func:`grade_in_trace` grades an answer as :func:`grade` does,
then, if it is wrong, recomputes the asked quantity from the learner's own earlier entries (their
forward values pinned where they typed them, everything after recomputed from those; their gradients
pinned likewise) and, when the answer matches that, names the diagnosis ``carried-forward``.

The author's mistakes still come first (an author who foresaw the answer knows best); a built-in
reading that also fits is named as a second reading in the message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction

from tutor.check.ask_kinds import Ask, AskKind
from tutor.check.compare import matches
from tutor.check.models import DIAGNOSES, INCORRECT, AuthorMistake, GradeResult, Tolerance
from tutor.check.numbers import Num, add, apply_op, describe, evaluate_tree, is_finite, local_derivative, mul
from tutor.check.problem import Problem, prepare_problem
from tutor.check.rule_texts import chain_rule, value_rule
from tutor.check.rules import READINGS
from tutor.expr.convert import EvaluationError

# Not one of the wrong rules' ids (tutor.diagnosis_ids.BUILTIN_DIAGNOSES): it names no wrong rule, only that an
# earlier entry was off. Packs and practice do not know it yet (see the module doc of tutor.check).
CARRIED_FORWARD = "carried-forward"
_ERRORS = (EvaluationError, ZeroDivisionError, OverflowError)

# An entry the learner typed earlier: ("value", node) or ("grad", node).
Entry = tuple[str, str]


def grade_in_trace(
    program: str,
    at: Mapping[str, float],
    ask: str,
    answer: str,
    earlier: Mapping[str, str],
    tolerance: Tolerance | None = None,
    mistakes: Sequence[AuthorMistake] = (),
    time_budget: float | None = None,
) -> GradeResult:
    """Grade ``answer`` to ``ask`` in a trace where the learner already typed ``earlier`` entries.

    ``earlier`` maps ask texts (``"value:z2"``, ``"grad:z2"``) to what the learner last typed there,
    right or wrong; other asks and unreadable entries are ignored. Returns what :func:`tutor.check.grade`
    returns, except that a wrong answer that is right for the learner's own earlier numbers gets the
    diagnosis ``carried-forward``, a message naming those entries with the learner's own numbers (never
    the right ones), the rule for the first of them, and the usual worked answer.
    """
    from tutor.check.grader import _ask, _parse_answer, grade_answer

    problem = prepare_problem(program, at)
    result = grade_answer(problem, ask, answer, tolerance, mistakes, time_budget)
    if result.verdict != INCORRECT or (result.diagnosis is not None and result.diagnosis not in DIAGNOSES):
        return result
    the_ask = _ask(problem, ask)
    if the_ask.kind not in (AskKind.VALUE, AskKind.GRAD, AskKind.LOCAL):
        return result
    own = _own_entries(problem, earlier, the_ask, tolerance)
    if not own:
        return result
    parsed = _parse_answer(problem, the_ask, answer)
    if isinstance(parsed, GradeResult):
        return result
    tree, _ = parsed
    try:
        carried = _carried_value(problem, the_ask, own)
        given, _ = evaluate_tree(tree, _carried_values(problem, own))
    except _ERRORS:
        return result
    if not (is_finite(carried) and is_finite(given) and matches(given, carried, tolerance)):
        return result
    used = _entries_that_matter(problem, the_ask, own, carried, tolerance)
    if not used:
        return result
    names = [_entry_label(problem, entry) + f" = {describe(own[entry])}" for entry in used]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    which = "which is off. Fix that entry first" if len(names) == 1 else "which are off. Fix those entries first"
    message = f"Your method is right; it uses your {listed}, {which}."
    if result.diagnosis in READINGS:
        message += f" Another reading fits your answer too: {READINGS[result.diagnosis]}."
    kind, node = used[0]
    rule = value_rule(problem, node) if kind == "value" else chain_rule(problem, Ask(AskKind.GRAD, node))
    return GradeResult(INCORRECT, result.expected, CARRIED_FORWARD, message, worked=result.worked, rule=rule)


def _own_entries(problem: Problem, earlier: Mapping[str, str], ask: Ask,
                 tolerance: Tolerance | None) -> dict[Entry, Num]:
    """The learner's earlier entries that are off, as numbers (formulas are worked out at the graph's values)."""
    from tutor.check.grader import _ask, _parse_answer

    own: dict[Entry, Num] = {}
    for text, typed in (earlier or {}).items():
        if not isinstance(text, str) or not isinstance(typed, str) or text == ask.text:
            continue
        try:
            entry_ask = _ask(problem, text)
        except ValueError:  # RequestError: not an ask of this graph
            continue
        if entry_ask.kind not in (AskKind.VALUE, AskKind.GRAD):
            continue
        parsed = _parse_answer(problem, entry_ask, typed)
        if isinstance(parsed, GradeResult):
            continue
        try:
            value, _ = evaluate_tree(parsed[0], problem.state.values)
        except _ERRORS:
            continue
        right = problem.right_value(entry_ask, problem.state)
        if is_finite(value) and not matches(value, right, tolerance):
            own[(entry_ask.kind.value, entry_ask.node)] = value
    return own


def _carried_values(problem: Problem, own: Mapping[Entry, Num]) -> dict[str, Num]:
    values, _, _ = _forward(problem, own)
    return values


def _forward(problem: Problem, own: Mapping[Entry, Num]
             ) -> tuple[dict[str, Num], dict[tuple[str, int], Num], dict[str, list[Num]]]:
    """Forward values with the learner's pinned where they typed them, and the local derivatives from those."""
    graph = problem.graph
    values: dict[str, Num] = {}
    for name in graph.input_ids:
        values[name] = own.get(("value", name), problem.state.values[name])
    local_values: dict[tuple[str, int], Num] = {}
    arguments_of: dict[str, list[Num]] = {}
    for node_id in graph.computed_ids:
        node = graph.nodes[node_id]
        arguments = [values[operand.node_id] if operand.node_id is not None else problem.constants[(node_id, slot)]
                     for slot, operand in enumerate(node.operands)]
        result = own[("value", node_id)] if ("value", node_id) in own else apply_op(node.op, arguments)
        values[node_id] = result
        arguments_of[node_id] = arguments
        for edge in problem.edges_into[node_id]:
            local_values[(node_id, edge.slot)] = local_derivative(node.op, arguments, result, edge.slot)
    return values, local_values, arguments_of


def _carried_value(problem: Problem, ask: Ask, own: Mapping[Entry, Num]) -> Num:
    values, local_values, _ = _forward(problem, own)
    if ask.kind == AskKind.VALUE:
        return values[ask.node]
    if ask.kind == AskKind.LOCAL:
        total: Num = Fraction(0)
        for edge in problem.edges_into[ask.node]:
            if edge.source == ask.operand:
                total = add(total, local_values[(ask.node, edge.slot)])
        return total
    grads: dict[str, Num] = {node_id: Fraction(0) for node_id in problem.graph.order}
    grads[problem.output] = Fraction(1)
    for target in reversed(problem.graph.order):
        upstream = own.get(("grad", target), grads[target])
        grads[target] = upstream
        if target == ask.node:
            break
        for edge in problem.edges_into[target]:
            grads[edge.source] = add(grads[edge.source], mul(upstream, local_values[(target, edge.slot)]))
    return grads[ask.node]


def _entries_that_matter(problem: Problem, ask: Ask, own: Mapping[Entry, Num], carried: Num,
                         tolerance: Tolerance | None) -> list[Entry]:
    """A smallest set of the learner's off entries that gives the carried answer, the root causes kept.

    Entries are tried for removal gradients first (nearest the output first), then forward values from the
    latest back; one whose removal leaves the answer unchanged is dropped. So z2 = 8 followed by the
    dL/dz2 = 16 it implies names z2, where the slip began."""
    kept = dict(own)
    order = sorted(own, key=lambda entry: (entry[0] == "value", -problem.position[entry[1]]))
    for entry in order:
        rest = {key: value for key, value in kept.items() if key != entry}
        try:
            without = _carried_value(problem, ask, rest)
        except _ERRORS:
            continue
        if matches(without, carried, tolerance):
            kept = rest
    if not kept:
        return []
    try:
        if matches(_carried_value(problem, ask, {}), carried, tolerance):
            return []  # the answer does not depend on the learner's entries at all
    except _ERRORS:
        pass
    return sorted(kept, key=lambda entry: (entry[0] != "value", problem.position[entry[1]]))


def _entry_label(problem: Problem, entry: Entry) -> str:
    kind, node = entry
    return node if kind == "value" else f"d{problem.output}/d{node}"
