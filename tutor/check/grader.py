"""Grade one answer: parse it safely, compare it with the right answer, name the mistake.

Numbers (``value:``, ``grad:``, ``local:``) are graded in-process with exact arithmetic and
no sympy, so they take well under a millisecond once the problem is prepared. Formulas
(``derivative:``) go through :mod:`tutor.check.formula`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from tutor.check.ask_kinds import FORMULA_ASK_KINDS, Ask, AskKind
from tutor.check.asks import implementation
from tutor.check.compare import EXACT, ROUNDED, compare_numbers, matches, number_text, precise_text
from tutor.check.models import (
    CORRECT,
    INCORRECT,
    INVALID,
    UNCHECKED,
    AuthorMistake,
    GradeRequest,
    GradeResult,
    RequestError,
    Tolerance,
)
from tutor.check.number_asks import TOO_LARGE, within_rounding_noise
from tutor.check.numbers import Num, describe, evaluate_tree, is_finite
from tutor.check.problem import Problem, prepare_problem
from tutor.check.rule_texts import SIGN
from tutor.check.worker import warm_up
from tutor.expr import AnswerLabel, ParseError, parse_expression, split_answer
from tutor.expr.convert import EvaluationError
from tutor.expr.tree import Expression, column_of_name, names_in

# ---------------------------------------------------------------------------- public entry points


def grade(request: GradeRequest) -> GradeResult:
    """Grade ``request.answer``. Raises RequestError when the request itself is unusable."""
    _start_algebra_for(request.ask)
    problem = prepare_problem(request.program, request.at)
    return grade_answer(problem, request.ask, request.answer, request.tolerance, request.mistakes, request.time_budget)


def grade_answer(
    problem: Problem,
    ask: str,
    answer: str,
    tolerance: Tolerance | None = None,
    mistakes: Sequence[AuthorMistake] = (),
    time_budget: float | None = None,
) -> GradeResult:
    """Grade an answer on a prepared problem (``prepare_problem`` or ``Problem(graph)``)."""
    _start_algebra_for(ask)
    the_ask = _ask(problem, ask)
    _check_tolerance(tolerance)
    expected = _expected_text(problem, the_ask, tolerance)
    author = _author_mistakes(problem, the_ask, mistakes)
    parsed = _parse_answer(problem, the_ask, answer)
    if isinstance(parsed, GradeResult):
        return GradeResult(INVALID, expected, None, parsed.message, parsed.column)
    tree, expression_text = parsed
    return implementation(the_ask.kind).grade(problem, the_ask, tree, expression_text, expected, tolerance, author,
                                              time_budget)


def expected_answer(request: GradeRequest, problem: Problem | None = None) -> str:
    """The right answer as text (a number, or a formula for ``derivative:``) that grades correct.

    ``problem``: the request's graph already prepared (e.g. ``Problem(build_graph(..., symbolic=False))``)."""
    problem = problem or prepare_problem(request.program, request.at)
    return _expected_text(problem, _ask(problem, request.ask), request.tolerance)


def coinciding_mistakes(request: GradeRequest, problem: Problem | None = None) -> list[str]:
    """Ids of the wrong rules and author mistakes that give the right answer for this request.

    A problem variant where, say, b = 1 makes "multiply by your own value" give the right
    number can't tell a learner's mistake from understanding, so ``validate`` rejects it.
    Built-in rules that equal the right answer at *every* point (the rule is simply right on
    this graph, like "forget dL/dL = 1") are not reported: no variant could avoid them.
    ``problem`` as for :func:`expected_answer`.
    """
    problem = problem or prepare_problem(request.program, request.at)
    ask = _ask(problem, request.ask)
    _check_tolerance(request.tolerance)
    author = _author_mistakes(problem, ask, request.mistakes)
    return implementation(ask.kind).coinciding(problem, ask, request.tolerance, author)


class WrongAnswer(NamedTuple):
    """What one wrong rule (or author mistake) answers for an ask: ``(diagnosis, answer, coincides)``."""

    diagnosis: str  # a built-in diagnosis id, or the author mistake's id ("author" without one)
    answer: str  # the number it gives at the problem's point (for derivative asks: the formula's value there)
    coincides: bool  # it gives the right answer here, so it can never fire (validate reports it)


