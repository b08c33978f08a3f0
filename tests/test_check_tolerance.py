"""A given tolerance means exactly what it says, and digits: grades significant figures."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tutor.check import Tolerance
from tutor.check.models import RequestError
from tutor.packs.grading import checker_tolerance
from tutor.packs.models import Tolerance as PackTolerance


def test_an_absolute_tolerance_has_no_relative_part_on_top():
    tolerance = checker_tolerance(PackTolerance(abs=0.5))
    assert tolerance.allows(3000.4, 3000)
    assert not tolerance.allows(3002, 3000)


def test_a_relative_tolerance_alone_keeps_only_the_tiny_absolute_default():
    tolerance = checker_tolerance(PackTolerance(rel=0.01))
    assert tolerance.allows(101, 100)
    assert not tolerance.allows(102, 100)
    assert tolerance.allows(0, 0)


def test_three_significant_digits():
    tolerance = checker_tolerance(PackTolerance(digits=3))
    right = 1 - math.tanh(3) ** 2  # 0.009866...
    assert tolerance.allows(0.00987, right)
    assert not tolerance.allows(0.0099, right)
    assert not tolerance.allows(0.00986, right)


@given(st.floats(1e-6, 1e6), st.integers(1, 8))
def test_the_rounded_answer_always_passes_at_its_own_digits(expected, digits):
    rounded = float(f"{expected:.{digits}g}")
    assert Tolerance(rel=0, abs=0, digits=digits).allows(rounded, expected)


def test_digits_must_be_a_sensible_whole_number():
    with pytest.raises(RequestError):
        Tolerance(digits=0)
