"""Hostile progress imports and stored cards: a clear error naming the field, never a traceback."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from fsrs import Card

from tutor.progress import ProgressImportError, ProgressStore, SpacedReview, Verdict
from tutor.progress.review import card_id_for

START = datetime(2025, 1, 1, tzinfo=UTC)


def _attempt(**changes):
    entry = {"uid": "u1", "pack_id": "p", "pack_version": "1", "lesson_id": "l", "problem_id": "q",
             "variant_seed": None, "answer_text": "1", "verdict": "correct", "diagnosis": None,
             "hints_used": 0, "seconds": 1.0, "answered_at": "2025-01-01T00:00:00+00:00"}
    entry.update(changes)
    return entry


def _document(attempts=(), cards=()):
    return {"format": "backprop-tutor-progress", "format_version": 1, "exported_at": "2025-01-01T00:00:00+00:00",
            "attempts": list(attempts), "review_cards": list(cards), "review_log": []}


def _card_entry(due: str):
    card = Card(card_id=card_id_for("p", "q"), due=START).to_dict()
    card["due"] = due
    return {"pack_id": "p", "problem_id": "q", "lesson_id": "l", "card": card}


@pytest.mark.parametrize("document, field", [
    (_document([_attempt(answer_text="\ud800")]), "attempts[0].answer_text"),
    (_document([_attempt(answered_at="9999-12-31T23:59:59-05:00")]), "attempts[0].answered_at"),
    (_document(cards=[_card_entry("9999-12-31T00:00:00+00:00")]), "review_cards[0].card.due"),
])
def test_hostile_import_is_rejected_whole_naming_the_field(tmp_path, document, field):
    path = tmp_path / "in.json"
    path.write_text(json.dumps(document))  # json escapes the surrogate as \ud800, as a hostile file would
    with ProgressStore(tmp_path / "progress.db") as store:
        with pytest.raises(ProgressImportError, match=field.replace("[", r"\[").replace("]", r"\]")):
            store.import_json(path)
        assert store.export_data()["attempts"] == []


def test_a_stored_card_at_the_end_of_the_calendar_does_not_break_the_next_answer(tmp_path):
    with ProgressStore(tmp_path / "progress.db") as store:
        review = SpacedReview(store, enable_fuzzing=False)
        late = Card(card_id=card_id_for("p", "q"), due=datetime(9999, 12, 31, tzinfo=UTC))
        late.last_review = datetime(9999, 12, 30, tzinfo=UTC)
        with store.write_transaction() as connection:  # plants what an older import could have stored
            store.put_card(connection, pack_id="p", problem_id="q", lesson_id="l", card_json=late.to_json(),
                           due_at=late.due)
        outcome = review.record_outcome(pack_id="p", lesson_id="l", problem_id="q", verdict=Verdict.CORRECT,
                                        hints_used=0, at=START)
        assert outcome is not None


def test_a_fifo_at_the_progress_path_is_moved_aside_instead_of_blocking(tmp_path):
    import os

    path = tmp_path / "progress.db"
    os.mkfifo(path)
    # Without the check, opening the FIFO for reading waits for a writer that never comes.
    with ProgressStore(path) as store:
        assert store.export_data()["attempts"] == []
    assert path.is_file()
