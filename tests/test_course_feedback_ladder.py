"""The built-in course's own author feedback follows the feedback ladder (issue 15 §3).

A wrong answer that matches an author mistake gets the mistake's ``feedback`` first (it names the
mistake and never gives the answer), its ``rule`` with the next wrong try (the general rule, the second
rung), and the worked arithmetic after that. So every author mistake of the built-in packs has a
``rule``, and no first message contains the problem's expected answer, at any of a few seeds. The
expected answer comes from the one grading route (``tutor.packs.grade_answer``), as the UI gets it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tutor.packs import grade_answer, load_pack, render_problem
from tutor.packs.models import AskProblem, LayerProblem, NumericProblem, TraceProblem

REPO = Path(__file__).resolve().parents[1]
SEEDS = (0, 1, 2, 5, 11)  # variants differ in their parameters; seed 0 is what preview shows first
REFS = [ref for name in ("backprop", "example") for ref in load_pack(REPO / "lessons" / name).problems()
        if isinstance(ref.problem, (AskProblem, NumericProblem, TraceProblem, LayerProblem)) and ref.problem.mistakes]

# A number written in a message, with its sign when a minus sign stands right before it: not part of a
# name or a subscript (z1, x_3, float64), and not the base of a power (0.25^9, 10⁻⁶), a different number.
NUMBER = re.compile(r"(?<![\w.^)])([-−]?\d+(?:\.\d+)?(?:e-?\d+)?)(?![\w.^⁰¹²³⁴⁵⁶⁷⁸⁹⁻(])")
SPELLING = str.maketrans({"−": "-", "·": "", "*": "", "×": "", "²": "^2", "³": "^3", "σ": "sigmoid"})


def numbers_in(text: str) -> list[str]:
    return [found.replace("−", "-") for found in NUMBER.findall(text)]


def compact(text: str) -> str:
    """Text with the spelling differences between a message and an answer taken out."""
    return re.sub(r"\s+", "", text.translate(SPELLING))


def gives_the_answer(message: str, rendered, ask: str | None, expected: str) -> str | None:
    """How ``message`` gives away the right answer, or None: a number in it that grades correct, or the
    answer written out in it: the expected formula or matrix (the checker's right answer as text) or, in a
    ``numeric`` problem, the author's expression for the number ("sigmoid(0)*(1 - sigmoid(0))")."""
    written = [expected]
    if isinstance(rendered.problem, NumericProblem):
        written.append(str(rendered.problem.answer))
    for answer in written:
        if not NUMBER.fullmatch(answer) and compact(answer) in compact(message):
            return f"it contains the answer {answer}"
    for number in numbers_in(message):
        if grade_answer(rendered, number, ask=ask).verdict == "correct":
            return f"it contains {number}, which grades correct"
    return None


def test_the_number_reader_skips_names_subscripts_and_powers() -> None:
    assert numbers_in("x_3 is dz_2/dW_23 in float64; 0.25^9 is below 10⁻⁶") == []
    assert numbers_in("−0.75 is z3, 14 is dL/dz1, 3 - 2 and (-6); 2.25 (the error)") == ["-0.75", "14", "3", "2",
                                                                                          "-6", "2.25"]
    assert compact("its best is σ(0)(1 − σ(0))").endswith(compact("sigmoid(0)*(1 - sigmoid(0))"))


@pytest.mark.parametrize("ref", REFS, ids=lambda ref: ref.problem.id)
def test_every_author_mistake_of_the_course_has_a_rule(ref) -> None:
    for mistake in ref.problem.mistakes:
        assert mistake.rule and mistake.rule.strip(), f"{ref.problem.id}/{mistake.id}: no rule"
        assert "{" not in mistake.rule, "a rule is stated generally, without this variant's numbers"


@pytest.mark.parametrize("ref", REFS, ids=lambda ref: ref.problem.id)
def test_the_first_message_names_the_mistake_without_the_answer_and_the_rule_comes_second(ref) -> None:
    for seed in SEEDS:
        rendered = render_problem(ref.problem, seed)
        for mistake in rendered.problem.mistakes:  # placeholders filled in
            result = grade_answer(rendered, mistake.answer, ask=mistake.ask)
            where = f"{ref.problem.id}/{mistake.id} at seed {seed}"
            assert (result.verdict, result.diagnosis) == ("incorrect", mistake.id or "author"), where
            assert result.message == mistake.feedback, where  # the first rung is the author's message
            assert result.rule == mistake.rule, where  # the second rung is the author's rule
            leak = gives_the_answer(result.message, rendered, mistake.ask, result.expected)
            assert leak is None, f"{where}: the first message {result.message!r} gives the answer: {leak}"
