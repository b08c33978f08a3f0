"""`grade` gives every hostile request a verdict a script can act on, quickly, and never an internal error."""

from __future__ import annotations

import io
import json
import time

import pytest

from tutor.commands.grade import MAX_LINE_BYTES, MAX_REQUEST_VALUES, grade_line, grade_stream


@pytest.mark.parametrize("request_fields, verdict", [
    ({"program": "y = exp(exp(exp(exp(x))))", "at": {"x": 10}, "ask": "dy/dx", "answer": "1"}, "unchecked"),
    ({"program": "y = x^x", "at": {"x": 0}, "ask": "dy/dx", "answer": "1"}, "unchecked"),
])
def test_numeric_trouble_is_unchecked_with_a_reason(request_fields, verdict):
    record = grade_line(json.dumps(request_fields))
    assert record["verdict"] == verdict
    assert "internal error" not in record["message"]
    assert "Error" not in record["message"]


@pytest.mark.parametrize("mistakes", [5, "x", [5], {"answer": "1"}])
def test_mistakes_of_the_wrong_type_is_an_error_naming_the_field(mistakes):
    record = grade_line(json.dumps({"program": "y = x*x", "at": {"x": 2}, "ask": "dy/dx", "answer": "4",
                                    "mistakes": mistakes}))
    assert record["verdict"] == "error"
    assert "'mistakes'" in record["message"]


def test_a_line_past_the_limit_is_refused_and_the_next_line_still_graded():
    huge = json.dumps({"expected": "1", "answer": "1" * (MAX_LINE_BYTES * 3)}).encode()
    good = json.dumps({"expected": "1/2", "answer": "0.5"}).encode()
    sink = io.StringIO()
    started = time.perf_counter()
    grade_stream(io.BytesIO(huge + b"\n" + good + b"\n"), sink)
    assert time.perf_counter() - started < 1.0
    first, second = (json.loads(line) for line in sink.getvalue().splitlines())
    assert first["verdict"] == "error" and "longer than" in first["message"]
    assert second["verdict"] == "correct"


def test_a_huge_layer_is_refused_before_any_work():
    network = {"weights": [[0.5] * 1000 for _ in range(1000)]}
    text = json.dumps({"network": network, "ask": "dL/dW", "answer": "0"})
    started = time.perf_counter()
    record = grade_line(text)
    assert time.perf_counter() - started < 0.5
    assert record["verdict"] == "error" and str(MAX_REQUEST_VALUES) in record["message"]
