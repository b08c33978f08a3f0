"""ProgressStore: recording attempts, derived status/completion/continue/stats, reset, schema migration."""

from __future__ import annotations

import sqlite3
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tutor.progress import (
    Attempt,
    LessonProblems,
    ProblemStatus,
    ProgressStore,
    Verdict,
)
from tutor.progress.store import APPLICATION_ID, LATEST_SCHEMA_VERSION

START = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def attempt(problem_id: str = "q1", verdict: Verdict | str = Verdict.CORRECT, *, pack_id: str = "basics",
            lesson_id: str = "chain", minutes: float = 0, **fields) -> Attempt:
    return Attempt(pack_id=pack_id, pack_version=fields.pop("pack_version", "1.0"), lesson_id=lesson_id,
                   problem_id=problem_id, answer_text=fields.pop("answer_text", "dL/da = 6"), verdict=Verdict(verdict),
                   answered_at=START + timedelta(minutes=minutes), **fields)


@pytest.fixture
def store(tmp_path):
    with ProgressStore(tmp_path / "progress.db") as opened:
        yield opened


# ------------------------------------------------------------------------------------------------ recording

attempts_strategy = st.builds(
    Attempt,
    pack_id=st.text(min_size=1, max_size=12),
    pack_version=st.text(max_size=8),
    lesson_id=st.text(min_size=1, max_size=12),
    problem_id=st.text(min_size=1, max_size=12),
    answer_text=st.text(max_size=60),
    verdict=st.sampled_from(list(Verdict)),
    variant_seed=st.none() | st.integers(min_value=-(2**63), max_value=2**63 - 1),
    diagnosis=st.none() | st.text(max_size=20),
    hints_used=st.integers(min_value=0, max_value=50),
    seconds=st.floats(min_value=0, max_value=1e7, allow_nan=False, allow_infinity=False),
    answered_at=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                             timezones=st.just(UTC)),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(original=attempts_strategy)
def test_every_field_of_an_attempt_reads_back_unchanged(store, original):
    stored = store.record_attempt(original)
    [read_back] = [row for row in store.attempts() if row.id == stored.id]
    assert read_back.attempt == original
    assert read_back.uid == stored.uid


def test_each_recorded_attempt_is_committed_and_visible_to_another_connection(store):
    observer = sqlite3.connect(store.path)
    try:
        for index in range(3):
            store.record_attempt(attempt(f"q{index}", minutes=index))
            assert observer.execute("SELECT count(*) FROM attempts").fetchone()[0] == index + 1
    finally:
        observer.close()


def test_database_is_in_wal_mode_with_a_busy_timeout(store):
    connection = store._connection
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert connection.execute("PRAGMA busy_timeout").fetchone()[0] > 0


def test_timestamps_are_stored_in_utc_whatever_zone_they_were_given_in(store):
    paris = timezone(timedelta(hours=1))
    store.record_attempt(Attempt("p", "1", "l", "q", "x", Verdict.CORRECT, answered_at=datetime(2025, 1, 1, 10, tzinfo=paris)))
    raw = store._connection.execute("SELECT answered_at FROM attempts").fetchone()[0]
    assert raw == "2025-01-01T09:00:00.000000+00:00"


@pytest.mark.parametrize("bad, message", [
    ({"answered_at": datetime(2025, 1, 1)}, "timezone-aware"),
    ({"hints_used": -1}, "hints_used"),
    ({"seconds": float("nan")}, "seconds"),
    ({"verdict": "maybe"}, "maybe"),
    ({"problem_id": ""}, "problem_id"),
    ({"variant_seed": 2**64}, "64 bits"),
])
def test_malformed_attempts_are_refused_before_reaching_the_database(bad, message):
    fields = dict(pack_id="p", pack_version="1", lesson_id="l", problem_id="q", answer_text="x",
                  verdict=Verdict.CORRECT, answered_at=START)
    fields.update(bad)
    with pytest.raises((ValueError, TypeError), match=message):
        Attempt(**fields)


# ------------------------------------------------------------------------------------ invalid answers

def test_invalid_answers_are_kept_flagged_but_never_counted(store):
    store.record_attempt(attempt("q1", Verdict.INVALID, diagnosis="syntax", minutes=0))
    assert store.problem_status("basics", "q1") is ProblemStatus.NEW
    assert store.lesson_stats() == []
    assert store.frequent_diagnoses() == []
    assert store.continue_target() is None
    assert [row.attempt.verdict for row in store.attempts()] == [Verdict.INVALID]
    assert store.attempts(include_invalid=False) == []


