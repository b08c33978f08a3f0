"""`backprop-tutor grade`: JSON Lines in, one JSON line out per request, run as a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLASSIC = {"program": "L=(a*b+c)^2", "at": {"a": 2, "b": 3, "c": 1}}


def run_grade(lines: list[str | bytes], *arguments: str) -> tuple[list[dict], subprocess.CompletedProcess]:
    payload = b"".join((line if isinstance(line, bytes) else line.encode()) + b"\n" for line in lines)
    completed = subprocess.run([sys.executable, "-m", "tutor", "grade", *arguments], input=payload, capture_output=True,
                               cwd=ROOT, timeout=120)
    records = [json.loads(line) for line in completed.stdout.decode().splitlines()]
    return records, completed


def test_requests_are_answered_in_order_and_bad_lines_do_not_stop_the_batch():
    lines = [
        json.dumps({**CLASSIC, "ask": "grad:a", "answer": "2*z2*b"}),
        "this is not json",
        "",  # blank lines are not requests
        json.dumps({**CLASSIC, "ask": "grad:a", "answer": "3", "id": "q7"}),
        json.dumps([1, 2, 3]),
        json.dumps({**CLASSIC, "ask": "grad:nope", "answer": "1"}),
        json.dumps({**CLASSIC, "ask": "value:z2", "answer": "7 7"}),
        json.dumps({**CLASSIC, "ask": "derivative:a", "answer": "2*b*(a*b+c)"}),
        json.dumps({"program": "L = tanh(x)", "at": {"x": 1}, "ask": "value:L", "answer": "0.76",
                    "tolerance": {"rel": 0.01}}),
        json.dumps({"expected": "0.25^10", "answer": "9.537e-7"}),
        json.dumps({**CLASSIC, "ask": "grad:a", "answer": "6",
                    "mistakes": [{"answer": "2*b", "feedback": "Where is z2?", "id": "no-z2"}]}),
        json.dumps({**CLASSIC, "ask": "grad:a", "answer": "42", "tolerence": 1}),
        json.dumps({**CLASSIC, "ask": "grad:a"}),
    ]
    records, completed = run_grade(lines)
    assert completed.returncode == 0
    assert completed.stderr == b""
    assert [record["verdict"] for record in records] == [
        "correct", "error", "incorrect", "error", "error", "invalid", "correct", "correct", "correct", "incorrect",
        "error", "error",
    ]
    assert records[0] == {"verdict": "correct", "expected": "42", "diagnosis": None, "message": "Correct: dL/da = 42.",
                          "rule": "", "worked": "dL/da = dL/dz1 · ∂z1/∂a = 14 · 3 = 42."}
    assert "line 2" in records[1]["message"] and "JSON" in records[1]["message"]
    assert records[2]["diagnosis"] == "missing-upstream" and records[2]["id"] == "q7"
    # A wrong answer's message names the mistake; the arithmetic that gives the answer away is in "worked".
    assert "42" not in records[2]["message"] and records[2]["worked"].endswith("14 · 3 = 42.")
    # Between the two, the general rule for a second try, in symbols and without this problem's numbers.
    assert records[2]["rule"] == "dL/da = dL/dz1 · ∂z1/∂a: the gradient from above times the local derivative."
    assert "line 5" in records[3]["message"]
    assert "no node 'nope'" in records[4]["message"]
    assert records[5]["column"] == 3
    assert records[6]["expected"] == "2*b*(a*b + c)"
    assert records[7]["rounded"] is True
    assert records[8]["rounded"] is True and records[8]["expected"] == "1/1048576"
    assert (records[9]["diagnosis"], records[9]["message"]) == ("no-z2", "Where is z2?")
    assert "tolerence" in records[10]["message"]
    assert "answer" in records[11]["message"]
    assert records[9]["worked"] == "dL/da = dL/dz1 · ∂z1/∂a = 14 · 3 = 42."  # an author's mistake gets it too
    for record in records:
        if record["verdict"] != "error":
            assert set(record) >= {"verdict", "expected", "diagnosis", "message", "rule", "worked"}


def test_hostile_lines_get_an_answer_not_a_traceback():
    lines = [
        json.dumps({**CLASSIC, "ask": "grad:a", "answer": "a" * 100_000}),
        json.dumps({**CLASSIC, "ask": "grad:a", "answer": "__import__('os').system('echo hacked')"}),
        b"\xff\xfe not utf-8",
        "[" * 100_000 + "]" * 100_000,
        json.dumps({**CLASSIC, "ask": "grad:a", "answer": 42}),
        json.dumps({"program": "L = a*b*c*d", "at": {"a": 1, "b": 2, "c": 3, "d": 4}, "ask": "derivative:a",
                    "answer": "b*c*d + (a+b+c+d)^64 - (a+b+c+d)^62*(a^2+b^2+c^2+d^2+2*a*b+2*a*c+2*a*d+2*b*c+2*b*d+2*c*d)"}),
        json.dumps({**CLASSIC, "ask": "grad:a", "answer": "42"}),
    ]
    records, completed = run_grade(lines, "--time-budget", "0.3")
    assert completed.returncode == 0
    assert b"Traceback" not in completed.stderr and b"hacked" not in completed.stdout
    assert [record["verdict"] for record in records] == ["invalid", "invalid", "error", "error", "error", "unchecked",
                                                         "correct"]
    assert "UTF-8" in records[2]["message"]


def test_help_describes_the_command():
    completed = subprocess.run([sys.executable, "-m", "tutor", "grade", "--help"], capture_output=True, cwd=ROOT,
                               timeout=60, text=True)
    assert completed.returncode == 0
    assert "--time-budget" in completed.stdout
    assert '"worked"' in completed.stdout  # the output fields are documented, the one that reveals the answer too


def test_a_bad_time_budget_is_a_usage_error():
    completed = subprocess.run([sys.executable, "-m", "tutor", "grade", "--time-budget", "soon"], capture_output=True,
                               cwd=ROOT, timeout=60, text=True, input="")
    assert completed.returncode == 2
    assert "not a number of seconds" in completed.stderr
