"""A diagnosed slip's worked line is written once (tmux, Practice: "dL/dz2 = … = 0.2895. dL/dz2 = … ≈ 0.2895.").

The diagnosis's own worked line said "=" between rounded numbers and the general one "≈", so both were shown.
"""

from __future__ import annotations

import math

import pytest

from tutor.check.grader import grade
from tutor.check.models import GradeRequest

PROGRAM = "z1 = a*b; z2 = tanh(z1); L = z2*c"
AT = {"a": 0.3, "b": 0.7, "c": 1.7}


@pytest.mark.parametrize(("answer", "diagnosis"), [
    (repr(1 - math.tanh(0.21) ** 2), "missing-upstream"),  # the local derivative alone
    ("1.7", "missing-inner-derivative"),  # the gradient from above alone
])
def test_the_worked_line_of_a_rounded_slip_is_shown_once_with_approximately(answer, diagnosis):
    result = grade(GradeRequest(PROGRAM, AT, "grad:z1", answer))
    assert result.diagnosis == diagnosis
    assert result.worked.count("dL/dz1 =") == 1, result.worked
    assert "≈ 1.6272." in result.worked


def test_exact_numbers_keep_the_equals_sign():
    result = grade(GradeRequest("z1 = a*b; L = z1*c", {"a": 2, "b": 3, "c": 4}, "grad:a", "3"))
    assert result.diagnosis == "missing-upstream"
    assert result.worked.count("dL/da =") == 1 and "= 12." in result.worked and "≈" not in result.worked