# --------------------------------------------------------------------------------------- derived status

def test_problem_status_goes_new_attempted_solved_and_stays_solved(store):
    assert store.problem_status("basics", "q1") is ProblemStatus.NEW
    store.record_attempt(attempt("q1", Verdict.INCORRECT, minutes=1))
    assert store.problem_status("basics", "q1") is ProblemStatus.ATTEMPTED
    store.record_attempt(attempt("q1", Verdict.CORRECT, minutes=2))
    assert store.problem_status("basics", "q1") is ProblemStatus.SOLVED
    store.record_attempt(attempt("q1", Verdict.INCORRECT, minutes=3))
    assert store.problem_status("basics", "q1") is ProblemStatus.SOLVED


@pytest.mark.parametrize("verdict", [Verdict.GAVE_UP, Verdict.UNCHECKED, Verdict.INCORRECT])
def test_counted_but_not_correct_verdicts_leave_a_problem_attempted(store, verdict):
    store.record_attempt(attempt("q1", verdict))
    assert store.problem_status("basics", "q1") is ProblemStatus.ATTEMPTED


def test_status_is_per_pack(store):
    store.record_attempt(attempt("q1", pack_id="basics"))
    assert store.problem_status("other-pack", "q1") is ProblemStatus.NEW


def test_lesson_completion_counts_the_lessons_current_problems(store):
    store.record_attempt(attempt("q1", Verdict.CORRECT))
    store.record_attempt(attempt("q2", Verdict.INCORRECT))
    completion = store.lesson_completion("basics", ["q1", "q2", "q3"])
    assert (completion.total, completion.attempted, completion.solved) == (3, 2, 1)
    assert completion.is_started and not completion.is_complete
    assert completion.fraction_solved == pytest.approx(1 / 3)
    assert store.lesson_completion("basics", ["q1"]).is_complete
    assert not store.lesson_completion("basics", []).is_complete


def test_new_pack_version_keeps_history_for_problem_ids_that_still_exist(store):
    store.record_attempt(attempt("kept", Verdict.CORRECT, pack_version="1.0", lesson_id="old-lesson"))
    store.record_attempt(attempt("removed", Verdict.CORRECT, pack_version="1.0", lesson_id="old-lesson"))
    # Version 2.0 moved "kept" into a renamed lesson, dropped "removed" and added "added".
    statuses = store.problem_statuses("basics", ["kept", "added"])
    assert statuses == {"kept": ProblemStatus.SOLVED, "added": ProblemStatus.NEW}
    completion = store.lesson_completion("basics", ["kept", "added"])
    assert (completion.total, completion.solved) == (2, 1)


# ---------------------------------------------------------------------------------------------- continue

def test_continue_goes_to_the_most_recently_active_unfinished_lesson(store):
    lessons = [LessonProblems("basics", "intro", ["i1", "i2"]), LessonProblems("basics", "chain", ["c1", "c2"]),
               LessonProblems("basics", "done", ["d1"])]
    assert store.continue_target(lessons) is None
    store.record_attempt(attempt("i1", Verdict.CORRECT, lesson_id="intro", minutes=1))
    store.record_attempt(attempt("c2", Verdict.INCORRECT, lesson_id="chain", minutes=2))
    store.record_attempt(attempt("d1", Verdict.CORRECT, lesson_id="done", minutes=3))  # most recent, but complete
    target = store.continue_target(lessons)
    assert (target.pack_id, target.lesson_id, target.next_problem_id) == ("basics", "chain", "c1")
    assert target.last_activity == START + timedelta(minutes=2)
    store.record_attempt(attempt("i1", Verdict.INCORRECT, lesson_id="intro", minutes=4))
    assert store.continue_target(lessons).lesson_id == "intro"
    assert store.continue_target(lessons).next_problem_id == "i2"


def test_continue_ignores_invalid_answers_and_lessons_no_longer_offered(store):
    store.record_attempt(attempt("c1", Verdict.INCORRECT, lesson_id="chain", minutes=1))
    store.record_attempt(attempt("gone", Verdict.INCORRECT, lesson_id="retired", minutes=2))
    store.record_attempt(attempt("i1", Verdict.INVALID, lesson_id="intro", minutes=3))
    lessons = [LessonProblems("basics", "intro", ["i1"]), LessonProblems("basics", "chain", ["c1"])]
    assert store.continue_target(lessons).lesson_id == "chain"
    assert store.continue_target().lesson_id == "retired"  # without the pack's lessons: latest counted answer


