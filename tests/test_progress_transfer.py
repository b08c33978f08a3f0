"""Export/import of progress as JSON: lossless round trip, idempotent merge, malformed files change nothing."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tutor.progress import Attempt, ProgressError, ProgressImportError, ProgressStore, SpacedReview, Verdict

START = datetime(2025, 5, 1, 8, 30, tzinfo=UTC)


def without_timestamp(document: dict) -> dict:
    document = dict(document)
    document.pop("exported_at")
    return document


@pytest.fixture
def filled(tmp_path):
    with ProgressStore(tmp_path / "source" / "progress.db") as store:
        review = SpacedReview(store, enable_fuzzing=False)
        entries = [
            ("basics", "chain", "q1", Verdict.CORRECT, None, 0, 12345, "dL/da = 2*(a*b+c)*b"),
            ("basics", "chain", "q2", Verdict.INCORRECT, "forgot-chain-rule", 2, None, "6"),
            ("basics", "chain", "q2", Verdict.CORRECT, None, 2, None, "12"),
            ("basics", "intro", "q3", Verdict.INVALID, "syntax", 0, 2**63 - 1, "2**"),
            ("mlp", "relu", "r1", Verdict.GAVE_UP, None, 3, -5, ""),
            ("mlp", "relu", "r2", Verdict.UNCHECKED, None, 0, None, "ünïcødé ∂L/∂x"),
        ]
        for day, (pack, lesson, problem, verdict, diagnosis, hints, seed, text) in enumerate(entries):
            review.record_attempt(Attempt(pack, "1.2.0", lesson, problem, text, verdict, variant_seed=seed,
                                          diagnosis=diagnosis, hints_used=hints, seconds=1 / 3 + day,
                                          answered_at=START + timedelta(days=day, microseconds=day * 7)))
        review.record_outcome(pack_id="basics", lesson_id="chain", problem_id="q1", verdict=Verdict.CORRECT,
                              hints_used=0, at=START + timedelta(days=9))
        yield store


def test_export_then_import_into_a_fresh_store_is_lossless(filled, tmp_path):
    exported = tmp_path / "progress.json"
    filled.export_json(exported)
    with ProgressStore(tmp_path / "target" / "progress.db") as target:
        summary = target.import_json(exported)
        assert (summary.attempts_added, summary.cards_added, summary.review_entries_added) == (6, 3, 5)  # invalid and unchecked answers make no review
        assert without_timestamp(target.export_data()) == without_timestamp(json.loads(exported.read_text()))
        assert [row.attempt for row in target.attempts()] == [row.attempt for row in filled.attempts()]
        assert [row.uid for row in target.attempts()] == [row.uid for row in filled.attempts()]
        source_review, target_review = SpacedReview(filled), SpacedReview(target)
        assert [(card.key, card.card.to_dict()) for card in target_review.upcoming_cards()] == [
            (card.key, card.card.to_dict()) for card in source_review.upcoming_cards()]
        assert target.review_entries() == filled.review_entries()


def test_importing_the_same_file_twice_adds_nothing_the_second_time(filled, tmp_path):
    exported = tmp_path / "progress.json"
    filled.export_json(exported)
    before = without_timestamp(filled.export_data())
    summary = filled.import_json(exported)
    assert summary.attempts_added == 0 and summary.attempts_already_present == 6
    assert summary.cards_added == summary.cards_updated == summary.review_entries_added == 0
    assert without_timestamp(filled.export_data()) == before


def test_import_merges_with_existing_progress_and_keeps_the_most_recently_reviewed_card(filled, tmp_path):
    exported = tmp_path / "progress.json"
    filled.export_json(exported)
    with ProgressStore(tmp_path / "other" / "progress.db") as other:
        other_review = SpacedReview(other, enable_fuzzing=False)
        # Older than the export's q1 card (reviewed on day 9): must lose. Newer r1 card: must win.
        other_review.record_attempt(Attempt("basics", "1.2.0", "chain", "q1", "x", Verdict.INCORRECT,
                                            answered_at=START + timedelta(days=1)))
        newer = other_review.record_attempt(Attempt("mlp", "1.2.0", "relu", "r1", "y", Verdict.CORRECT,
                                                    answered_at=START + timedelta(days=30)))
        summary = other.import_json(exported)
        assert summary.attempts_added == 6 and summary.cards_updated == 1
        assert len(other.attempts()) == 8
        cards = {card.key: card.card for card in other_review.upcoming_cards()}
        assert cards[("mlp", "r1")].to_dict() == newer.review.card.to_dict()
        assert cards[("basics", "q1")].last_review == START + timedelta(days=9)


def test_export_writes_atomically_and_reports_unwritable_targets(filled, tmp_path):
    with pytest.raises(ProgressError, match="cannot write"):
        filled.export_json(tmp_path / "missing-folder" / "progress.json")
    target = tmp_path / "progress.json"
    filled.export_json(target)
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


# ------------------------------------------------------------------------------------------- rejection

def _mutations():
    def set_path(document, path, value):
        node = document
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    def delete_path(document, path):
        node = document
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]

    return [
        ("attempts[1].verdict", lambda d: set_path(d, ["attempts", 1, "verdict"], "maybe")),
        ("attempts[0].hints_used", lambda d: set_path(d, ["attempts", 0, "hints_used"], -1)),
        ("attempts[0].hints_used", lambda d: set_path(d, ["attempts", 0, "hints_used"], "2")),
        ("attempts[2].answered_at", lambda d: set_path(d, ["attempts", 2, "answered_at"], "2025-05-01T10:00:00")),
        ("attempts[2].answered_at", lambda d: set_path(d, ["attempts", 2, "answered_at"], "yesterday")),
        ("attempts[3].problem_id", lambda d: delete_path(d, ["attempts", 3, "problem_id"])),
        ("attempts[0].colour", lambda d: set_path(d, ["attempts", 0, "colour"], "blue")),
        ("attempts[4].uid", lambda d: set_path(d, ["attempts", 4, "uid"], d["attempts"][0]["uid"])),
        ("review_cards[0].card", lambda d: set_path(d, ["review_cards", 0, "card", "state"], 99)),
        ("review_cards[1].card", lambda d: delete_path(d, ["review_cards", 1, "card", "due"])),
        ("review_log[0].rating", lambda d: set_path(d, ["review_log", 0, "rating"], 7)),
        ("format", lambda d: set_path(d, ["format"], "anki-deck")),
        ("format_version", lambda d: set_path(d, ["format_version"], 2)),
        ("review_log", lambda d: delete_path(d, ["review_log"])),
        ("(top level)", lambda d: d.clear() or d.update({"x": 1}) or None),
    ]


@pytest.mark.parametrize("where, mutate", _mutations(), ids=[f"{i}-{m[0]}" for i, m in enumerate(_mutations())])
def test_a_malformed_document_is_rejected_naming_the_problem_and_changes_nothing(filled, tmp_path, where, mutate):
    document = filled.export_data()
    # Import into a store that lacks some of this data, so a partial import would be visible.
    with ProgressStore(tmp_path / "target" / "progress.db") as target:
        target.record_attempt(Attempt("basics", "1", "chain", "q9", "1", Verdict.CORRECT, answered_at=START))
        before = without_timestamp(target.export_data())
        broken = copy.deepcopy(document)
        mutate(broken)
        path = tmp_path / "broken.json"
        path.write_text(json.dumps(broken))
        with pytest.raises(ProgressImportError) as raised:
            target.import_json(path)
        message = str(raised.value)
        assert message.startswith(str(path)) and "\n" not in message
        assert where.split(".")[0].split("[")[0] in message if where != "(top level)" else "format" in message
        if where.startswith(("attempts[", "review_cards[", "review_log[")):
            assert where.split(".")[0] in message
        assert without_timestamp(target.export_data()) == before


@pytest.mark.parametrize("text, expected", [
    ('{"format": "backprop-tutor-progress",\n "attempts": [1, 2,]}', ":2:"),
    ("", ":1:1: not valid JSON"),
    ('{"format": NaN}', "NaN is not allowed"),
    ('{"a": 1, "a": 2}', "duplicate key 'a'"),
    ("[1, 2, 3]", "expected a JSON object"),
])
def test_unreadable_json_is_rejected_with_its_position(filled, tmp_path, text, expected):
    path = tmp_path / "bad.json"
    path.write_text(text)
    before = without_timestamp(filled.export_data())
    with pytest.raises(ProgressImportError, match=expected):
        filled.import_json(path)
    assert without_timestamp(filled.export_data()) == before


def test_missing_and_non_utf8_files_are_clear_errors(filled, tmp_path):
    with pytest.raises(ProgressImportError, match="no such file"):
        filled.import_json(tmp_path / "nope.json")
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ProgressImportError, match="not UTF-8"):
        filled.import_json(binary)


def test_a_failure_while_writing_rolls_back_everything_already_merged(filled, tmp_path, monkeypatch):
    document = filled.export_data()
    with ProgressStore(tmp_path / "target" / "progress.db") as target:
        def fail_on_cards(*args, **kwargs):
            raise RuntimeError("disk on fire")

        monkeypatch.setattr(target, "put_card", fail_on_cards)  # attempts are merged before cards
        with pytest.raises(RuntimeError):
            target.import_data(document)
        assert target.attempts() == []


@settings(max_examples=25, deadline=None)
@given(rows=st.lists(st.tuples(st.text(min_size=1, max_size=6), st.text(max_size=30),
                               st.sampled_from(list(Verdict)), st.none() | st.text(max_size=8),
                               st.floats(min_value=0, max_value=1e6, allow_nan=False),
                               st.integers(0, 10**6)), max_size=8))
def test_round_trip_holds_for_arbitrary_answers(tmp_path_factory, rows):
    folder = tmp_path_factory.mktemp("roundtrip")
    with ProgressStore(folder / "a.db") as source, ProgressStore(folder / "b.db") as target:
        review = SpacedReview(source, enable_fuzzing=False)
        for problem, text, verdict, diagnosis, seconds, offset in rows:
            review.record_attempt(Attempt("pack", "1", "lesson", problem, text, verdict, diagnosis=diagnosis,
                                          seconds=seconds, answered_at=START + timedelta(seconds=offset)))
        source.export_json(folder / "out.json")
        target.import_json(folder / "out.json")
        assert without_timestamp(target.export_data()) == without_timestamp(source.export_data())


def _skill_events(store):
    from tutor.practice.mastery import SkillEvent

    store.record_skill_events([
        SkillEvent("upstream", False, 1, START + timedelta(days=1), "missing-upstream"),
        SkillEvent("upstream", True, 2, START + timedelta(days=2)),
        SkillEvent("fan-out", True, 3, START + timedelta(days=3, microseconds=5)),
    ])


def test_skill_events_round_trip_with_their_uids_and_a_second_import_adds_nothing(filled, tmp_path):
    _skill_events(filled)
    exported = tmp_path / "progress.json"
    summary = filled.export_json(exported)
    assert summary.skill_events == 3
    document = json.loads(exported.read_text())
    assert [(e["skill_id"], e["correct"], e["level"], e["diagnosis"]) for e in document["skill_events"]] == [
        ("upstream", False, 1, "missing-upstream"), ("upstream", True, 2, None), ("fan-out", True, 3, None)]
    with ProgressStore(tmp_path / "target" / "progress.db") as target:
        assert target.import_json(exported).skill_events_added == 3
        assert target.skill_event_rows() == filled.skill_event_rows()
        assert without_timestamp(target.export_data()) == without_timestamp(document)  # uids kept
        again = target.import_json(exported)
        assert again.skill_events_added == 0 and again.attempts_added == 0
        assert target.skill_event_rows() == filled.skill_event_rows()
    assert filled.import_json(exported).skill_events_added == 0  # into the store it came from


def test_a_file_without_skill_events_still_imports_and_a_bad_skill_event_changes_nothing(filled, tmp_path):
    document = filled.export_data()
    document.pop("skill_events")  # an export from before per-skill mastery
    with ProgressStore(tmp_path / "target" / "progress.db") as target:
        assert target.import_data(document).attempts_added == 6
        bad = copy.deepcopy(document)
        bad["skill_events"] = [{"uid": "x1", "skill_id": "upstream", "correct": True, "level": 6,
                                "diagnosis": None, "answered_at": START.isoformat()}]
        with pytest.raises(ProgressImportError, match=r"skill_events\[0\]\.level"):
            target.import_data(bad)
        bad["skill_events"] = [dict(bad["skill_events"][0], level=2)] * 2
        with pytest.raises(ProgressImportError, match=r"skill_events\[1\]\.uid.*repeats skill_events\[0\]"):
            target.import_data(bad)
        assert target.skill_event_rows() == []
