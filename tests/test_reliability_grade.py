"""`grade` gives every hostile request a verdict a script can act on, quickly, and never an internal error."""

from __future__ import annotations

import io
import json

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


def graded_requests(monkeypatch) -> list:
    """Record every request that reaches the grader (a refused one must not: refusing is cheap, grading is not)."""
    from tutor.commands import grade as grade_module

    reached: list = []
    real = grade_module._grade_request

    def recording(request, *args):
        reached.append(request)
        return real(request, *args)

    monkeypatch.setattr(grade_module, "_grade_request", recording)
    return reached


def test_a_line_past_the_limit_is_refused_and_the_next_line_still_graded(monkeypatch):
    huge = json.dumps({"expected": "1", "answer": "1" * (MAX_LINE_BYTES * 3)}).encode()
    good = json.dumps({"expected": "1/2", "answer": "0.5"}).encode()
    sink = io.StringIO()
    reached = graded_requests(monkeypatch)
    grade_stream(io.BytesIO(huge + b"\n" + good + b"\n"), sink)
    assert [request["answer"] for request in reached] == ["0.5"]  # the huge line never reached the grader
    first, second = (json.loads(line) for line in sink.getvalue().splitlines())
    assert first["verdict"] == "error" and "longer than" in first["message"]
    assert second["verdict"] == "correct"


def test_a_huge_layer_is_refused_before_any_work(monkeypatch):
    network = {"weights": [[0.5] * 1000 for _ in range(1000)]}
    text = json.dumps({"network": network, "ask": "dL/dW", "answer": "0"})
    reached = graded_requests(monkeypatch)
    record = grade_line(text)
    assert reached == []  # refused by its size, before any parsing or grading (speed: benchmarks/)
    assert record["verdict"] == "error" and str(MAX_REQUEST_VALUES) in record["message"]