# -------------------------------------------------------------------------------------- stats and mistakes

def test_frequent_diagnoses_rank_by_count_then_name_and_respect_filters(store):
    for minute, (diagnosis, lesson) in enumerate([("sign", "a"), ("chain", "a"), ("sign", "b"), ("chain", "b"),
                                                  ("sign", "b"), ("zero", "a")]):
        store.record_attempt(attempt("q", Verdict.INCORRECT, diagnosis=diagnosis, lesson_id=lesson, minutes=minute))
    store.record_attempt(attempt("q", Verdict.INVALID, diagnosis="zero", minutes=10))
    store.record_attempt(attempt("q", Verdict.INVALID, diagnosis="zero", minutes=11))
    assert [(d.diagnosis, d.count) for d in store.frequent_diagnoses()] == [("sign", 3), ("chain", 2), ("zero", 1)]
    assert [d.diagnosis for d in store.frequent_diagnoses(2)] == ["sign", "chain"]
    assert [(d.diagnosis, d.count) for d in store.frequent_diagnoses(lesson_id="a")] == [
        ("chain", 1), ("sign", 1), ("zero", 1)]


history_strategy = st.lists(
    st.tuples(st.sampled_from(["p1", "p2"]), st.sampled_from(["l1", "l2"]), st.sampled_from(["q1", "q2", "q3"]),
              st.sampled_from(list(Verdict)), st.integers(0, 3), st.integers(0, 600)),
    max_size=25,
)


@settings(max_examples=40, deadline=None)
@given(history=history_strategy)
def test_lesson_and_pack_stats_agree_with_a_direct_count(tmp_path_factory, history):
    with ProgressStore(tmp_path_factory.mktemp("stats") / "progress.db") as fresh:
        for minute, (pack, lesson, problem, verdict, hints, seconds) in enumerate(history):
            fresh.record_attempt(attempt(problem, verdict, pack_id=pack, lesson_id=lesson, minutes=minute,
                                         hints_used=hints, seconds=seconds))
        counted = [(i, *entry) for i, entry in enumerate(history) if entry[3] is not Verdict.INVALID]
        for group_size, rows in ((2, fresh.lesson_stats()), (1, fresh.pack_stats())):
            expected_keys = sorted({entry[1:1 + group_size] for entry in counted})
            assert [(row.pack_id, row.lesson_id)[:group_size] for row in rows] == expected_keys
            for row in rows:
                key = (row.pack_id, row.lesson_id)[:group_size]
                mine = [entry for entry in counted if entry[1:1 + group_size] == key]
                verdicts = Counter(entry[4] for entry in mine)
                assert row.attempts == len(mine)
                assert (row.correct, row.incorrect, row.gave_up, row.unchecked) == (
                    verdicts[Verdict.CORRECT], verdicts[Verdict.INCORRECT], verdicts[Verdict.GAVE_UP],
                    verdicts[Verdict.UNCHECKED])
                assert row.problems_attempted == len({entry[3] for entry in mine})
                assert row.problems_solved == len({entry[3] for entry in mine if entry[4] is Verdict.CORRECT})
                assert row.hints_used == sum(entry[5] for entry in mine)
                assert row.seconds_spent == sum(entry[6] for entry in mine)
                assert row.last_activity == START + timedelta(minutes=max(entry[0] for entry in mine))


# ------------------------------------------------------------------------------------------------- reset

def _fill_for_reset(store):
    from tutor.progress import SpacedReview

    review = SpacedReview(store, enable_fuzzing=False)
    review.record_attempt(attempt("c1", Verdict.CORRECT, lesson_id="chain", minutes=1))
    review.record_attempt(attempt("c2", Verdict.INCORRECT, lesson_id="chain", minutes=2))
    review.record_attempt(attempt("i1", Verdict.CORRECT, lesson_id="intro", minutes=3))
    review.record_attempt(attempt("c1", Verdict.CORRECT, lesson_id="chain", pack_id="other", minutes=4))
    return review


