"""The example in an answer box's placeholder must never be the answer.

Lesson 1's first problem (2 times as fast, then 7 times) has the answer 14, and the box said
"your answer, e.g. 2*7 or 14": a learner who copied the example was told Correct. So the example is
chosen per variant: the first set whose example answers do not grade right for this problem.
"""

from __future__ import annotations

from tutor.packs.grading import grade_answer
from tutor.packs.variants import RenderedProblem

# Each set: versions of one placeholder, longest first (the box shows the longest that fits), and the
# example answers it shows, which are graded against the problem.
NUMBER_EXAMPLES: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("your answer, e.g. 2*7 or 14", "e.g. 2*7 or 14", "e.g. 14"), ("14",)),
    (("your answer, e.g. 3*5 or 15", "e.g. 3*5 or 15", "e.g. 15"), ("15",)),
    (("your answer, e.g. 1/4 or 0.25", "e.g. 1/4 or 0.25", "e.g. 1/4"), ("0.25",)),
)
FORMULA_EXAMPLES: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("a formula, e.g. 6*(2*x + 1)^2", "e.g. 6*(2*x + 1)^2", "e.g. 6*x^2"), ("6*(2*x + 1)^2", "6*x^2")),
    (("a formula, e.g. 3*(x - 1)^2", "e.g. 3*(x - 1)^2", "e.g. 3*x"), ("3*(x - 1)^2", "3*x")),
)
# Shown while the examples are being checked, and if every set would give an answer away.
NEUTRAL_NUMBER = ("your answer: a number or an expression", "a number or expression", "answer")
NEUTRAL_FORMULA = ("a formula in the inputs", "a formula")


def is_formula_ask(rendered: RenderedProblem) -> bool:
    ask = getattr(rendered.problem, "ask", "") or ""
    return ask.startswith(("derivative:", "derivative2:"))


def neutral_placeholders(rendered: RenderedProblem) -> tuple[str, ...]:
    return NEUTRAL_FORMULA if is_formula_ask(rendered) else NEUTRAL_NUMBER


def _grades_right(rendered: RenderedProblem, answer: str) -> bool:
    try:
        return bool(grade_answer(rendered, answer).verdict == "correct")
    except Exception:  # noqa: BLE001 - a problem the grader refuses cannot be given away by an example either
        return False


def answer_placeholders(rendered: RenderedProblem) -> tuple[str, ...]:
    """The placeholder versions (longest first) whose examples are all wrong answers to ``rendered``.

    Grades up to a few short answers: a fraction of a millisecond for a number, up to about a second
    for a large formula, so the UI calls it off the main thread."""
    sets = FORMULA_EXAMPLES if is_formula_ask(rendered) else NUMBER_EXAMPLES
    for versions, examples in sets:
        if not any(_grades_right(rendered, example) for example in examples):
            return versions
    return neutral_placeholders(rendered)
