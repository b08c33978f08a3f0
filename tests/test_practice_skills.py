"""The skill vocabulary: every diagnosis maps to a skill, every trace entry to the skills it exercises."""

from __future__ import annotations

import pytest

from tutor.diagnosis_ids import ALL_LAYER_DIAGNOSES, BUILTIN_DIAGNOSES
from tutor.graph import build_graph
from tutor.practice.skills import (
    SKILL_IDS,
    SKILLS,
    UnknownSkill,
    all_diagnosis_ids,
    entry_skills,
    layer_entry_skills,
    skill,
    skill_for_diagnosis,
    skills_for_diagnosis,
)


def test_skill_ids_are_unique_and_documented():
    assert len(SKILL_IDS) == len(set(SKILL_IDS))
    for item in SKILLS:
        assert item.title and item.rule and item.kind in ("trace", "layer")


@pytest.mark.parametrize("diagnosis", BUILTIN_DIAGNOSES)
def test_every_graph_diagnosis_maps_to_a_skill(diagnosis):
    candidates = skills_for_diagnosis(diagnosis)
    assert candidates and set(candidates) <= set(SKILL_IDS)
    assert skill_for_diagnosis(diagnosis, "grad:a") in SKILL_IDS


@pytest.mark.parametrize("diagnosis", ALL_LAYER_DIAGNOSES)
def test_every_layer_diagnosis_maps_to_a_skill(diagnosis):
    candidates = skills_for_diagnosis(diagnosis, layer=True)
    assert candidates and set(candidates) <= set(SKILL_IDS)
    assert skill_for_diagnosis(diagnosis, "layer:dL/dW1", activation="relu") in SKILL_IDS


def test_all_diagnosis_ids_cover_both_vocabularies():
    assert set(all_diagnosis_ids()) == set(BUILTIN_DIAGNOSES) | set(ALL_LAYER_DIAGNOSES)


def test_an_author_mistake_id_reveals_no_skill():
    assert skills_for_diagnosis("forgot-the-bias") == ()
    assert skill_for_diagnosis(None, "grad:a") is None


def test_entry_skills_of_the_readme_graph():
    graph = build_graph("L = (a*b + c)^2", {"a": 2, "b": 3, "c": 1})  # z1 = a*b, z2 = z1 + c, L = z2^2
    assert entry_skills(graph, "value:z1") == ("forward",)
    assert entry_skills(graph, "grad:L") == ("value-vs-gradient",)
    through_a = entry_skills(graph, "grad:a")
    for expected in ("local-mul", "local-add", "local-pow", "upstream", "local-factor"):
        assert expected in through_a
    assert "fan-out" not in through_a
    assert entry_skills(graph, "local:z1/a") == ("local-mul",)


def test_entry_skills_see_fan_out_repeated_operands_and_signs():
    fan = build_graph("z1 = a*b; z2 = a - c; L = z1*z2", {"a": 2, "b": 3, "c": 5})
    assert "fan-out" in entry_skills(fan, "grad:a")
    assert "signs" in entry_skills(fan, "grad:c") and "local-sub" in entry_skills(fan, "grad:c")
    assert "signs" not in entry_skills(fan, "grad:b")
    square = build_graph("z1 = x*x; L = z1 + y", {"x": 3, "y": 2})
    assert "repeated-operand" in entry_skills(square, "local:z1/x")
    assert "repeated-operand" in entry_skills(square, "grad:x")


def test_skill_for_diagnosis_reads_the_learners_graph():
    graph = build_graph("z1 = w*x + b; L = tanh(z1)", {"w": 2, "x": 1, "b": -1})
    assert skill_for_diagnosis("activation-derivative", "grad:w", graph) == "local-tanh"
    sig = build_graph("L = sigmoid(a*b)", {"a": 2, "b": 1})
    assert skill_for_diagnosis("activation-derivative", "grad:a", sig) == "local-sigmoid"
    fan = build_graph("z1 = a*b; z2 = a + c; L = z1*z2", {"a": 2, "b": 3, "c": 5})
    assert skill_for_diagnosis("missing-path", "grad:a", fan) == "fan-out"
    square = build_graph("z1 = x*x; L = z1 + y", {"x": 3, "y": 2})
    assert skill_for_diagnosis("missing-path", "local:z1/x", square) == "repeated-operand"
    sub = build_graph("L = a - b", {"a": 2, "b": 3})
    assert skill_for_diagnosis("sign-flip", "grad:b", sub) == "local-sub"


