"""Spaced review: rating rule, cards as JSON, due times over simulated days, atomic recording."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from fsrs import Card, Rating
from hypothesis import given, settings
from hypothesis import strategies as st

from tutor.progress import Attempt, ProgressStore, SpacedReview, Verdict, rating_for

DAY0 = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)


def answer(problem: str, verdict: Verdict, *, hints: int = 0, at: datetime = DAY0) -> Attempt:
    return Attempt("basics", "1.0", "chain", problem, "x", verdict, hints_used=hints, seconds=40, answered_at=at)


@pytest.fixture
def store(tmp_path):
    with ProgressStore(tmp_path / "progress.db") as opened:
        yield opened


@pytest.fixture
def review(store):
    return SpacedReview(store, enable_fuzzing=False)


@pytest.mark.parametrize("verdict, hints, expected", [
    (Verdict.CORRECT, 0, Rating.Good),
    (Verdict.CORRECT, 1, Rating.Hard),
    (Verdict.CORRECT, 4, Rating.Hard),
    (Verdict.INCORRECT, 0, Rating.Again),
    (Verdict.INCORRECT, 2, Rating.Again),
    (Verdict.GAVE_UP, 0, Rating.Again),
    (Verdict.INVALID, 0, None),
    (Verdict.UNCHECKED, 0, None),
])
def test_rating_rule(verdict, hints, expected):
    assert rating_for(verdict, hints) == expected


def test_fuzzing_is_a_constructor_option(store):
    assert SpacedReview(store).scheduler.enable_fuzzing is True
    assert SpacedReview(store, enable_fuzzing=False).scheduler.enable_fuzzing is False


def test_cards_become_due_when_expected_over_two_simulated_days(review):
    review.record_attempt(answer("clean", Verdict.CORRECT))
    review.record_attempt(answer("hinted", Verdict.CORRECT, hints=2))
    review.record_attempt(answer("wrong", Verdict.INCORRECT))
    review.record_attempt(answer("abandoned", Verdict.GAVE_UP))
    review.record_attempt(answer("unreadable", Verdict.INVALID))
    review.record_attempt(answer("unjudged", Verdict.UNCHECKED))

    def due(at):
        return {card.problem_id for card in review.due_cards(at)}

    # Nothing comes back within the same sitting or the same day.
    assert due(DAY0) == set()
    assert due(DAY0 + timedelta(hours=23, minutes=59)) == set()
    # Day 1: the wrong, abandoned and hint-assisted problems come back; the clean solve does not.
    day1 = DAY0 + timedelta(days=1)
    assert due(day1) == {"hinted", "wrong", "abandoned"}
    assert review.count_due(day1) == 3
    # Day 1 practice: the wrong one is now solved cleanly, the abandoned one is wrong again.
    review.record_attempt(answer("wrong", Verdict.CORRECT, at=day1))
    review.record_attempt(answer("abandoned", Verdict.INCORRECT, at=day1))
    review.record_attempt(answer("hinted", Verdict.CORRECT, at=day1))
    assert due(day1 + timedelta(minutes=5)) == set()
    # Day 2: the clean solve from day 0 is due, and so is the problem missed again on day 1;
    # the two solved on day 1 have moved further out.
    day2 = DAY0 + timedelta(days=2)
    assert due(day2) == {"clean", "abandoned"}
    assert review.card("basics", "wrong").due > day2
    assert review.card("basics", "hinted").due > day2
    # Answers that are not reviews never create cards.
    assert review.card("basics", "unreadable") is None and review.card("basics", "unjudged") is None


def test_due_cards_are_most_overdue_first_and_can_be_limited_to_current_problems(review):
    review.record_attempt(answer("later", Verdict.INCORRECT, at=DAY0 + timedelta(hours=3)))
    review.record_attempt(answer("earlier", Verdict.INCORRECT, at=DAY0))
    review.record_attempt(answer("solid", Verdict.CORRECT, at=DAY0))
    now = DAY0 + timedelta(days=5)
    assert [card.problem_id for card in review.due_cards(now)] == ["earlier", "later", "solid"]
    assert [card.problem_id for card in review.due_cards(now, limit=1)] == ["earlier"]
    assert [card.problem_id for card in review.due_cards(now, only={("basics", "later")})] == ["later"]
    assert review.count_due(now, pack_id="another-pack") == 0
    assert review.next_due() == DAY0 + timedelta(days=1)


def test_cards_are_stored_as_fsrs_json_not_pickles(review, store):
    review.record_attempt(answer("q", Verdict.CORRECT))
    raw = store._connection.execute("SELECT card_json, due_at FROM review_cards").fetchone()
    card = Card.from_dict(json.loads(raw[0]))
    assert card.due == review.card("basics", "q").due
    assert raw[1] == card.due.isoformat(timespec="microseconds")


def test_answer_and_schedule_are_one_transaction(review, store, monkeypatch):
    def broken_review(*args, **kwargs):
        raise RuntimeError("scheduler exploded")

    monkeypatch.setattr(review.scheduler, "review_card", broken_review)
    with pytest.raises(RuntimeError):
        review.record_attempt(answer("q", Verdict.CORRECT))
    assert store.attempts() == []


def test_record_outcome_moves_the_schedule_without_storing_an_answer(review, store):
    outcome = review.record_outcome(pack_id="basics", lesson_id="chain", problem_id="q", verdict=Verdict.INCORRECT,
                                    hints_used=0, at=DAY0)
    assert outcome.rating is Rating.Again and outcome.due == DAY0 + timedelta(days=1)
    assert store.attempts() == []
    assert review.record_outcome(pack_id="basics", lesson_id="chain", problem_id="q", verdict=Verdict.INVALID,
                                 hints_used=0, at=DAY0) is None


def test_naive_times_are_refused(review):
    with pytest.raises(ValueError, match="timezone-aware"):
        review.due_cards(datetime(2025, 1, 1))


def test_learning_steps_can_be_turned_back_on(store):
    minutes = SpacedReview(store, enable_fuzzing=False, learning_steps=[timedelta(minutes=10)])
    outcome = minutes.record_outcome(pack_id="p", lesson_id="l", problem_id="q", verdict=Verdict.INCORRECT,
                                     hints_used=0, at=DAY0)
    assert outcome.due == DAY0 + timedelta(minutes=10)


@settings(max_examples=30, deadline=None)
@given(steps=st.lists(st.tuples(st.sampled_from([Verdict.CORRECT, Verdict.INCORRECT, Verdict.GAVE_UP]),
                                st.integers(0, 2), st.integers(-3600, 10 * 86400)), min_size=1, max_size=8))
def test_a_reviewed_card_is_never_due_before_its_review_and_never_before_tomorrow(tmp_path_factory, steps):
    with ProgressStore(tmp_path_factory.mktemp("review") / "progress.db") as fresh:
        review = SpacedReview(fresh, enable_fuzzing=False)
        at, previous_review = DAY0, None
        for verdict, hints, offset in steps:
            at = at + timedelta(seconds=offset)  # negative offsets: a clock that stepped backwards
            outcome = review.record_attempt(answer("q", verdict, hints=hints, at=at)).review
            last_review = outcome.card.last_review
            assert previous_review is None or last_review >= previous_review
            assert outcome.due >= last_review + timedelta(days=1)
            previous_review = last_review
            assert review.count_due(outcome.due - timedelta(seconds=1)) == 0
            assert review.count_due(outcome.due) == 1


# ------------------------------------------------------------------------------------ review by skill

def _event(skill, correct, at):
    from tutor.practice.mastery import SkillEvent

    return SkillEvent(skill, correct, 2, at)


def test_skills_get_cards_from_their_events_one_review_per_sitting():
    from tutor.progress.review import due_skills, skill_cards

    start = datetime(2026, 3, 2, 9, tzinfo=UTC)
    events = [_event("fan-out", True, start), _event("fan-out", True, start + timedelta(minutes=2)),
              _event("upstream", True, start), _event("upstream", False, start + timedelta(minutes=1))]
    cards = skill_cards(events)
    assert set(cards) == {"fan-out", "upstream"}
    # One sitting each: fan-out all right (Good) comes back later than upstream, which had a wrong entry (Again).
    assert cards["upstream"].due < cards["fan-out"].due
    assert cards["fan-out"].last_review == start + timedelta(minutes=2)
    assert due_skills(events, start + timedelta(hours=1)) == []
    assert due_skills(events, cards["upstream"].due) == ["upstream"]
    assert due_skills(events, cards["fan-out"].due + timedelta(days=1)) == ["upstream", "fan-out"]  # most overdue first
    # A second sitting of right answers, after the first gap, pushes upstream further out than one review did.
    later = events + [_event("upstream", True, cards["upstream"].due + timedelta(hours=1))]
    assert skill_cards(later)["upstream"].due > cards["upstream"].due + timedelta(hours=1)
    assert skill_cards([]) == {}


def test_a_due_skill_is_practised_first_and_as_a_fresh_graph():
    from tutor.practice.generate import generate
    from tutor.practice.mastery import next_skill, ratings
    from tutor.progress.review import due_skills

    start = datetime(2026, 3, 2, 9, tzinfo=UTC)
    events = [_event("local-mul", False, start)] + [_event("upstream", False, start + timedelta(minutes=n))
                                                     for n in range(3)]
    current = ratings(events)
    assert next_skill(current) == "upstream"  # the weakest, without the schedule
    now = start + timedelta(days=3)
    due = due_skills(events, now)
    assert due[0] == "local-mul"  # practised first, so due first
    assert next_skill(current, due=due) == "local-mul"
    # A due skill comes back as a new graph: practice draws a new seed per problem.
    assert generate("local-mul", 2, 1).to_json() != generate("local-mul", 2, 2).to_json()
