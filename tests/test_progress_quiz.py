"""Headless quizzes: choosing problems, one question at a time, retry/skip, summary."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tutor.progress import Attempt, ProblemRef, ProblemStatus, ProgressError, ProgressStore, SpacedReview, Verdict
from tutor.progress.quiz import (
    QuestionOutcome,
    QuizFinishedError,
    QuizSelection,
    QuizSession,
    select_problems,
)

T0 = datetime(2025, 7, 1, 18, 0, tzinfo=UTC)

CATALOG = [
    ProblemRef("basics", "intro", "i1", {"forward"}, "1.0"),
    ProblemRef("basics", "intro", "i2", {"forward", "add"}, "1.0"),
    ProblemRef("basics", "chain", "c1", {"chain-rule", "mul"}, "1.0"),
    ProblemRef("basics", "chain", "c2", {"chain-rule", "add"}, "1.0"),
    ProblemRef("basics", "chain", "c3", {"chain-rule"}, "1.0"),
    ProblemRef("mlp", "relu", "r1", {"relu", "chain-rule"}, "0.3"),
    ProblemRef("mlp", "relu", "r2", {"relu"}, "0.3"),
]


def keys(problems):
    return [problem.key for problem in problems]


@pytest.fixture
def store(tmp_path):
    with ProgressStore(tmp_path / "progress.db") as opened:
        yield opened


# ------------------------------------------------------------------------------------------- selection

@pytest.mark.parametrize("selection, expected", [
    (QuizSelection.lesson("basics", "chain"), {("basics", "c1"), ("basics", "c2"), ("basics", "c3")}),
    (QuizSelection.pack("mlp"), {("mlp", "r1"), ("mlp", "r2")}),
    (QuizSelection.with_tags({"add", "relu"}), {("basics", "i2"), ("basics", "c2"), ("mlp", "r1"), ("mlp", "r2")}),
    (QuizSelection.with_tags({"chain-rule", "add"}, match_all=True), {("basics", "c2")}),
    (QuizSelection.with_tags({"chain-rule"}, pack_id="mlp"), {("mlp", "r1")}),
])
def test_selection_picks_exactly_the_matching_problems(selection, expected):
    chosen = select_problems(CATALOG, selection, length=50, rng=random.Random(1))
    assert set(keys(chosen)) == expected and len(chosen) == len(expected)


@settings(max_examples=40, deadline=None)
@given(length=st.integers(1, 10), seed=st.integers(0, 2**32))
def test_selection_respects_length_has_no_repeats_and_is_reproducible(length, seed):
    chosen = select_problems(CATALOG + CATALOG, QuizSelection.pack("basics"), length=length, rng=random.Random(seed))
    assert len(chosen) == min(length, 5)
    assert len(set(keys(chosen))) == len(chosen)
    assert chosen == select_problems(CATALOG, QuizSelection.pack("basics"), length=length, rng=random.Random(seed))


def test_a_studied_only_quiz_keeps_to_lessons_the_learner_has_started(store):
    # Only the chain lesson has answers (one invalid answer in intro does not count as studying it).
    store.record_attempt(Attempt("basics", "1.0", "chain", "c1", "x", Verdict.INCORRECT, answered_at=T0))
    store.record_attempt(Attempt("basics", "1.0", "intro", "i1", "2*", Verdict.INVALID, answered_at=T0))
    for selection in (QuizSelection.pack("basics", studied_only=True),
                      QuizSelection.with_tags({"chain-rule", "add", "relu"}, studied_only=True)):
        chosen = select_problems(CATALOG, selection, length=50, rng=random.Random(3), store=store)
        assert set(keys(chosen)) == {("basics", "c1"), ("basics", "c2"), ("basics", "c3")}, selection
    everything = select_problems(CATALOG, QuizSelection.pack("basics"), length=50, rng=random.Random(3), store=store)
    assert len(everything) == 5  # asked for: lessons not studied yet come too
    assert select_problems(CATALOG, QuizSelection.pack("mlp", studied_only=True), length=5, store=store) == []


def test_selection_prefers_unfinished_problems_when_it_knows_the_history(store):
    store.record_attempt(Attempt("basics", "1.0", "chain", "c1", "x", Verdict.CORRECT, answered_at=T0))
    store.record_attempt(Attempt("basics", "1.0", "chain", "c2", "x", Verdict.INCORRECT, answered_at=T0))
    for seed in range(10):
        chosen = select_problems(CATALOG, QuizSelection.lesson("basics", "chain"), length=3, rng=random.Random(seed),
                                 store=store)
        assert [store.problem_status(*problem.key) for problem in chosen] == [
            ProblemStatus.ATTEMPTED, ProblemStatus.NEW, ProblemStatus.SOLVED]


def test_mixed_review_puts_due_cards_first_then_the_soonest_due(store):
    review = SpacedReview(store, enable_fuzzing=False)
    for problem, verdict in [("c1", Verdict.CORRECT), ("c2", Verdict.INCORRECT), ("i1", Verdict.CORRECT)]:
        review.record_attempt(Attempt("basics", "1.0", "x", problem, "x", verdict, answered_at=T0))
    review.record_attempt(Attempt("mlp", "0.3", "relu", "r1", "x", Verdict.GAVE_UP, answered_at=T0 - timedelta(days=1)))
    review.record_attempt(Attempt("old", "1.0", "gone", "zz", "x", Verdict.INCORRECT, answered_at=T0 - timedelta(days=9)))
    now = T0 + timedelta(days=1)
    chosen = select_problems(CATALOG, QuizSelection.mixed_review(), length=3, review=review, now=now)
    # r1 is the most overdue; c2 is due today; then the soonest of the rest. "zz" is no longer in any pack.
    assert keys(chosen) == [("mlp", "r1"), ("basics", "c2"), ("basics", "c1")]
    assert keys(select_problems(CATALOG, QuizSelection.mixed_review("mlp"), length=5, review=review, now=now)) == [
        ("mlp", "r1")]
    with pytest.raises(ValueError, match="SpacedReview"):
        select_problems(CATALOG, QuizSelection.mixed_review(), length=3)


def test_mixed_review_without_history_is_empty(store):
    review = SpacedReview(store)
    assert select_problems(CATALOG, QuizSelection.mixed_review(), length=5, review=review, now=T0) == []


def test_bad_selection_arguments_are_refused():
    with pytest.raises(ValueError, match="at least one tag"):
        QuizSelection.with_tags([])
    with pytest.raises(ValueError, match="at least one question"):
        select_problems(CATALOG, QuizSelection.pack("basics"), length=0)


# --------------------------------------------------------------------------------------------- session

def test_a_quiz_asks_one_question_at_a_time_with_retry_and_skip():
    recorded: list[Attempt] = []
    session = QuizSession(CATALOG[:4], started_at=T0, record=recorded.append)
    assert session.current == CATALOG[0] and session.total == 4
    # Q1: correct at once.
    feedback = session.answer(Verdict.CORRECT, at=T0 + timedelta(seconds=30), answer_text="6")
    assert feedback.question_done and feedback.outcome is QuestionOutcome.CORRECT
    # Q2: unreadable input (not counted), wrong with a diagnosis, a hint, then right: a retry.
    assert session.current == CATALOG[1]
    invalid = session.answer(Verdict.INVALID, at=T0 + timedelta(seconds=40), answer_text="6*")
    assert not invalid.counted and not invalid.question_done and session.current_tries == 0
    wrong = session.answer(Verdict.INCORRECT, at=T0 + timedelta(seconds=60), diagnosis="sign")
    assert wrong.counted and not wrong.question_done and session.current == CATALOG[1]
    assert session.take_hint() == 1
    right = session.answer(Verdict.CORRECT, at=T0 + timedelta(seconds=90))
    assert right.question_done and right.tries == 2 and right.attempt.hints_used == 1
    # Q3: wrong, then skipped. Q4: given up.
    session.answer(Verdict.INCORRECT, at=T0 + timedelta(seconds=100), diagnosis="sign")
    session.skip(at=T0 + timedelta(seconds=110))
    session.give_up(at=T0 + timedelta(seconds=150))
    assert session.is_finished and session.current is None
    with pytest.raises(QuizFinishedError):
        session.answer(Verdict.CORRECT, at=T0 + timedelta(seconds=160))

    summary = session.summary()
    assert [result.outcome for result in summary.results] == [
        QuestionOutcome.CORRECT, QuestionOutcome.CORRECT, QuestionOutcome.SKIPPED, QuestionOutcome.GAVE_UP]
    assert (summary.total, summary.correct, summary.correct_first_try, summary.skipped, summary.gave_up) == (4, 2, 1, 1, 1)
    assert summary.score == 0.5 and summary.hints_used == 1
    assert summary.seconds == 150
    assert [(d.diagnosis, d.count) for d in summary.frequent_diagnoses] == [("sign", 2)]
    assert [result.seconds for result in summary.results] == [30, 60, 20, 40]
    # One recorded attempt per answer, with the time since the previous event on that question.
    assert [(a.problem_id, a.verdict, a.seconds) for a in recorded] == [
        ("i1", Verdict.CORRECT, 30), ("i2", Verdict.INVALID, 10), ("i2", Verdict.INCORRECT, 20),
        ("i2", Verdict.CORRECT, 30), ("c1", Verdict.INCORRECT, 10), ("c2", Verdict.GAVE_UP, 40)]
    assert all(a.pack_version == "1.0" for a in recorded)


def test_max_tries_moves_on_after_the_last_wrong_answer():
    session = QuizSession(CATALOG[:2], started_at=T0, max_tries=2)
    session.answer(Verdict.INCORRECT, at=T0)
    feedback = session.answer(Verdict.INCORRECT, at=T0)
    assert feedback.question_done and feedback.outcome is QuestionOutcome.INCORRECT
    assert session.current == CATALOG[1]


def test_finishing_early_marks_the_rest_unanswered():
    session = QuizSession(CATALOG[:3], started_at=T0)
    session.answer(Verdict.CORRECT, at=T0 + timedelta(minutes=1))
    session.answer(Verdict.INCORRECT, at=T0 + timedelta(minutes=2))
    summary = session.finish(at=T0 + timedelta(minutes=5))
    assert [result.outcome for result in summary.results] == [
        QuestionOutcome.CORRECT, QuestionOutcome.INCORRECT, QuestionOutcome.UNANSWERED]
    assert summary.unanswered == 1 and summary.seconds == 300 and session.is_finished


def test_an_empty_quiz_is_finished_from_the_start():
    session = QuizSession([], started_at=T0)
    assert session.is_finished and session.summary().score == 0.0


def test_a_failing_recorder_leaves_the_question_open_for_resubmission():
    calls = []

    def flaky(attempt):
        calls.append(attempt)
        if len(calls) == 1:
            raise ProgressError("the progress file is busy")

    session = QuizSession(CATALOG[:1], started_at=T0, record=flaky)
    with pytest.raises(ProgressError):
        session.answer(Verdict.CORRECT, at=T0 + timedelta(seconds=5))
    assert session.current == CATALOG[0] and session.current_tries == 0
    assert session.answer(Verdict.CORRECT, at=T0 + timedelta(seconds=6)).question_done


def test_a_quiz_wired_to_spaced_review_records_answers_and_schedules(store):
    review = SpacedReview(store, enable_fuzzing=False)
    session = QuizSession(CATALOG[:2], started_at=T0, record=review.record_attempt)
    session.answer(Verdict.CORRECT, at=T0 + timedelta(seconds=20), answer_text="6")
    session.answer(Verdict.INCORRECT, at=T0 + timedelta(seconds=50), diagnosis="sign")
    session.skip(at=T0 + timedelta(seconds=55))
    assert [(row.attempt.problem_id, row.attempt.verdict) for row in store.attempts()] == [
        ("i1", Verdict.CORRECT), ("i2", Verdict.INCORRECT)]
    assert review.count_due(T0 + timedelta(days=1, minutes=1)) == 1  # the wrong one, a day after it


actions = st.lists(st.tuples(st.sampled_from(["correct", "incorrect", "invalid", "unchecked", "gave-up", "skip",
                                              "hint"]), st.integers(0, 120)), max_size=30)


@settings(max_examples=80, deadline=None)
@given(script=actions, count=st.integers(0, 5), max_tries=st.none() | st.integers(1, 3))
def test_summary_accounts_for_every_question_whatever_happens(script, count, max_tries):
    session = QuizSession(CATALOG[:count], started_at=T0, max_tries=max_tries)
    at = T0
    for action, step in script:
        if session.is_finished:
            break
        at += timedelta(seconds=step)
        if action == "skip":
            session.skip(at=at)
        elif action == "hint":
            session.take_hint()
        else:
            session.answer(action, at=at, diagnosis="d" if action == "incorrect" else None)
    summary = session.finish(at=at)
    outcomes = [result.outcome for result in summary.results]
    assert len(outcomes) == count and QuestionOutcome.PENDING not in outcomes
    assert summary.correct + summary.incorrect + summary.skipped + summary.gave_up + summary.unanswered + \
        outcomes.count(QuestionOutcome.UNCHECKED) == count
    assert 0 <= summary.correct_first_try <= summary.correct and 0.0 <= summary.score <= 1.0
    assert summary.seconds == (at - T0).total_seconds()
    assert sum(result.seconds for result in summary.results) <= summary.seconds + 1e-9
    if max_tries is not None:
        assert all(result.tries <= max_tries for result in summary.results)


def test_pack_objects_convert_to_refs_and_lessons_without_importing_the_pack_models():
    from types import SimpleNamespace as Thing

    from tutor.progress import LessonProblems
    from tutor.progress.quiz import lessons_from_packs, refs_from_packs

    lesson = Thing(id="chain", tags=["chain-rule"],
                   problems=lambda: [Thing(id="c1", tags=["mul"]), Thing(id="c2", tags=[])])
    pack = Thing(id="basics", version="2.1.0", lessons=[lesson, Thing(id="empty", tags=[], problems=[])])
    assert refs_from_packs([pack]) == [ProblemRef("basics", "chain", "c1", {"chain-rule", "mul"}, "2.1.0"),
                                       ProblemRef("basics", "chain", "c2", {"chain-rule"}, "2.1.0")]
    assert lessons_from_packs([pack]) == [LessonProblems("basics", "chain", ["c1", "c2"]),
                                          LessonProblems("basics", "empty", [])]
