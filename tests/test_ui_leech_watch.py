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


def test_the_lesson_opens_at_the_text_before_the_first_problem_testing_the_slip():
    from types import SimpleNamespace as NS

    from tutor.ui.screens.replay import step_heading, teaching_step

    steps = [NS(kind="text", text="## Values"), NS(kind="ask", tests=[NS(diagnosis="value-for-grad")]),
             NS(kind="text", text="Intro\n## The backward pass\nmore"),
             NS(kind="trace", tests=[NS(diagnosis=None), NS(diagnosis="missing-upstream")]),
             NS(kind="ask", tests=[NS(diagnosis="missing-upstream")])]
    entry = NS(lesson=NS(steps=steps))
    assert teaching_step(entry, "missing-upstream") == 2
    assert step_heading(entry, 2) == "The backward pass"
    assert teaching_step(entry, "missing-path") == 0  # no problem tests it: the start
    first = NS(lesson=NS(steps=[NS(kind="ask", tests=[NS(diagnosis="sign-flip")])]))
    assert teaching_step(first, "sign-flip") == 0 and step_heading(first, 0) == ""