def test_reset_of_one_lesson_forgets_its_answers_and_cards_only(store):
    review = _fill_for_reset(store)
    preview = store.reset_preview(lesson_id="chain")
    removed = store.reset(lesson_id="chain")
    assert removed == preview
    assert (removed.attempts_removed, removed.cards_removed, removed.review_entries_removed) == (3, 3, 3)
    assert {(row.attempt.pack_id, row.attempt.problem_id) for row in store.attempts()} == {("basics", "i1")}
    assert [card.key for card in review.upcoming_cards()] == [("basics", "i1")]


def test_reset_of_everything_leaves_an_empty_store(store):
    _fill_for_reset(store)
    assert store.reset().attempts_removed == 4
    assert store.is_empty()
    assert store.reset() == store.reset_preview()


# --------------------------------------------------------------------------------------------- migration

# Frozen copy of schema version 1 as released: migrating real v1 files is what this test is about,
# so it must not follow later edits to MIGRATIONS.
V1_SCHEMA = """
CREATE TABLE attempts (
    id INTEGER PRIMARY KEY,
    pack_id TEXT NOT NULL,
    pack_version TEXT NOT NULL,
    lesson_id TEXT NOT NULL,
    problem_id TEXT NOT NULL,
    variant_seed INTEGER,
    answer_text TEXT NOT NULL,
    verdict TEXT NOT NULL CHECK (verdict IN ('correct', 'incorrect', 'invalid', 'unchecked', 'gave-up')),
    diagnosis TEXT,
    hints_used INTEGER NOT NULL CHECK (hints_used >= 0),
    seconds REAL NOT NULL CHECK (seconds >= 0),
    answered_at TEXT NOT NULL
);
CREATE INDEX attempts_by_problem ON attempts (pack_id, problem_id);
CREATE INDEX attempts_by_lesson ON attempts (pack_id, lesson_id);
"""


def _make_v1_database(path):
    connection = sqlite3.connect(path)
    connection.executescript(V1_SCHEMA)
    connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    connection.execute("PRAGMA user_version = 1")
    rows = [("basics", "1.0", "chain", "q1", 7, "6", "correct", None, 0, 12.5, "2025-01-01T10:00:00.000000+00:00"),
            ("basics", "1.0", "chain", "q2", None, "3", "incorrect", "sign", 1, 30.0, "2025-01-01T10:05:00.000000+00:00")]
    connection.executemany("INSERT INTO attempts (pack_id, pack_version, lesson_id, problem_id, variant_seed, "
                           "answer_text, verdict, diagnosis, hints_used, seconds, answered_at) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    connection.commit()
    connection.close()


def test_a_version_1_database_is_migrated_with_its_history_intact(tmp_path):
    path = tmp_path / "progress.db"
    _make_v1_database(path)
    with ProgressStore(path) as migrated:
        assert migrated.recovery_notice is None
        assert migrated.schema_version == LATEST_SCHEMA_VERSION
        history = migrated.attempts()
        assert [(row.attempt.problem_id, row.attempt.verdict, row.attempt.variant_seed, row.attempt.seconds)
                for row in history] == [("q1", Verdict.CORRECT, 7, 12.5), ("q2", Verdict.INCORRECT, None, 30.0)]
        uids = [row.uid for row in history]
        assert all(uids) and len(set(uids)) == 2
        assert migrated.problem_status("basics", "q1") is ProblemStatus.SOLVED
        from tutor.progress import SpacedReview

        outcome = SpacedReview(migrated, enable_fuzzing=False).record_attempt(attempt("q2", minutes=60 * 24 * 400))
        assert outcome.review is not None
    with ProgressStore(path) as reopened:  # migrating again is a no-op
        assert [row.uid for row in reopened.attempts()][:2] == uids


def test_migration_is_all_or_nothing(tmp_path, monkeypatch):
    path = tmp_path / "progress.db"
    _make_v1_database(path)
    import tutor.progress.store as store_module

    broken = list(store_module.MIGRATIONS)
    broken[1] = (*broken[1], "THIS IS NOT SQL")
    monkeypatch.setattr(store_module, "MIGRATIONS", broken)
    with pytest.raises(store_module.ProgressError):
        ProgressStore(path)
    connection = sqlite3.connect(path)
    assert connection.execute("PRAGMA user_version").fetchone()[0] == 1
    columns = [row[1] for row in connection.execute("PRAGMA table_info(attempts)")]
    assert "uid" not in columns
    assert connection.execute("SELECT count(*) FROM sqlite_master WHERE name = 'review_cards'").fetchone()[0] == 0
    connection.close()
