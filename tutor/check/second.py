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

import math
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from tutor.check.formula import confirm_with_algebra, disagreement_message
from tutor.check.models import CORRECT, INCORRECT, UNCHECKED, AuthorMistake, GradeResult, RequestError, Tolerance
from tutor.check.numbers import Num, is_finite, to_float
from tutor.check.problem import Ask, PointState, Problem
from tutor.check.sampling import AGREE, DISAGREE, UNDEFINED, Sample, classify, same_function, sample
from tutor.expr.tree import Expression

ASK_KIND = "derivative2"
_ENGINE_AGREEMENT = 1e-7  # relative; the engine works in floats through two backward passes


# ---------------------------------------------------------------------------- the right answer


def second_derivative_expression(problem: Problem, variable: str) -> Any:
    """d²output/dvariable² as a sympy expression in the inputs (once per problem and variable)."""
    key = ("second-derivative", variable)
    if key not in problem.memo:
        import sympy

        symbol = sympy.Symbol(variable, real=True)
        problem.memo[key] = sympy.diff(problem.graph.sympy_grads[variable], symbol)
    return problem.memo[key]


def second_derivative_text(problem: Problem, variable: str) -> str:
    key = ("second-derivative-text", variable)
    if key not in problem.memo:
        import sympy

        from tutor.check.printing import answer_text

        problem.memo[key] = answer_text(sympy.factor_terms(second_derivative_expression(problem, variable)))
    return problem.memo[key]


def prepare_second_derivative(problem: Problem, variable: str) -> None:
    """Reject what the answer language can't write, and check sympy against the engine at the given point."""
    import sympy

    expression = second_derivative_expression(problem, variable)
    if expression.has(sympy.Heaviside, sympy.DiracDelta):
        raise RequestError(f"the second derivative with respect to {variable} passes through relu, whose slope is a "
                           f"step function the answer language can't write")
    value = second_derivative_at(problem, variable, problem.state)
    if value is None:
        raise RequestError(f"derivative2:{variable} has no finite value at these inputs")
    from tutor.expr import ParseError, parse_expression

    try:  # the right answer must itself be an answer a learner could type
        parse_expression(second_derivative_text(problem, variable), allowed_names=set(problem.graph.order))
    except ParseError as error:
        raise RequestError(f"the second derivative with respect to {variable} is too big to write as an answer "
                           f"({error.message}); ask about a smaller program") from None


def second_derivative_at(problem: Problem, variable: str, state: PointState) -> Num | None:
    """The second derivative at ``state``'s inputs: exact when rational; None where it has no finite value.

    Checked against the engine's create_graph second derivative on every call (then cached).
    """
    key = ("second-derivative-at", variable, tuple(sorted(state.inputs.items())))
    if key in problem.memo:
        return problem.memo[key]
    symbolic = _sympy_value(second_derivative_expression(problem, variable), state.inputs)
    if symbolic is not None:
        try:
            engine = engine_second_derivative(problem.graph, variable,
                                              {name: to_float(value) for name, value in state.inputs.items()})
        except (ArithmeticError, ValueError):
            engine = math.nan  # the engine refuses this point (a domain edge); sympy alone can't be trusted
        if not math.isfinite(engine):
            symbolic = None
        elif not _agree(to_float(symbolic), engine):
            from tutor.graph.build import GraphConsistencyError

            point = ", ".join(f"{name} = {to_float(value)!r}" for name, value in state.inputs.items())
            raise GraphConsistencyError(
                f"sympy and the engine disagree on the second derivative with respect to {variable} of "
                f"{problem.graph.program_text!r} at {point}: {to_float(symbolic)!r} vs {engine!r}")
    problem.memo[key] = symbolic
    return symbolic


def _sympy_value(expression: Any, inputs: Mapping[str, Num]) -> Num | None:
    import sympy

    substitution = {sympy.Symbol(name, real=True): (sympy.Rational(value.numerator, value.denominator)
                                                     if isinstance(value, Fraction) else sympy.Float(value, 30))
                    for name, value in inputs.items()}
    try:
        value = expression.xreplace(substitution)
        if value.is_Rational:
            return Fraction(int(value.p), int(value.q))
        number = complex(sympy.N(value, 30))
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None
    if abs(number.imag) > 1e-12 * max(1.0, abs(number.real)) or not math.isfinite(number.real):
        return None
    return number.real


def _agree(ours: float, engine: float) -> bool:
    return math.isclose(ours, engine, rel_tol=_ENGINE_AGREEMENT, abs_tol=1e-9)


def engine_second_derivative(graph: Any, variable: str, point: Mapping[str, float]) -> float:
    """d²output/dvariable² from the scalar engine: backward with create_graph, then backward again."""
    from tutor.engine import Value
    from tutor.engine.higher_order import gradient
    from tutor.graph.build import apply_engine_op  # the same op semantics as the graph builder

    values: dict[str, Any] = {name: Value(float(point[name])) for name in graph.input_ids}
    for node_id in graph.computed_ids:
        node = graph.nodes[node_id]
        arguments = [values[operand.node_id] if operand.node_id is not None else float(operand.constant)
                     for operand in node.operands]
        values[node_id] = apply_engine_op(node.op, arguments)
    output, target = values[graph.output], values[variable]
    (first,) = gradient(output, [target], create_graph=True)
    (second,) = gradient(first, [target])
    return float(second)


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

    def result(verdict: str, message: str, diagnosis: str | None = None) -> GradeResult:
        # The message never holds the right formula; "worked" does, for when the learner has had their tries.
        return GradeResult(verdict=verdict, expected=expected_text, diagnosis=diagnosis, message=message,
                           worked=f"{label} = {expected_text}." if verdict in (CORRECT, INCORRECT) else "")

    if DISAGREE in verdicts or (verdicts and all(verdict == UNDEFINED for verdict in verdicts)):
        for mistake, mistake_tree in mistakes:
            mistake_samples = [sample(mistake_tree, state) for state in states]
            if same_function(mistake_samples, right):
                continue  # the author's "mistake" is right here; it never fires
            wrong = [sample.value for sample in mistake_samples]
            if all(value is not None for value in wrong) and same_function(samples, wrong):  # type: ignore[arg-type]
                return result(INCORRECT, mistake.feedback, mistake.id or "author")
        first = [state.grads[ask.node] for state in states]
        if same_function(samples, first) and not same_function([Sample(value, 0.0) for value in first], right):
            return result(INCORRECT, f"That is the first derivative d{problem.output}/d{ask.node}. Differentiate it "
                                     f"once more with respect to {ask.node}.")
        return result(INCORRECT, disagreement_message(states, samples, right, verdicts, label, tolerance))
    if AGREE not in verdicts:
        return result(UNCHECKED, "This formula could not be compared at any test point, so it was not graded "
                                 "(it is not marked wrong).")
    return confirm_with_algebra(problem, ask, answer, states, label, expected_text, result, budget, order=2)


def coinciding_second_derivative_mistakes(problem: Problem, ask: Ask,
                                          mistakes: Sequence[tuple[AuthorMistake, Expression]]) -> list[str]:
    """Author mistakes that are the right second derivative as a function (they would mark a right answer wrong)."""
    states, right = _right_values(problem, ask)
    return list(dict.fromkeys(mistake.id or "author" for mistake, tree in mistakes
                              if same_function([sample(tree, state) for state in states], right)))
