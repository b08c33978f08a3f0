"""Gradcheck lab: correct gradients agree, planted bugs are caught, epsilon's U-shape."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tutor.engine import Value
from tutor.labs.base import relative_error
from tutor.labs.gradcheck import (
    AGREEMENT_THRESHOLD,
    SWEEP_EPSILONS,
    TARGETS,
    WRONG_THRESHOLD,
    GradcheckLab,
    GradcheckSettings,
    best_epsilon,
    check_point,
    epsilon_sweep,
    gradcheck_questions,
    gradient_check,
)

SEEDS = range(5)
GOOD_EPSILON = 1e-5


def test_the_lab_does_not_open_at_the_best_epsilon() -> None:
    """The best-epsilon question's answer is not the starting value with a green 'agree' beside it."""
    choice = next(question for question in GradcheckLab().questions() if question.id == "gradcheck.best-epsilon")
    answer = next(option.text for option in choice.options if option.id == choice.expected)
    assert float(answer) != GradcheckSettings().epsilon
    assert gradient_check(GradcheckSettings()).verdict != "agree"


@pytest.mark.parametrize("target", TARGETS)
def test_correct_gradients_agree_and_planted_bugs_are_caught(target: str) -> None:
    for seed in SEEDS:
        # At a good epsilon (the lab opens at 1e-2, which is not: a question asks which is best).
        correct = gradient_check(GradcheckSettings(target=target, seed=seed, epsilon=GOOD_EPSILON))
        buggy = gradient_check(GradcheckSettings(target=target, seed=seed, plant_bug=True, epsilon=GOOD_EPSILON))
        assert correct.max_relative_error < AGREEMENT_THRESHOLD == 1e-6, (seed, correct.comparisons)
        assert correct.verdict == "agree"
        assert buggy.max_relative_error > WRONG_THRESHOLD == 1e-2, (seed, buggy.comparisons)
        assert buggy.verdict == "wrong" and buggy.bug_text
        # The bug changes only the analytic side: the numerical estimates are identical.
        assert [c.numerical for c in buggy.comparisons] == [c.numerical for c in correct.comparisons]


def test_planting_a_bug_leaves_the_engine_alone() -> None:
    gradient_check(GradcheckSettings(target="tanh", plant_bug=True))
    gradient_check(GradcheckSettings(target="network", plant_bug=True))
    x = Value(0.7)
    y = x.tanh()
    assert y.local_grads == (1.0 - math.tanh(0.7) ** 2,)
    assert gradient_check(GradcheckSettings(target="tanh", epsilon=GOOD_EPSILON)).max_relative_error < AGREEMENT_THRESHOLD


@pytest.mark.parametrize("target", ["tanh", "sigmoid", "exp", "log", "div", "pow", "network"])
def test_epsilon_sweep_is_u_shaped(target: str) -> None:
    for seed in range(3):
        sweep = epsilon_sweep(GradcheckSettings(target=target, seed=seed))
        errors = [error for _, error in sweep]
        lowest = min(errors)
        best = best_epsilon(sweep)
        assert SWEEP_EPSILONS[0] > best > SWEEP_EPSILONS[-1]
        assert 1e-7 <= best <= 1e-3, (target, seed, sweep)  # the floor sits at a middle epsilon
        assert errors[0] > 100 * lowest and errors[-1] > 100 * lowest, (target, seed, sweep)


def test_linear_ops_have_no_truncation_arm() -> None:
    # Central differences are exact for functions whose third derivative is zero: at the largest
    # epsilon only rounding is left, so the error is tiny instead of large.
    for target in ("add", "sub", "mul"):
        (largest, error), *_ = epsilon_sweep(GradcheckSettings(target=target))
        assert largest == SWEEP_EPSILONS[0] and error < 1e-12


@settings(max_examples=200)
@given(
    a=st.floats(-1e6, 1e6, allow_nan=False),
    b=st.floats(-1e6, 1e6, allow_nan=False),
)
def test_relative_error_rules(a: float, b: float) -> None:
    error = relative_error(a, b)
    assert error == relative_error(b, a)
    assert 0.0 <= error <= 2.0  # |a - b| is at most twice the larger magnitude
    assert relative_error(a, a) == 0.0


def test_check_points_respect_each_ops_domain() -> None:
    for seed in range(20):
        assert check_point(GradcheckSettings(target="log", seed=seed))[0] >= 0.5
        assert check_point(GradcheckSettings(target="relu", seed=seed))[0] <= -0.5
        a, b = check_point(GradcheckSettings(target="mul", seed=seed))
        assert abs(a - b) >= 0.5


def test_lab_api_and_snapshot() -> None:
    lab = GradcheckLab()
    lab.configure(target="network", epsilon=1e-4)
    result = lab.result()
    assert len(result.comparisons) == 13 and result.verdict == "agree"
    snapshot = lab.snapshot()
    assert len(snapshot["sweep"]) == len(SWEEP_EPSILONS)
    assert snapshot["comparisons"][0]["name"] == "w11"


def test_questions_match_the_lab() -> None:
    questions = {question.id: question for question in gradcheck_questions()}
    choice = questions["gradcheck.best-epsilon"]
    options = {option.id: float(option.text) for option in choice.options}
    settings_for_question = GradcheckSettings(**choice.settings)
    errors = {option: gradient_check(settings_for_question.model_copy(update={"epsilon": eps})).max_relative_error
              for option, eps in options.items()}
    assert choice.expected == min(errors, key=errors.__getitem__) == "middle"
    numeric = questions["gradcheck.bug-error"]
    buggy = gradient_check(GradcheckSettings(**numeric.settings))
    assert abs(float(numeric.expected) - buggy.max_relative_error) <= numeric.tolerance
    assert buggy.max_relative_error > WRONG_THRESHOLD


def test_the_planted_bug_question_asks_at_a_good_epsilon_not_the_labs_starting_one() -> None:
    """The lab opens at epsilon 1e-2; the bug question is about a check at a good epsilon (1e-5), as before."""
    question = next(question for question in GradcheckLab().questions() if question.id == "gradcheck.bug-error")
    assert question.settings["epsilon"] == GOOD_EPSILON and "epsilon 1e-05" in question.text
