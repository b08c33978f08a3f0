"""One implementation per ask kind, behind a registry: the grader looks a kind up, never switches on it.

Each kind says how to write its right answer, how to grade a parsed answer and which of the
author's mistakes (and wrong rules) coincide with the right answer. A new ask kind is one more
class here and one more entry in ``ASK_KINDS``; :mod:`tutor.check.grader` doesn't change.
``layer`` quantities are asked of a network, not a program, and are graded by
:mod:`tutor.check.matrix` (:class:`LayerAsk` says so when asked of a program).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from tutor.check.ask_kinds import Ask, AskKind
from tutor.check.compare import number_text
from tutor.check.formula import grade_formula
from tutor.check.models import AuthorMistake, GradeResult, RequestError, Tolerance
from tutor.check.number_asks import coinciding_number_mistakes, grade_number
from tutor.check.problem import Problem
from tutor.check.sampling import same_function, sample
from tutor.check.second import coinciding_second_derivative_mistakes, grade_second_derivative
from tutor.check.second_values import second_derivative_text
from tutor.expr.tree import Expression

AuthorTrees = Sequence[tuple[AuthorMistake, Expression]]

__all__ = ["ASK_KINDS", "AskImplementation", "AskKind", "implementation"]


class AskImplementation(Protocol):
    def expected_text(self, problem: Problem, ask: Ask, tolerance: Tolerance | None) -> str: ...

    def grade(self, problem: Problem, ask: Ask, tree: Expression, answer: str, expected: str,
              tolerance: Tolerance | None, author: AuthorTrees, budget: float | None) -> GradeResult: ...

    def coinciding(self, problem: Problem, ask: Ask, tolerance: Tolerance | None, author: AuthorTrees) -> list[str]: ...


class NumberAsk:
    """``value:``, ``grad:`` and ``local:``: a number at the given point, graded exactly."""

    def expected_text(self, problem: Problem, ask: Ask, tolerance: Tolerance | None) -> str:
        return number_text(problem.right_value(ask, problem.state), tolerance)

    def grade(self, problem: Problem, ask: Ask, tree: Expression, answer: str, expected: str,
              tolerance: Tolerance | None, author: AuthorTrees, budget: float | None) -> GradeResult:
        return grade_number(problem, ask, tree, expected, tolerance, author)

    def coinciding(self, problem: Problem, ask: Ask, tolerance: Tolerance | None, author: AuthorTrees) -> list[str]:
        return coinciding_number_mistakes(problem, ask, tolerance, author)


class DerivativeAsk:
    """``derivative:VAR``: a formula for dL/dVAR, judged as a function (:mod:`tutor.check.formula`)."""

    def expected_text(self, problem: Problem, ask: Ask, tolerance: Tolerance | None) -> str:
        return problem.derivative_text(ask.node)

    def grade(self, problem: Problem, ask: Ask, tree: Expression, answer: str, expected: str,
              tolerance: Tolerance | None, author: AuthorTrees, budget: float | None) -> GradeResult:
        return grade_formula(problem, ask, tree, answer, tolerance, author, budget)

    def coinciding(self, problem: Problem, ask: Ask, tolerance: Tolerance | None, author: AuthorTrees) -> list[str]:
        # Only author mistakes: a built-in rule that is the right function here can't be avoided by a variant.
        states = problem.random_states()
        right = [state.grads[ask.node] for state in states]
        found = [mistake.id or "author" for mistake, tree in author
                 if same_function([sample(tree, state) for state in states], right)]
        return list(dict.fromkeys(found))


class SecondDerivativeAsk:
    """``derivative2:VAR``: a formula for d²L/dVAR² (:mod:`tutor.check.second`)."""

    def expected_text(self, problem: Problem, ask: Ask, tolerance: Tolerance | None) -> str:
        return second_derivative_text(problem, ask.node)

    def grade(self, problem: Problem, ask: Ask, tree: Expression, answer: str, expected: str,
              tolerance: Tolerance | None, author: AuthorTrees, budget: float | None) -> GradeResult:
        return grade_second_derivative(problem, ask, tree, answer, tolerance, author, budget)

    def coinciding(self, problem: Problem, ask: Ask, tolerance: Tolerance | None, author: AuthorTrees) -> list[str]:
        return coinciding_second_derivative_mistakes(problem, ask, author)


class LayerAsk:
    """``layer:NAME`` is asked of a network (:func:`tutor.check.matrix.grade_layer`), so never reaches here."""

    def _refuse(self, ask: Ask) -> RequestError:
        return RequestError(f"{ask.text} is a layer quantity: grade it with tutor.check.matrix.grade_layer")

    def expected_text(self, problem: Problem, ask: Ask, tolerance: Tolerance | None) -> str:
        raise self._refuse(ask)

    def grade(self, problem: Problem, ask: Ask, tree: Expression, answer: str, expected: str,
              tolerance: Tolerance | None, author: AuthorTrees, budget: float | None) -> GradeResult:
        raise self._refuse(ask)

    def coinciding(self, problem: Problem, ask: Ask, tolerance: Tolerance | None, author: AuthorTrees) -> list[str]:
        raise self._refuse(ask)


_NUMBER = NumberAsk()
ASK_KINDS: dict[AskKind, AskImplementation] = {
    AskKind.VALUE: _NUMBER,
    AskKind.GRAD: _NUMBER,
    AskKind.LOCAL: _NUMBER,
    AskKind.DERIVATIVE: DerivativeAsk(),
    AskKind.DERIVATIVE2: SecondDerivativeAsk(),
    AskKind.LAYER: LayerAsk(),
}


def implementation(kind: AskKind) -> AskImplementation:
    return ASK_KINDS[kind]
