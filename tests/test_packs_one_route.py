"""One route from a lesson-pack problem to the checker: the right answer grades correct and every
declared author mistake grades incorrect with its own feedback, through packs.grading.grade_answer
(the function the UI's judge_answer and validate both call)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tutor.check import expected_answer
from tutor.packs import grade_answer, grade_request, load_pack, render_problem
from tutor.packs.models import AskProblem, NumericProblem
from tutor.ui.grading import judge_answer

REPO = Path(__file__).resolve().parents[1]
REFS = [ref for name in ("backprop", "example") for ref in load_pack(REPO / "lessons" / name).problems()
        if isinstance(ref.problem, (AskProblem, NumericProblem))]


@pytest.mark.parametrize("ref", REFS, ids=lambda ref: ref.problem.id)
def test_expected_answer_and_every_mistake_grade_through_one_route(ref) -> None:
    rendered = render_problem(ref.problem, 0)
    if isinstance(ref.problem, AskProblem):
        right = expected_answer(grade_request(rendered, ""))
    else:
        right = rendered.problem.answer  # the author's expression for the number
    assert right
    assert grade_answer(rendered, right).verdict == "correct"
    assert judge_answer(rendered, right).verdict == "correct"  # the UI adds display only
    for mistake in rendered.problem.mistakes:  # placeholders filled in
        result = grade_answer(rendered, mistake.answer)
        assert result.verdict == "incorrect", (mistake.answer, result)
        assert result.diagnosis == (mistake.id or "author")
        assert result.message == mistake.feedback
        assert judge_answer(rendered, mistake.answer).diagnosis == result.diagnosis
