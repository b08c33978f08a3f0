"""Vanishing lab: the numpy backward pass against the engine, and the measured shrinkage."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tutor.engine import Value, dot
from tutor.labs import LabSettingsError
from tutor.labs.vanishing import (
    BATCH_SIZE,
    LEAKY_SLOPE,
    QUESTION_SETTINGS,
    QUESTION_THRESHOLD,
    REMEDY_DEPTH,
    VanishingLab,
    VanishingSettings,
    depth_where_first_layer_gradient_falls_below,
    gradient_norms,
    remedy_first_layer_gradients,
    stack_parameters,
    vanishing_questions,
)


def _engine_activation(name: str, z: Value) -> Value:
    if name == "sigmoid":
        return z.sigmoid()
    if name == "tanh":
        return z.tanh()
    if name == "relu":
        return z.relu()
    return z.relu() - LEAKY_SLOPE * (-z).relu()  # leaky relu from two relus


def _engine_weight_gradient_norms(vanishing_settings: VanishingSettings) -> list[float]:
    inputs, weights = stack_parameters(vanishing_settings)
    weight_values = [[[Value(w) for w in row] for row in matrix] for matrix in weights]
    width = vanishing_settings.width
    outputs = []
    for sample in inputs:
        hidden = [Value(x) for x in sample]
        for matrix in weight_values:
            columns = [[matrix[i][j] for i in range(width)] for j in range(width)]  # z_j = sum_i h_i W_ij
            activated = [_engine_activation(vanishing_settings.activation, dot(hidden, column)) for column in columns]
            hidden = [h + a for h, a in zip(hidden, activated)] if vanishing_settings.residual else activated
        outputs.extend(hidden)
    loss = dot(outputs, [1.0 / BATCH_SIZE] * len(outputs))
    loss.backward()
    return [math.sqrt(sum(w.grad**2 for row in matrix for w in row)) for matrix in weight_values]


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "leaky_relu"])
@pytest.mark.parametrize("residual", [False, True])
def test_numpy_backward_agrees_with_the_engine(activation: str, residual: bool) -> None:
    stack = VanishingSettings(depth=3, width=3, activation=activation, init="he", residual=residual, seed=11)
    measured = gradient_norms(stack).weight_gradient_norms
    assert measured == pytest.approx(_engine_weight_gradient_norms(stack), rel=1e-10, abs=1e-300)


@settings(max_examples=60, deadline=None)
@given(
    width=st.integers(1, 256),
    depth=st.integers(2, 20),
    seed=st.integers(0, 2**32 - 1),
)
def test_sigmoid_gradients_shrink_at_least_4x_per_layer_under_naive_init(width: int, depth: int, seed: int) -> None:
    # Naive init is 0.01 * N(0, 1): each layer multiplies the backward signal by about
    # 0.25 * 0.01 * sqrt(width) <= 0.04, so 4x per layer holds with a wide margin.
    result = gradient_norms(VanishingSettings(depth=depth, width=width, activation="sigmoid", init="naive", seed=seed))
    factors = result.shrink_factors()
    assert len(factors) == depth - 1
    assert all(factor >= 4.0 for factor in factors), factors


def test_measured_shrink_for_the_default_stack() -> None:
    factors = VanishingLab().result().shrink_factors()  # sigmoid, naive, width 16, depth 10
    assert min(factors) >= 25.0, factors


def test_sigmoid_bound_is_a_quarter_per_layer() -> None:
    for depth in (1, 10, 50):
        result = gradient_norms(VanishingSettings(depth=depth))
        assert result.sigmoid_bound == 0.25**depth
        assert result.derivative_bounds == tuple(0.25 ** (depth - layer) for layer in range(depth))
    assert gradient_norms(VanishingSettings(activation="relu")).derivative_bounds == (1.0,) * 10


def test_deeper_stacks_start_with_the_layers_of_shallower_ones() -> None:
    shallow_inputs, shallow = stack_parameters(VanishingSettings(depth=5, seed=3))
    deep_inputs, deep = stack_parameters(VanishingSettings(depth=12, seed=3))
    assert np.array_equal(shallow_inputs, deep_inputs)
    assert all(np.array_equal(a, b) for a, b in zip(shallow, deep))


def test_depth_answer_is_where_the_first_layer_gradient_crosses_1e_minus_6() -> None:
    depth = depth_where_first_layer_gradient_falls_below(QUESTION_THRESHOLD, QUESTION_SETTINGS)
    assert depth is not None and depth > 1
    below = VanishingLab(QUESTION_SETTINGS.model_copy(update={"depth": depth})).result()
    above = VanishingLab(QUESTION_SETTINGS.model_copy(update={"depth": depth - 1})).result()
    assert below.first_layer_gradient < QUESTION_THRESHOLD <= above.first_layer_gradient
    (question,) = [q for q in vanishing_questions() if q.id == "vanishing.depth-below-1e-6"]
    assert int(question.expected) == depth


def test_residual_connections_keep_the_first_layer_gradient() -> None:
    gradients = remedy_first_layer_gradients()
    plain = gradient_norms(QUESTION_SETTINGS.model_copy(update={"depth": REMEDY_DEPTH})).first_layer_gradient
    assert gradients["residual"] > 1e6 * plain
    assert gradients["residual"] > 1e3 * max(gradients["he"], gradients["naive"])
    (question,) = [q for q in vanishing_questions() if q.id == "vanishing.best-remedy"]
    assert question.expected == max(gradients, key=gradients.__getitem__) == "residual"


def test_bound_question_evaluates_to_the_model_bound() -> None:
    from tutor.expr import evaluate, parse_expression

    (question,) = [q for q in vanishing_questions() if q.id == "vanishing.sigmoid-bound"]
    depth = question.settings["depth"]
    bound = gradient_norms(VanishingSettings(depth=depth)).derivative_bounds[0]
    assert evaluate(parse_expression(question.expected), {}) == pytest.approx(bound, rel=1e-15)


def test_lab_configure_and_snapshot() -> None:
    lab = VanishingLab()
    lab.configure(depth=20, activation="tanh", init="xavier")
    snapshot = lab.snapshot()
    assert len(snapshot["weight_gradient_norms"]) == 20
    assert snapshot["settings"]["activation"] == "tanh"
    with pytest.raises(LabSettingsError, match="depth"):
        lab.configure(depth=51)
    with pytest.raises(LabSettingsError, match="'activation' should be"):
        lab.configure(activation="gelu")
