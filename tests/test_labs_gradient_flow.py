"""Gradient-flow lab (Exercise 5): statistics of a 784-256-128-10 network's gradients, its patterns, questions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tutor.engine.tensor import Tensor, cross_entropy
from tutor.labs import LabSettingsError, create_lab
from tutor.labs.gradient_flow import (
    PATTERN_SETTINGS,
    GradientFlowLab,
    GradientFlowSettings,
    batch,
    gradient_flow,
    gradient_flow_questions,
    initial_layer,
    layer_sizes,
    naive_cross_entropy,
)


def test_the_exercise_network_batch_and_parameters() -> None:
    result = GradientFlowLab().result()
    assert layer_sizes(result.settings) == (784, 256, 128, 10)
    inputs, classes = batch(0)
    assert inputs.shape == (32, 784) and classes.shape == (32,) and set(classes) <= set(range(10))
    assert [stats.name for stats in result.parameters] == [
        "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias"]
    assert [stats.shape for stats in result.weights] == [(784, 256), (256, 128), (128, 10)]
    assert math.isclose(result.loss, math.log(10), rel_tol=0.05)  # untrained: about log(10)
    assert result.pattern() == "healthy"


def test_statistics_are_those_of_the_gradients_numpy_computes() -> None:
    # An independent forward/backward in plain numpy for the exercise's network.
    settings = GradientFlowSettings(seed=3)
    inputs, classes = batch(3)
    layers = [initial_layer(settings, index, fan_in, fan_out, index == 2)
              for index, (fan_in, fan_out) in enumerate(zip((784, 256, 128), (256, 128, 10)))]
    h0 = inputs
    z1 = h0 @ layers[0][0] + layers[0][1]
    h1 = np.maximum(z1, 0)
    z2 = h1 @ layers[1][0] + layers[1][1]
    h2 = np.maximum(z2, 0)
    logits = h2 @ layers[2][0] + layers[2][1]
    probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    delta3 = probabilities.copy()
    delta3[np.arange(32), classes] -= 1.0
    delta3 /= 32
    grad_w3 = h2.T @ delta3
    delta2 = (delta3 @ layers[2][0].T) * (z2 > 0)
    grad_w2 = h1.T @ delta2
    delta1 = (delta2 @ layers[1][0].T) * (z1 > 0)
    grad_w1 = h0.T @ delta1
    result = gradient_flow(settings)
    for stats, grad in zip(result.weights, (grad_w1, grad_w2, grad_w3)):
        assert stats.mean_abs == pytest.approx(np.abs(grad).mean(), rel=1e-12)
        assert stats.std == pytest.approx(grad.std(), rel=1e-12)
        assert stats.max_abs == pytest.approx(np.abs(grad).max(), rel=1e-12)
    bias = next(stats for stats in result.parameters if stats.name == "fc1.bias")
    assert bias.mean_abs == pytest.approx(np.abs(delta1.sum(axis=0)).mean(), rel=1e-12)


def test_adding_layers_keeps_the_batch_and_the_first_and_last_layers() -> None:
    shallow = GradientFlowSettings(seed=5)
    deep = GradientFlowSettings(seed=5, extra_layers=4)
    assert layer_sizes(deep) == (784, 256, 128, 128, 128, 128, 128, 10)
    for index in (0, 1):
        assert np.array_equal(initial_layer(shallow, index, 784, 256, False)[0], initial_layer(deep, index, 784, 256, False)[0])
    assert np.array_equal(initial_layer(shallow, 2, 128, 10, True)[0], initial_layer(deep, 6, 128, 10, True)[0])
    assert len(gradient_flow(deep).weights) == 7


def test_batch_norm_adds_its_parameters_and_all_shows_them() -> None:
    result = GradientFlowLab({"batch_norm": True, "parameters": "all"}).result()
    names = [stats.name for stats in result.parameters]
    # No bias before a batch-norm (it would be cancelled): beta takes its place.
    assert names[:4] == ["fc1.weight", "bn1.weight", "bn1.bias", "fc2.weight"]
    assert names[-2:] == ["fc3.weight", "fc3.bias"]
    assert [stats.name for stats in result.shown] == names
    assert [stats.name for stats in GradientFlowLab({"batch_norm": True}).result().shown] == ["fc1.weight", "fc2.weight", "fc3.weight"]


def test_naive_softmax_agrees_with_the_stable_one_on_small_logits() -> None:
    rng = np.random.default_rng(0)
    data = rng.standard_normal((6, 4))
    classes = rng.integers(0, 4, 6)
    stable, naive = Tensor(data), Tensor(data)
    stable_loss, naive_loss = cross_entropy(stable, classes), naive_cross_entropy(naive, classes)
    assert float(naive_loss.data) == pytest.approx(float(stable_loss.data), rel=1e-12)
    stable_loss.backward()
    naive_loss.backward()
    assert np.allclose(naive.grad, stable.grad, rtol=1e-10, atol=1e-14)
    big = Tensor(data * 1000)
    with np.errstate(all="ignore"):
        assert math.isnan(float(naive_cross_entropy(big, classes).data))
    assert math.isfinite(float(cross_entropy(Tensor(data * 1000), classes).data))


@pytest.mark.parametrize("pattern", sorted(PATTERN_SETTINGS))
def test_each_row_of_the_table_of_patterns_is_reproduced(pattern: str) -> None:
    result = GradientFlowLab(PATTERN_SETTINGS[pattern]).result()
    assert result.patterns() == (pattern,)  # one row only, so the question has one right answer
    if pattern == "vanishing":
        assert result.first_to_last < 1e-2
    elif pattern == "exploding":
        assert result.first_to_last > 1e2 and result.finite
    elif pattern == "dead":
        assert max(result.dead_fractions) >= 0.5 and any(stats.zero_fraction == 1.0 for stats in result.weights)
    else:
        assert not result.finite and math.isnan(result.loss)


def test_the_exercise_questions_answers_come_from_runs() -> None:
    questions = {question.id: question for question in gradient_flow_questions()}
    assert len(questions) == 8
    base, deeper = GradientFlowLab().result(), GradientFlowLab({"extra_layers": 8}).result()
    assert questions["gradient-flow.similar-across-layers"].expected == "similar"
    assert 0.1 < base.first_to_last < 10
    assert questions["gradient-flow.more-layers"].expected == "shrinks"
    assert deeper.weights[0].mean_abs < 0.1 * base.weights[0].mean_abs
    sigmoid = GradientFlowLab(questions["gradient-flow.sigmoid-ratio"].settings).result()
    expected = float(questions["gradient-flow.sigmoid-ratio"].expected)
    assert abs(sigmoid.first_to_last - expected) <= questions["gradient-flow.sigmoid-ratio"].tolerance
    assert sigmoid.first_to_last < base.first_to_last / 10
    assert questions["gradient-flow.batch-norm"].expected == "grows"
    for pattern in PATTERN_SETTINGS:
        question = questions[f"gradient-flow.pattern-{pattern}"]
        assert question.expected == pattern
        assert GradientFlowLab(question.settings).result().pattern() == pattern
    for question in questions.values():
        assert question.settings and GradientFlowSettings(**question.settings)
        if question.kind == "choice":
            assert question.expected in {option.id for option in question.options}


def test_settings_validate_and_snapshot_is_json() -> None:
    import json

    lab = create_lab("gradient-flow", {"activation": "sigmoid", "extra_layers": 2})
    snapshot = json.loads(json.dumps(lab.snapshot(), allow_nan=True))
    assert snapshot["lab"] == "gradient-flow" and snapshot["pattern"] == "vanishing"
    assert snapshot["shown"] == ["fc1.weight", "fc2.weight", "fc3.weight", "fc4.weight", "fc5.weight"]
    with pytest.raises(LabSettingsError, match="extra_layers"):
        lab.configure(extra_layers=31)
    with pytest.raises(LabSettingsError, match="activation"):
        create_lab("gradient-flow", {"activation": "tanh"})
    lab.configure(seed=1)
    assert lab.result().settings.seed == 1 and lab.result() is lab.result()  # cached


def test_a_deep_relu_stack_at_the_default_init_shows_two_patterns() -> None:
    # Deep in the stack each unit's bias outweighs its shrunken input, so about half the units are
    # off for the whole batch, and the first layer's gradient is 1000x below the output layer's.
    result = GradientFlowLab({"extra_layers": 8}).result()
    assert result.patterns() == ("dead", "vanishing")
    assert max(result.dead_fractions) >= 0.5 and result.dead_fractions[0] == 0.0
    assert GradientFlowLab({"extra_layers": 8}).snapshot()["patterns"] == ["dead", "vanishing"]
