"""Clipping lab: norm clipping keeps the direction, value clipping turns the vector."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tutor.labs import LabSettingsError
from tutor.labs.clipping import (
    ClippingLab,
    ClippingSettings,
    clip,
    clip_by_norm,
    clip_by_value,
    clipping_questions,
    exploding_gradient,
)

vectors = st.lists(st.floats(-1e8, 1e8, allow_nan=False), min_size=2, max_size=64).map(np.array)
thresholds = st.floats(1e-3, 1e3)


@settings(max_examples=200)
@given(vector=vectors, threshold=thresholds)
def test_norm_clipping_keeps_the_direction(vector: np.ndarray, threshold: float) -> None:
    norm = np.linalg.norm(vector)
    assume(norm > 1e-100)
    result = clip(vector, "norm", threshold)
    clipped = np.array(result.clipped)
    assert abs(1.0 - result.cosine) <= 1e-12
    assert np.linalg.norm(vector / norm - clipped / np.linalg.norm(clipped)) <= 1e-12
    assert result.norm_after == pytest.approx(min(norm, threshold), rel=1e-12)
    assert result.keeps_direction


@settings(max_examples=200)
@given(vector=vectors, threshold=thresholds)
def test_value_clipping_bounds_every_entry(vector: np.ndarray, threshold: float) -> None:
    clipped = clip_by_value(vector, threshold)
    assert np.all(np.abs(clipped) <= threshold)
    small = np.abs(vector) <= threshold
    assert np.array_equal(clipped[small], vector[small])  # entries inside the range are untouched
    assert np.linalg.norm(clipped) <= np.linalg.norm(vector)


def test_value_clipping_changes_the_direction_of_an_exploding_gradient() -> None:
    lab = ClippingLab({"method": "value"})
    result = lab.result()
    assert result.cosine < 0.9 and not result.keeps_direction
    assert result.angle_degrees > 25
    assert result.norm_before > 100 * result.norm_after


def test_value_clipping_keeps_direction_only_when_nothing_is_cut_unevenly() -> None:
    # All entries beyond the threshold with equal size: clipping rescales them all alike.
    assert clip([5.0, -5.0, 5.0], "value", 1.0).keeps_direction
    assert not clip([5.0, -10.0, 3.0], "value", 4.0).keeps_direction  # the module's example


def test_exploding_gradient_grows_towards_the_input() -> None:
    gradient = exploding_gradient(8, 3.0, 0)
    normals = np.random.default_rng(0).standard_normal(8)
    assert np.allclose(gradient, normals * 3.0 ** np.arange(7, -1, -1))
    assert np.array_equal(ClippingLab().gradient(), gradient)


def test_norm_clipping_leaves_a_small_gradient_alone() -> None:
    small = np.array([0.3, -0.4])
    assert np.array_equal(clip_by_norm(small, 1.0), small)


def test_lab_compare_snapshot_and_validation() -> None:
    lab = ClippingLab()
    lab.configure(threshold=5.0, dimension=12)
    both = lab.compare()
    assert set(both) == {"value", "norm"}
    assert both["norm"].norm_after == pytest.approx(5.0, rel=1e-12)
    snapshot = lab.snapshot()
    assert len(snapshot["original"]) == 12 and snapshot["method"] == "norm"
    with pytest.raises(LabSettingsError, match="threshold"):
        lab.configure(threshold=0)
    with pytest.raises(LabSettingsError, match="'method' should be"):
        lab.configure(method="both")


def test_questions_match_the_lab() -> None:
    questions = {question.id: question for question in clipping_questions()}
    default = ClippingSettings()
    compared = ClippingLab(default).compare()
    assert questions["clipping.keeps-direction"].expected == "norm"
    assert compared["norm"].keeps_direction and not compared["value"].keeps_direction
    norm_question = questions["clipping.value-clipped-norm"]
    assert abs(float(norm_question.expected) - compared["value"].norm_after) <= norm_question.tolerance
    cosine_question = questions["clipping.value-clipped-cosine"]
    assert abs(float(cosine_question.expected) - compared["value"].cosine) <= cosine_question.tolerance
