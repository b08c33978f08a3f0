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


# ------------------------------------------------------------------------------ streaming export/import

def _fill(store: ProgressStore, count: int) -> None:
    from datetime import timedelta

    from tutor.progress import Attempt

    with store.write_transaction() as connection:
        for index in range(count):
            store.insert_attempt(connection, Attempt("pack", "1", "lesson", f"q{index % 50}", f"answer {index}",
                                                     Verdict.CORRECT, answered_at=START + timedelta(seconds=index)))


def _peak_bytes(action) -> int:
    import tracemalloc

    tracemalloc.start()
    try:
        action()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_export_and_import_stream_instead_of_holding_every_answer(tmp_path):
    # Python-heap peaks (tracemalloc; SQLite's own cache is outside it and bounded by its cache_size).
    # The references hold all 10,000 answers at once, as the old export and import did (about 9 MB).
    import fsrs  # noqa: F401 - imported before measuring, as the CLI has by then

    import tutor.progress.transfer  # noqa: F401

    with ProgressStore(tmp_path / "a" / "progress.db") as store:
        _fill(store, 10_000)
        everything = _peak_bytes(store.export_data)
        exported = tmp_path / "export.json"
        streamed = _peak_bytes(lambda: store.export_json(exported))
    assert streamed < 1_000_000 and streamed * 10 < everything, (streamed, everything)
    parsed_whole = _peak_bytes(lambda: json.loads(exported.read_text()))
    with ProgressStore(tmp_path / "b" / "progress.db") as target:
        imported = _peak_bytes(lambda: target.import_json(exported))
        assert len(target.attempts()) == 10_000
    assert imported < 3_000_000 and imported * 4 < parsed_whole, (imported, parsed_whole)


def _filled_export(tmp_path):
    from datetime import timedelta

    from tutor.progress import Attempt

    with ProgressStore(tmp_path / "source" / "progress.db") as store:
        review = SpacedReview(store, enable_fuzzing=False)
        for index, text in enumerate(["1", "ünïcødé ∂L/∂x", "x" * 300, "", '"quoted" \\ back'] * 4):
            review.record_attempt(Attempt("p", "1", "l", f"q{index % 3}", text,
                                          Verdict.CORRECT if index % 2 else Verdict.INCORRECT, variant_seed=index * 10**6,
                                          seconds=index / 7, answered_at=START + timedelta(minutes=index)))
        return store.export_data()


@pytest.mark.parametrize("chunk", [1, 7, 64])
def test_tiny_chunks_change_nothing_in_what_is_imported(tmp_path, monkeypatch, chunk):
    # Entries, numbers and strings cut at every possible place between two reads.
    from tutor.progress import transfer

    document = _filled_export(tmp_path)
    path = tmp_path / "in.json"
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False))  # the layout older versions wrote
    monkeypatch.setattr(transfer, "CHUNK_CHARS", chunk)
    with ProgressStore(tmp_path / "target" / "progress.db") as target:
        summary = target.import_json(path)
        assert (summary.attempts_added, summary.review_entries_added) == (20, 20)
        result = target.export_data()
    for key in ("attempts", "review_cards", "review_log"):
        assert result[key] == document[key]


@pytest.mark.parametrize("text", [
    '{"format": "backprop-tutor-progress",\n  "attempts": [\n    {"uid": "a"},\n    {"uid": "b" "c"}\n  ]}',
    '{"format": "backprop-tutor-progress", "attempts": [1, 2,\n\n   ]}',
    '{"format": "backprop-tutor-progress", "attempts": [1 2]}',
    '{"format": "backprop-tutor-progress"\n\n "x": 1}',
    '{"format": "backprop-tutor-progress"} trailing',
    '{"format": "backprop-tutor-progress", "attempts": [{"uid": "unterminated}]}',
    '{"format": "backprop-tutor-progress", "review_log": [',
    '\n\n   {"attempts": [12345678901234567890',
])
@pytest.mark.parametrize("chunk", [3, 1 << 16])
def test_a_syntax_error_is_placed_where_json_places_it_whatever_the_chunks(tmp_path, monkeypatch, text, chunk):
    from tutor.progress import transfer

    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        expected = f":{error.lineno}:{error.colno}: not valid JSON"
    path = tmp_path / "bad.json"
    path.write_text(text)
    monkeypatch.setattr(transfer, "CHUNK_CHARS", chunk)
    with ProgressStore(tmp_path / "progress.db") as store:
        with pytest.raises(ProgressImportError) as raised:
            store.import_json(path)
    assert expected in str(raised.value)


def test_an_entry_longer_than_the_limit_is_refused_naming_it(tmp_path, monkeypatch):
    from tutor.progress import transfer

    monkeypatch.setattr(transfer, "MAX_ENTRY_CHARS", 1000)
    monkeypatch.setattr(transfer, "CHUNK_CHARS", 100)
    path = tmp_path / "in.json"
    path.write_text(json.dumps(_document([_attempt(), _attempt(uid="u2", answer_text="y" * 5000)])))
    with ProgressStore(tmp_path / "progress.db") as store:
        with pytest.raises(ProgressImportError, match=r"attempts\[1\]: longer than 1,000 characters"):
            store.import_json(path)
        assert store.export_data()["attempts"] == []


def test_problems_are_counted_over_the_whole_file_and_the_first_is_named(tmp_path):
    path = tmp_path / "in.json"
    entries = [_attempt(uid=f"u{index}") for index in range(5)]
    entries[1]["verdict"] = "maybe"
    entries[3]["hints_used"] = -1
    document = _document(entries)
    document["format_version"] = "1"
    path.write_text(json.dumps(document))
    with ProgressStore(tmp_path / "progress.db") as store:
        with pytest.raises(ProgressImportError, match=r"in.json: format_version: .* \(and 2 more problems\)$"):
            store.import_json(path)


def test_a_rejected_import_leaves_no_staging_behind_and_the_next_import_works(tmp_path):
    bad, good = tmp_path / "bad.json", tmp_path / "good.json"
    bad.write_text(json.dumps(_document([_attempt(), _attempt()])))  # the same uid twice
    good.write_text(json.dumps(_document([_attempt()])))
    with ProgressStore(tmp_path / "progress.db") as store:
        with pytest.raises(ProgressImportError, match=r"attempts\[1\]\.uid: uid 'u1' repeats attempts\[0\]"):
            store.import_json(bad)
        assert store.import_json(good).attempts_added == 1
        with store.read_transaction() as connection:
            assert connection.execute("SELECT name FROM temp.sqlite_master").fetchall() == []
