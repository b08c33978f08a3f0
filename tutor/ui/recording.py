"""Turning a judged answer into the progress store's Attempt (no Textual here)."""

from __future__ import annotations

from typing import Any

VERDICTS = {"correct": "correct", "incorrect": "incorrect", "invalid": "invalid", "unchecked": "unchecked",
            "gave-up": "gave-up"}


def attempt_from(session: Any, entry: Any, event: Any, *, variant_seed: int | None) -> Any:
    """An Attempt for ``event`` (a ProblemView.Attempted) in lesson ``entry``."""
    from tutor.progress import Attempt, Verdict

    judgement = event.judgement
    answer_text = judgement.answer_text
    if event.ask and answer_text:
        answer_text = f"{event.ask}: {answer_text}"
    return Attempt(
        pack_id=entry.key.pack_id,
        pack_version=entry.pack.version,
        lesson_id=entry.key.lesson_id,
        problem_id=event.problem_id,
        answer_text=answer_text,
        verdict=Verdict(VERDICTS.get(judgement.verdict, "unchecked")),
        variant_seed=variant_seed,
        diagnosis=judgement.diagnosis,
        hints_used=event.hints_used,
        seconds=event.seconds,
        answered_at=session.clock(),
    )
