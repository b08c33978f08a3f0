"""The mastery model (tutor/practice/mastery.py): Elo-style ratings per skill, levels, leeches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from tutor.graph import build_graph
from tutor.practice import mastery
from tutor.practice.mastery import SkillEvent, events_for_answer, level_for, next_skill, ratings

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def event(skill: str, correct: bool, minute: int, level: int = 3, diagnosis: str | None = None) -> SkillEvent:
    return SkillEvent(skill, correct, level, T0 + timedelta(minutes=minute), diagnosis)


def test_a_new_skill_starts_at_an_even_chance_of_an_average_entry():
    assert ratings([]).get("upstream").mastery == 0.5


def test_mastery_rises_on_a_run_of_right_answers_and_the_level_follows():
    # Practice as the tutor runs it: each answer at the level the model offers.
    history: list[SkillEvent] = []
    levels = []
    for minute in range(15):
        levels.append(level_for(ratings(history).get("upstream")))
        history.append(event("upstream", True, minute, levels[-1]))
    assert levels[0] == 1 and levels[-1] >= 4  # a new skill starts easy and climbs
    assert levels == sorted(levels)  # never down on right answers
    assert ratings(history).get("upstream").mastered


def test_two_slips_in_a_row_drop_the_level_by_one():
    strong = [event("local-mul", True, minute) for minute in range(8)]
    before = level_for(ratings(strong).get("local-mul"))
    after = level_for(ratings(strong + [event("local-mul", False, 9), event("local-mul", False, 10)]).get("local-mul"))
    assert after <= before - 1


@given(st.lists(st.tuples(st.booleans(), st.integers(1, 5)), max_size=60))
def test_a_right_answer_never_lowers_a_rating_and_a_wrong_one_never_raises_it(history):
    events = [event("fan-out", correct, minute, level) for minute, (correct, level) in enumerate(history)]
    current = ratings(events).get("fan-out")
    assert ratings(events + [event("fan-out", True, 999)]).get("fan-out").rating > current.rating
    assert ratings(events + [event("fan-out", False, 999)]).get("fan-out").rating < current.rating
    assert 0.0 < current.mastery < 1.0


def test_the_weakest_skill_met_so_far_comes_next_and_a_due_one_first():
    history = [event("local-add", True, 0), event("local-add", True, 1), event("upstream", False, 2)]
    current = ratings(history)
    assert next_skill(current) == "upstream"
    assert next_skill(current, due=["local-add"]) == "local-add"
    assert next_skill(ratings([])) == mastery.SKILLS[0].id


def test_the_same_diagnosis_three_times_is_a_leech():
    history = [event("upstream", False, minute, diagnosis="missing-upstream") for minute in (0, 5, 9)]
    assert mastery.leech(history[:2]) is None
    assert mastery.leech(history) == ("missing-upstream", "upstream")
    # Right answers between the slips do not hide it: one traced graph gives some 25 events.
    spread = history[:1] + [event("forward", True, minute) for minute in range(1, 40)] + history[1:]
    assert mastery.leech(spread) == ("missing-upstream", "upstream")
    # Found when it happens: the third slip is the newest event, not a right answer after it.
    assert mastery.leech(history + [event("forward", True, 10)]) is None
    # Other mistakes since push the first slip out of the window of the last 12 mistakes.
    others = [event("local-mul", False, 10 + n, diagnosis="sign-flip") for n in range(11)]
    assert mastery.leech(history[:1] + others + history[1:]) is None
    assert mastery.leech(history[:1] + others[:9] + history[1:]) == ("missing-upstream", "upstream")


def test_an_entry_gives_evidence_for_its_skills():
    graph = build_graph("L = (a*b + c)^2", {"a": 2, "b": 3, "c": 1})
    right = events_for_answer(graph, "grad:a", "correct", None, level=2, answered_at=T0)
    assert {item.skill for item in right} >= {"upstream", "local-mul"} and all(item.correct for item in right)
    wrong = events_for_answer(graph, "grad:a", "incorrect", "missing-upstream", level=2, answered_at=T0)
    assert [(item.skill, item.correct, item.diagnosis) for item in wrong] == [("upstream", False, "missing-upstream")]
    assert events_for_answer(graph, "grad:a", "invalid", None, level=2, answered_at=T0) == []


def test_skill_events_survive_in_the_store_in_order(tmp_path):
    from tutor.progress import ProgressStore

    with ProgressStore(tmp_path / "progress.db") as store:
        store.record_skill_events([event("upstream", False, 3, 2, "missing-upstream"), event("forward", True, 1)])
        rows = store.skill_event_rows()
    assert [(skill, correct, level, diagnosis) for skill, correct, level, diagnosis, _ in rows] == [
        ("forward", True, 3, None), ("upstream", False, 2, "missing-upstream")]
    with ProgressStore(tmp_path / "progress.db") as reopened:
        assert len(reopened.skill_event_rows()) == 2
