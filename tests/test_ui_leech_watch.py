"""LeechWatch, the leech handling Practice and the quiz share: each leech acted on once, others still seen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tutor.practice.mastery import SkillEvent
from tutor.ui.screens.replay import LeechWatch

T0 = datetime(2026, 1, 1, tzinfo=UTC)


class NoLessons:
    def lessons(self) -> list:
        return []


def slip(skill: str, diagnosis: str, minute: int) -> SkillEvent:
    return SkillEvent(skill, False, 2, T0 + timedelta(minutes=minute), diagnosis)


def right(minute: int) -> SkillEvent:
    return SkillEvent("forward", True, 2, T0 + timedelta(minutes=minute))


def test_a_second_diagnosis_is_a_leech_even_with_slips_from_before_the_first():
    watch = LeechWatch(NoLessons())  # type: ignore[arg-type]
    events = [slip("fan-out", "missing-path", 0), slip("fan-out", "missing-path", 1)]
    events += [slip("upstream", "missing-upstream", 2 + n) for n in range(3)]
    offer = watch.check(events, None)
    assert offer is not None and "missing-upstream" in offer.plain and watch.skill == "upstream"
    events += [right(6), slip("upstream", "missing-upstream", 7)]
    assert watch.check(events, None) is None  # the same leech: acted on already, one new slip is not three
    events += [right(8), slip("fan-out", "missing-path", 9)]  # the third missing-path, two of them earlier
    offer = watch.check(events, None)
    assert offer is not None and "missing-path" in offer.plain and watch.skill == "fan-out"
    events += [slip("upstream", "missing-upstream", 10)]
    assert watch.check(events, None) is None  # two since it was acted on (minutes 7 and 10)
    events += [slip("upstream", "missing-upstream", 11)]
    assert watch.check(events, None) is not None and watch.skill == "upstream"  # three new ones