def wrong_answers(request: GradeRequest, problem: Problem | None = None) -> list[WrongAnswer]:
    """Every built-in wrong rule and author mistake for this ask with the answer it gives, in the order the
    grader tries them (author mistakes first). One entry per distinct (diagnosis, answer); a rule that cannot
    be computed here is left out. This is what an author needs to write ``tests`` without guessing.
    ``problem`` as for :func:`expected_answer`."""
    problem = problem or prepare_problem(request.program, request.at)
    ask = _ask(problem, request.ask)
    _check_tolerance(request.tolerance)
    author = _author_mistakes(problem, ask, request.mistakes)
    state = problem.state
    right = problem.right_value(ask, state)
    found: list[WrongAnswer] = []

    def add(diagnosis: str, value: Num) -> None:
        if not is_finite(value):
            return
        entry = WrongAnswer(diagnosis, number_text(value, request.tolerance),
                            is_finite(right) and matches(value, right, request.tolerance))
        if entry not in found:
            found.append(entry)

    for mistake, tree in author:
        try:
            value, _ = evaluate_tree(tree, state.values)
        except (EvaluationError, ZeroDivisionError, OverflowError):
            continue
        add(mistake.id or "author", value)
    if ask.kind in (AskKind.VALUE, AskKind.GRAD, AskKind.LOCAL, AskKind.DERIVATIVE):
        from tutor.check.rules import wrong_rules

        for rule in wrong_rules(problem, ask):
            try:
                value = rule.compute(state)
            except (EvaluationError, ZeroDivisionError, OverflowError):
                continue
            add(rule.diagnosis, value)
    return found


# ---------------------------------------------------------------------------- pieces


def _start_algebra_for(ask: Any) -> None:
    """A formula answer is confirmed by the algebra process: start it (once per process) as soon as a formula
    ask arrives, so that its start, importing sympy, overlaps building the graph, its formulas and the sampled
    points instead of following them (a one-shot ``grade`` of a 300-term derivative waited 0.7 s for it)."""
    if isinstance(ask, str) and ask.partition(":")[0].strip() in FORMULA_ASK_KINDS:
        warm_up()


def _ask(problem: Problem, text: str) -> Ask:
    key = ("ask", text)
    if key not in problem.memo:
        problem.memo[key] = problem.parse_ask(text)
    return problem.memo[key]


def _check_tolerance(tolerance: Any) -> None:
    if tolerance is not None and not isinstance(tolerance, Tolerance):
        raise RequestError(f"tolerance must be a Tolerance, not {tolerance!r}")


def _expected_text(problem: Problem, ask: Ask, tolerance: Tolerance | None) -> str:
    return implementation(ask.kind).expected_text(problem, ask, tolerance)


def _author_mistakes(problem: Problem, ask: Ask, mistakes: Sequence[AuthorMistake]) -> list[tuple[AuthorMistake, Expression]]:
    parsed: list[tuple[AuthorMistake, Expression]] = []
    for mistake in mistakes or ():
        if not isinstance(mistake, AuthorMistake):
            raise RequestError(f"a mistake must be an AuthorMistake, not {mistake!r}")
        key = ("mistake", ask, mistake.answer)
        if key not in problem.memo:
            try:
                problem.memo[key] = parse_expression(mistake.answer, allowed_names=problem.allowed_names(ask))
            except ParseError as error:
                raise RequestError(f"the author mistake {mistake.answer!r} is not a valid answer to "
                                   f"{ask.text}: {error}") from None
        parsed.append((mistake, problem.memo[key]))
    return parsed


def _invalid(message: str, column: int | None) -> GradeResult:
    return GradeResult(INVALID, "", None, message, column)


