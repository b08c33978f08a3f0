"""The right second derivative d²L/dVAR² of a prepared problem: sympy, checked against the engine.

Below :mod:`tutor.check.problem` (which needs it for ``derivative2:`` right values) and above
nothing in the checker: it takes the prepared problem as any object with ``graph``, ``memo``
and ``state``, so the problem module can import it without a cycle. Grading lives in
:mod:`tutor.check.second`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from tutor.check.models import RequestError
from tutor.check.numbers import Num, to_float
from tutor.engine import Value
from tutor.engine.higher_order import gradient
from tutor.expr import ParseError, parse_expression
from tutor.graph.build import GraphConsistencyError, apply_engine_op  # the same op semantics as the graph builder

_ENGINE_AGREEMENT = 1e-7  # relative; the engine works in floats through two backward passes

# ---------------------------------------------------------------------------- the right answer


def second_derivative_expression(problem: Any, variable: str) -> Any:
    """d²output/dvariable² as a sympy expression in the inputs (once per problem and variable)."""
    key = ("second-derivative", variable)
    if key not in problem.memo:
        import sympy

        symbol = sympy.Symbol(variable, real=True)
        problem.memo[key] = sympy.diff(problem.graph.sympy_grads[variable], symbol)
    return problem.memo[key]


def second_derivative_text(problem: Any, variable: str) -> str:
    key = ("second-derivative-text", variable)
    if key not in problem.memo:
        import sympy

        from tutor.check.printing import answer_text  # deferred: it imports sympy

        problem.memo[key] = answer_text(sympy.factor_terms(second_derivative_expression(problem, variable)))
    return problem.memo[key]


def prepare_second_derivative(problem: Any, variable: str) -> None:
    """Reject what the answer language can't write, and check sympy against the engine at the given point."""
    import sympy

    expression = second_derivative_expression(problem, variable)
    if expression.has(sympy.Heaviside, sympy.DiracDelta):
        raise RequestError(f"the second derivative with respect to {variable} passes through relu, whose slope is a "
                           f"step function the answer language can't write")
    value = second_derivative_at(problem, variable, problem.state)
    if value is None:
        raise RequestError(f"derivative2:{variable} has no finite value at these inputs")
    try:  # the right answer must itself be an answer a learner could type
        parse_expression(second_derivative_text(problem, variable), allowed_names=set(problem.graph.order))
    except ParseError as error:
        raise RequestError(f"the second derivative with respect to {variable} is too big to write as an answer "
                           f"({error.message}); ask about a smaller program") from None


def second_derivative_at(problem: Any, variable: str, state: Any) -> Num | None:
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
