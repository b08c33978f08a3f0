"""Between the UI and the checker: one call per submitted answer, one plain result back.

No Textual here. The widgets call these functions from worker threads (sympy can take a moment)
and show the :class:`Judgement` they return. The checker (``tutor.check``) is imported on first
use; the app warms it in the background right after the first paint.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tutor.graph.model import format_number


@dataclass(frozen=True)
class Judgement:
    verdict: str  # "correct", "incorrect", "invalid" or "unchecked"
    answer_text: str
    message: str = ""  # what is wrong and which rule applies; never the right answer, so it is shown at once
    diagnosis: str | None = None  # the diagnosis id (built-in or the author's mistake id)
    diagnosis_text: str = ""  # what to tell the learner about it (Markdown)
    column: int | None = None  # where an unreadable answer went wrong (1-based)
    expected: str | None = None  # the right answer, as text, when the checker gives it (never shown before a reveal)
    explanation: str = ""  # the author's explanation, added once the problem is over
    rule: str = ""  # the general rule in symbols, no number of this instance: the second rung of the ladder
    worked: str = ""  # the right answer worked out; shown only once the learner has had their tries
    headline: str = ""  # the panel's first line, when the verdict's usual one would not fit (a forgiven shape)

    @property
    def counts(self) -> bool:
        """Invalid answers cost nothing: they are not attempts."""
        return self.verdict != "invalid"

    def with_explanation(self, explanation: str | None) -> Judgement:
        from dataclasses import replace

        return replace(self, explanation=explanation or "")


def judge_answer(rendered, answer_text: str, ask: str | None = None,
                 earlier: Mapping[str, str] | None = None) -> Judgement:
    """Grade a ``trace`` entry (``ask`` = "value:z2"), an ``ask`` or a ``numeric`` problem's answer.

    ``earlier``: a trace's other entries as the learner last submitted them (see tutor.packs.grading).
    """
    answer_text = answer_text.strip()
    if not answer_text:
        return Judgement("invalid", answer_text, "Type an answer first: a number or an expression such as 2*7.", column=1)
    # One route to the checker, shared with validate: tutor.packs.grading picks the ask, the author's
    # mistakes for it and the tolerance; here the result only becomes what the UI shows.
    from tutor.packs.grading import grade_answer, mistakes_for

    result = grade_answer(rendered, answer_text, ask, earlier=earlier)
    mistakes = mistakes_for(rendered.problem, ask or getattr(rendered.problem, "ask", None))
    judgement = judgement_from_result(result, answer_text)
    if judgement.diagnosis and not judgement.diagnosis_text:
        # An author's mistake id: its feedback is the diagnosis text (unless the checker's message already says it).
        feedback = next((m.feedback for m in mistakes if m.id == judgement.diagnosis), None)
        if feedback and feedback.strip() not in judgement.message:
            from dataclasses import replace

            judgement = replace(judgement, diagnosis_text=feedback)
    return judgement


def judgement_from_result(result, answer_text: str) -> Judgement:
    verdict = str(getattr(result.verdict, "value", result.verdict))
    return Judgement(
        verdict=verdict,
        answer_text=answer_text,
        message=result.message or "",
        diagnosis=result.diagnosis,
        column=result.column,
        expected=result.expected or None,
        rule=getattr(result, "rule", "") or "",
        worked=getattr(result, "worked", "") or "",
    )


def forgiven_shape_error(judgement: Judgement) -> Judgement:
    """A matrix of the wrong shape, the first time for an entry: shown like an unreadable answer, at no cost.

    A row typed for a column is a slip of notation more often than of backprop; the shape rule in the
    message is what the learner needs, and the next wrong shape counts as usual.
    """
    from dataclasses import replace

    return replace(judgement, verdict="invalid", diagnosis=None, column=None,
                   headline="⚠ Wrong shape (this try does not count)")


def judge_choice(rendered, picked: list[str]) -> Judgement:
    """Grade a ``choice`` problem: the picked option ids against the correct ones (no sympy needed)."""
    problem = rendered.problem
    options = dict(zip(problem.option_ids(), problem.options))
    answer_text = ",".join(picked)
    if not picked:
        return Judgement("invalid", answer_text, "Pick an option first." if not problem.multiple
                         else "Mark at least one option with space, then press enter.")
    correct_ids = set(problem.correct_ids())
    chosen = set(picked)
    feedback = [options[option_id].feedback for option_id in picked
                if option_id in options and options[option_id].feedback]
    if chosen == correct_ids:
        return Judgement("correct", answer_text, "\n\n".join(feedback))
    if problem.multiple:
        missing = len(correct_ids - chosen)
        extra = len(chosen - correct_ids)
        parts = []
        if extra:
            parts.append(f"{extra} of your picks {'is' if extra == 1 else 'are'} not right")
        if missing:
            parts.append(f"{missing} right option{' is' if missing == 1 else 's are'} missing")
        message = "; ".join(parts).capitalize() + "."
    else:
        message = ""
    return Judgement("incorrect", answer_text, message, diagnosis_text="\n\n".join(feedback),
                     diagnosis=None)


def worked_solution(rendered) -> str:
    """The worked answer of an ``ask`` or ``numeric`` problem ("" when there is none), for giving up.

    Grading the right answer yields it; a formula's worked answer is just the formula, already shown.
    """
    problem = rendered.problem
    if problem.kind not in ("ask", "numeric") or str(getattr(problem, "ask", "") or "").startswith("derivative"):
        return ""
    expected = expected_answer_text(rendered)
    if not expected:
        return ""
    try:
        return judge_answer(rendered, expected).worked
    except Exception:  # noqa: BLE001 - showing the solution must never crash the lesson
        return ""


def expected_answer_text(rendered) -> str | None:
    """The right answer of an ``ask`` or ``numeric`` problem, as the learner could type it."""
    problem = rendered.problem
    try:
        if problem.kind == "numeric":
            from tutor.expr import evaluate, parse_expression

            return format_number(evaluate(parse_expression(problem.answer, allowed_names=set()), {}))
        if problem.kind == "ask":
            from tutor.check import GradeRequest, expected_answer
            from tutor.packs.grading import checker_tolerance

            return expected_answer(GradeRequest(program=problem.program, at=dict(rendered.at), ask=problem.ask,
                                                answer="", tolerance=checker_tolerance(problem.tolerance)))
    except Exception:  # noqa: BLE001 - showing the solution must never crash the lesson
        return None
    return None