def _parse_answer(problem: Problem, ask: Ask, answer: str) -> tuple[Expression, str] | GradeResult:
    """The answer's tree and its text without a label (``dL/da = 42`` -> ``42``, columns kept), or why not."""
    try:
        stated = split_answer(answer)
        if stated.label is not None:
            refused = _label_refused(problem, ask, stated.label)
            if refused:
                return _invalid(f"column {stated.label.column}: {refused}", stated.label.column)
        # The grammar first, with every node name known so that y(1-y) multiplies; whether this
        # ask may use each name is checked below, in words about the graph.
        tree = parse_expression(stated.expression_text, known_names=problem.graph.order)
    except ParseError as error:
        return _invalid(str(error), error.column)
    allowed = problem.allowed_names(ask)
    for name in names_in(tree):
        if name in allowed:
            continue
        column = column_of_name(tree, name)
        if name in problem.graph.nodes:  # a node, but not one a forward value may be written with
            if name == ask.node:
                reason = f"{name} is the value you are asked for"
            elif name in problem.descendants(ask.node):
                reason = f"{name} is computed from {ask.node}, so it can't be used to find {ask.node}"
            else:
                reason = f"{name} is not used to compute {ask.node}"
            hint = f"; you can use {', '.join(sorted(allowed))}" if allowed else "; write a number"
            return _invalid(f"column {column}: {reason}{hint}", column)
        try:  # the parser words unknown names best ("did you mean a*b?"), listing only this ask's names
            parse_expression(name, allowed_names=allowed)
        except ParseError as error:
            return _invalid(f"column {column}: {error.message}", column)
    return tree, stated.expression_text


def _label_refused(problem: Problem, ask: Ask, label: AnswerLabel) -> str | None:
    """Why the left of '=' is not the asked quantity, naming both; None when it is."""
    output = problem.output
    kind = ask.kind
    if label.kind == "leibniz":
        if kind in (AskKind.GRAD, AskKind.DERIVATIVE, AskKind.DERIVATIVE2):
            wanted_order = 2 if kind == AskKind.DERIVATIVE2 else 1
            fits = (label.numerator, label.variable, label.order) == (output, ask.node, wanted_order)
        elif kind == AskKind.LOCAL:
            fits = (label.numerator, label.variable, label.order) == (ask.node, ask.operand, 1)
        else:
            fits = False
        written = label.text
    elif label.kind == "grad":  # micrograd's a.grad is dL/da
        fits = kind in (AskKind.GRAD, AskKind.DERIVATIVE) and label.variable == ask.node
        written = f"{label.text} (d{output}/d{label.variable})"
    else:
        name = label.variable
        # CS231n writes dL/da as 'da'; only when no node is called that.
        gradient_name = name == f"d{ask.node}" and name not in problem.graph.nodes
        fits = ((kind == AskKind.VALUE and name == ask.node)
                or (kind in (AskKind.GRAD, AskKind.DERIVATIVE) and gradient_name))
        if name in problem.graph.nodes:
            written = f"the value of {name}"
        elif name[1:] in problem.graph.nodes and name.startswith("d"):
            written = f"{name} (d{output}/d{name[1:]})"
        else:
            written = f"'{name}'"
    if fits:
        return None
    asked = f"the value of {ask.node}" if kind == AskKind.VALUE else problem.label(ask)
    how = f"{ask.node} = ..." if kind == AskKind.VALUE else f"{problem.label(ask)} = ..."
    return (f"the left of '=' names {written}, but this question asks for {asked}; "
            f"write '{how}' or just the answer")


# ---------------------------------------------------------------------------- numeric problems