def test_layer_entries():
    assert layer_entry_skills("z1") == ("forward",)
    assert "layer-dw" in layer_entry_skills("dL/dW1")
    assert "layer-relu-mask" in layer_entry_skills("dL/dz1", activation="relu")
    assert "loss-softmax-ce" in layer_entry_skills("dL/dz2", loss="softmax_ce", last_gradient="dL/dz2")
    assert skill_for_diagnosis("wrong-operand", "layer:dL/dW1") == "layer-dw"
    assert skill_for_diagnosis("wrong-operand", "layer:dL/da1") == "layer-dx"


def test_unknown_skill_suggests_the_nearest():
    with pytest.raises(UnknownSkill, match="did you mean local-tanh"):
        skill("local-tahn")


def test_every_code_diagnosis_maps_to_known_skills_and_no_stale_ids():
    from tutor.exercises.checking import diagnosis_ids
    from tutor.practice.skills import CODE_DIAGNOSIS_SKILLS, SKILL_IDS

    assert set(CODE_DIAGNOSIS_SKILLS) == set(diagnosis_ids())
    assert all(skill_id in SKILL_IDS for skills in CODE_DIAGNOSIS_SKILLS.values() for skill_id in skills)
    # Every bug a mutant engine names is a gradient rule: it reveals exactly one skill.
    from tutor.exercises.mutants import MUTATIONS

    assert all(len(CODE_DIAGNOSIS_SKILLS[mutation.id]) == 1 for mutation in MUTATIONS)


def test_code_run_skills_name_the_rule_and_an_undiagnosed_run_counts_against_the_exercise():
    from tutor.exercises import EXERCISES
    from tutor.practice.skills import code_exercise_skills, code_run_skills

    ops = EXERCISES["add-mul"].ops
    assert code_run_skills("mul-own-value", ops) == ("local-mul",)
    assert code_run_skills("assign-add", ops) == ("fan-out",)
    assert code_run_skills("no-seed", ops) == ("value-vs-gradient",)
    assert code_run_skills("wrong-gradient", ops) == code_exercise_skills(ops) == ("local-add", "local-mul",
                                                                                    "upstream", "fan-out")
    assert code_run_skills("runtime-error", ops) == () and code_exercise_skills(EXERCISES["xor"].ops) == ()


def test_the_session_records_a_layer_entry_once_and_a_code_run_by_its_diagnosis():
    # A problem's whole attempt (ask None) says nothing for layer and code problems: their entries and
    # runs arrive on their own (practice hands both to record_skill_evidence; nothing may count twice).
    import random
    from datetime import UTC, datetime
    from pathlib import Path

    from tutor.packs.loader import PackCatalog, load_pack
    from tutor.packs.variants import render_problem
    from tutor.ui.session import TutorSession

    when = datetime(2026, 1, 1, tzinfo=UTC)
    session = TutorSession(PackCatalog([]), None, None, lambda: when, random.Random(0))
    pack = load_pack(Path(__file__).resolve().parents[1] / "lessons" / "backprop")
    layer = render_problem(pack.problem("layers-first-weights").problem, 0)
    code = render_problem(pack.problem(next(ref.problem.id for ref in pack.problems()
                                            if ref.problem.kind == "code")).problem, 0)
    assert session.record_skill_evidence(layer, None, "correct", None, 3) == []
    assert session.record_skill_evidence(code, None, "incorrect", "div-sign", 3) == []
    right = session.record_skill_evidence(layer, "layer:dL/dW2", "correct", None, 3)
    assert [(e.skill, e.correct) for e in right] == [("layer-shapes", True), ("layer-dw", True), ("upstream", True)]
    wrong = session.record_skill_evidence(layer, "layer:dL/dW2", "incorrect", "transposed", 3)
    assert [(e.skill, e.correct, e.diagnosis) for e in wrong] == [("layer-shapes", False, "transposed")]
    run = session.record_skill_evidence(code, f"code:{code.problem.exercise}", "incorrect", "div-sign", 3)
    assert [(e.skill, e.correct, e.diagnosis) for e in run] == [("local-div", False, "div-sign")]
    assert session.record_skill_evidence(code, f"code:{code.problem.exercise}", "incorrect", "runtime-error", 3) == []
    # A step whose checks test only arithmetic (byov-arithmetic) credits no tanh or exp skill when it passes.
    arithmetic = render_problem(pack.problem("byov-arithmetic").problem, 0)
    passed = session.record_skill_evidence(arithmetic, f"code:{arithmetic.problem.exercise}", "correct", None, 3)
    skills = {event.skill for event in passed}
    assert "local-div" in skills and not skills & {"local-tanh", "local-exp", "local-relu", "local-sigmoid"}
