"""Second derivatives: the ask ``derivative2:VAR``, a formula for d²L/dVAR², judged as a function.

The right second derivative comes from two independent sources that must agree:

* sympy differentiates the graph's first derivative (``graph.sympy_grads[VAR]``) once more;
  this formula is what the learner's answer is compared with, exactly at rational points;
* the engine runs ``backward(create_graph=True)``, which records dL/dVAR as a graph of
  Values, and backpropagates through that graph (:func:`tutor.engine.higher_order.gradient`).

Every point the checker uses (the given one and the random ones) is checked both ways; a
disagreement is a bug in the tutor and raises :class:`GraphConsistencyError`, never a verdict.

Grading then follows ``derivative:`` (see :mod:`tutor.check.formula`): a clear disagreement at
some random point is incorrect (the author's mistakes are tried as functions, and an answer
that is the *first* derivative is told so); otherwise the algebra worker confirms the identity
within its time budget, or the answer is "unchecked".
"""

from __future__ import annotations

from collections.abc import Sequence

from tutor.check.ask_kinds import Ask
from tutor.check.formula import confirm_with_algebra, disagreement_message
from tutor.check.models import CORRECT, INCORRECT, UNCHECKED, AuthorMistake, GradeResult, Tolerance
from tutor.check.numbers import Num, is_finite, to_float
from tutor.check.problem import PointState, Problem
from tutor.check.rule_texts import ask_rule
from tutor.check.sampling import AGREE, DISAGREE, UNDEFINED, Sample, classify, same_function, sample

# engine_second_derivative and second_derivative_at are re-exported (the `as` form marks that for mypy and ruff).
from tutor.check.second_values import engine_second_derivative as engine_second_derivative
from tutor.check.second_values import second_derivative_at as second_derivative_at
from tutor.check.second_values import second_derivative_text
from tutor.expr.tree import Expression

ASK_KIND = "derivative2"


# ---------------------------------------------------------------------------- grading


def _right_values(problem: Problem, ask: Ask) -> tuple[list[PointState], list[Num]]:
    states, right = [], []
    for state in problem.random_states():
        value = second_derivative_at(problem, ask.node, state)
        if value is not None and is_finite(value):
            states.append(state)
            right.append(value)
    return states, right


def grade_second_derivative(
    problem: Problem,
    ask: Ask,
    tree: Expression,
    answer: str,
    tolerance: Tolerance | None,
    mistakes: Sequence[tuple[AuthorMistake, Expression]],
    budget: float | None,
) -> GradeResult:
    expected_text = second_derivative_text(problem, ask.node)
    label = problem.label(ask)
    states, right = _right_values(problem, ask)
    samples = [sample(tree, state) for state in states]
    verdicts = [classify(sample, value) for sample, value in zip(samples, right)]

    def result(verdict: str, message: str, diagnosis: str | None = None, rule: str = "") -> GradeResult:
        # The message never holds the right formula; "worked" does, for when the learner has had their tries.
        return GradeResult(verdict=verdict, expected=expected_text, diagnosis=diagnosis, message=message,
                           worked=f"{label} = {expected_text}." if verdict in (CORRECT, INCORRECT) else "",
                           rule=(rule or ask_rule(problem, ask)) if verdict == INCORRECT else "")

    if DISAGREE in verdicts or (verdicts and all(verdict == UNDEFINED for verdict in verdicts)):
        for mistake, mistake_tree in mistakes:
            mistake_samples = [sample(mistake_tree, state) for state in states]
            if same_function(mistake_samples, right):
                continue  # the author's "mistake" is right here; it never fires
            wrong = [sample.value for sample in mistake_samples]
            if all(value is not None for value in wrong) and same_function(samples, wrong):  # type: ignore[arg-type]
                return result(INCORRECT, mistake.feedback, mistake.id or "author", mistake.rule)
        first = [state.grads[ask.node] for state in states]
        if same_function(samples, first) and not same_function([Sample(value, 0.0) for value in first], right):
            return result(INCORRECT, f"That is the first derivative d{problem.output}/d{ask.node}. Differentiate it "
                                     f"once more with respect to {ask.node}.")
        slip = _constant_factor_slip(problem, samples, right, label)
        if slip is not None:
            return result(INCORRECT, slip[1], slip[0])
        return result(INCORRECT, disagreement_message(states, samples, right, verdicts, label, tolerance))
    if AGREE not in verdicts:
        return result(UNCHECKED, "This formula could not be compared at any test point, so it was not graded "
                                 "(it is not marked wrong).")
    return confirm_with_algebra(problem, ask, answer, states, label, expected_text, result, budget, order=2)


def _constant_factor_slip(problem: Problem, samples: Sequence[Sample], right: Sequence[Num],
                          label: str) -> tuple[str, str] | None:
    """(diagnosis, message) when the answer is the right second derivative times a constant at every test point:
    −1 is a sign slip; another factor is one dropped (or added) on the second pass, by an exponent the power rule
    brings down or by an inner function's derivative. The factor itself is never named: it is the answer in one step."""
    ratios = [to_float(sample.value) / to_float(value) for sample, value in zip(samples, right)
              if sample.value is not None and is_finite(sample.value) and is_finite(value) and value != 0]
    if len(ratios) < 2 or any(abs(ratio - ratios[0]) > 1e-9 * max(1.0, abs(ratios[0])) for ratio in ratios):
        return None
    ratio = ratios[0]
    if abs(ratio - 1) <= 1e-9 or ratio == 0:
        return None
    if abs(ratio + 1) <= 1e-9:
        return "sign-flip", (f"Your formula has the wrong sign: it is −{label}. Check each minus sign as you "
                             f"differentiate the second time.")
    if len({to_float(value) for value in right}) <= 1:
        return None  # the right answer is a constant: any number is a constant times it, which names nothing
    ops = {problem.graph.nodes[node].op for node in problem.graph.computed_ids}
    diagnosis = "missing-inner-derivative" if ops & {"exp", "log", "tanh", "sigmoid"} else "power-rule"
    how = "short of" if abs(ratio) < 1 else "off by"
    return diagnosis, (f"Your formula is {label} {how} a constant factor at every point: a factor was "
                       f"{'dropped' if abs(ratio) < 1 else 'added'} on the way, an exponent the power rule brings "
                       f"down or an inner function's derivative, in the first or the second differentiation.")


def coinciding_second_derivative_mistakes(problem: Problem, ask: Ask,
                                          mistakes: Sequence[tuple[AuthorMistake, Expression]]) -> list[str]:
    """Author mistakes that are the right second derivative as a function (they would mark a right answer wrong)."""
    states, right = _right_values(problem, ask)
    return list(dict.fromkeys(mistake.id or "author" for mistake, tree in mistakes
                              if same_function([sample(tree, state) for state in states], right)))