def grade_numeric(
    answer: str,
    expected: str,
    tolerance: Tolerance | None = None,
    mistakes: Sequence[AuthorMistake] = (),
) -> GradeResult:
    """Grade a plain number against ``expected``, an expression such as ``0.25^10`` (no names)."""
    _check_tolerance(tolerance)
    right = _numeric_value(expected, "the expected answer")
    expected_text = number_text(right, tolerance)
    try:
        stated = split_answer(answer)  # '42=' is 42; a named left side has nothing to name here
        if stated.label is not None:
            return GradeResult(INVALID, expected_text, None,
                               f"column {stated.label.column}: the answer is a number; write it without "
                               f"'{stated.label.text} ='", stated.label.column)
        tree = parse_expression(stated.expression_text)
    except ParseError as error:
        return GradeResult(INVALID, expected_text, None, str(error), error.column)
    names = names_in(tree)
    if names:
        column = column_of_name(tree, names[0])
        return GradeResult(INVALID, expected_text, None,
                           f"column {column}: the answer is a number; '{names[0]}' has no value here", column)
    worked = _numeric_worked(expected, right)
    try:
        value, largest = evaluate_tree(tree, {})
    except EvaluationError as error:
        return GradeResult(INCORRECT, expected_text, None, f"Your answer has no value: {error.message}.",
                           worked=worked, rule=NUMERIC_RULE)
    if not is_finite(value):
        return GradeResult(UNCHECKED, expected_text, None, TOO_LARGE)
    outcome = compare_numbers(value, right, tolerance)
    if outcome == EXACT:
        return GradeResult(CORRECT, expected_text, None, f"Correct: {describe(right)}.", worked=worked)
    if outcome == ROUNDED:
        return GradeResult(CORRECT, expected_text, None,
                           f"Correct (rounded): the exact value is {precise_text(right)}.", rounded=True, worked=worked)
    if within_rounding_noise(value, right, largest):
        return GradeResult(UNCHECKED, expected_text, None, TOO_LARGE)
    for mistake in mistakes or ():
        if not isinstance(mistake, AuthorMistake):
            raise RequestError(f"a mistake must be an AuthorMistake, not {mistake!r}")
        wrong = _numeric_value(mistake.answer, "the author mistake")
        if not matches(wrong, right, tolerance) and matches(value, wrong, tolerance):
            return GradeResult(INCORRECT, expected_text, mistake.id or "author", mistake.feedback, worked=worked,
                               rule=mistake.rule or NUMERIC_RULE)
    if is_finite(value) and value != 0 and matches(-value, right, tolerance):
        return GradeResult(INCORRECT, expected_text, "sign-flip",
                           f"Check the sign: you gave {describe(value)}; go over each step's sign again.",
                           worked=worked, rule=f"{SIGN[0].upper()}{SIGN[1:]}.")
    return GradeResult(INCORRECT, expected_text, None, f"Not quite: you gave {describe(value)}.", worked=worked,
                       rule=NUMERIC_RULE)


# A numeric problem has no graph to name a rule in; this is the general advice for a second try.
NUMERIC_RULE = ("Work the arithmetic again step by step from the problem's own quantities, keeping every factor "
                "and sign; write fractions exactly where you can.")


def _numeric_worked(expected: str, right: Num) -> str:
    """The answer, with the author's expression when it shows the arithmetic (0.25^10 = 9.537e-07)."""
    value = describe(right)
    shown = " ".join(expected.split())
    return f"The answer is {value}." if shown in (value, number_text(right)) else f"The answer is {shown} = {value}."


def _numeric_value(text: str, what: str) -> Num:
    try:
        tree = parse_expression(text, allowed_names=set())
        value, _ = evaluate_tree(tree, {})
    except (ParseError, EvaluationError) as error:
        raise RequestError(f"{what} {text!r} is not a number: {error}") from None
    if not is_finite(value):
        raise RequestError(f"{what} {text!r} has no finite value")
    return value


def request_from_mapping(record: Mapping[str, Any]) -> GradeRequest:
    """A GradeRequest from a JSON-like mapping (used by ``backprop-tutor grade``)."""
    tolerance = record.get("tolerance")
    if tolerance is not None:
        if not isinstance(tolerance, Mapping) or set(tolerance) - {"rel", "abs"}:
            raise RequestError("'tolerance' must be an object with 'rel' and/or 'abs'")
        tolerance = Tolerance(**{key: tolerance[key] for key in ("rel", "abs") if key in tolerance})
    mistakes = []
    for item in record.get("mistakes") or []:
        if not isinstance(item, Mapping) or not isinstance(item.get("answer"), str) or not isinstance(item.get("feedback"), str):
            raise RequestError("each mistake needs text 'answer' and 'feedback' (and optionally 'id' and 'rule')")
        mistake_id = item.get("id")
        if mistake_id is not None and not isinstance(mistake_id, str):
            raise RequestError("a mistake's 'id' must be text")
        rule = item.get("rule", "")
        if not isinstance(rule, str):
            raise RequestError("a mistake's 'rule' must be text")
        mistakes.append(AuthorMistake(answer=item["answer"], feedback=item["feedback"], id=mistake_id, rule=rule))
    for field in ("program", "ask", "answer"):
        if not isinstance(record.get(field), str):
            raise RequestError(f"'{field}' must be text")
    if not isinstance(record.get("at"), Mapping):
        raise RequestError("'at' must be an object mapping input names to numbers")
    return GradeRequest(program=record["program"], at=dict(record["at"]), ask=record["ask"], answer=record["answer"],
                        tolerance=tolerance, mistakes=mistakes)
