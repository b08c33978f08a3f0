"""`backprop-tutor practice`: generated problems on the command line, and clear refusals (exit 2)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tutor.cli import main
from tutor.packs.grading import grade_answer
from tutor.practice.generate import Generated
from tutor.practice.skills import SKILL_IDS

ROOT = Path(__file__).resolve().parents[1]


def test_json_lines_have_the_issue_form_and_grade_through_the_one_route(capsys):
    assert main(["practice", "--skill", "fan-out", "--level", "2", "--seed", "7", "--count", "3",
                 "--format", "json"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    records = [json.loads(line) for line in lines]
    assert [record["seed"] for record in records] == [7, 8, 9]
    for record in records:
        assert list(record)[:3] == ["skill", "level", "seed"]
        assert {"program", "at", "asks"} <= set(record)
        assert record["skill"] == "fan-out" and record["level"] == 2
        problem = Generated(record["skill"], record["level"], record["seed"], record["kind"], record["program"],
                            {name: float(value) for name, value in record["at"].items()}, record["asks"])
        rendered = problem.rendered()
        for ask in record["asks"]:
            expected = grade_answer(rendered, "0", ask).expected
            assert grade_answer(rendered, expected, ask).verdict == "correct"


def test_the_same_seed_prints_the_same_problem(capsys):
    main(["practice", "--skill", "neuron", "--level", "3", "--seed", "11", "--format", "json"])
    first = capsys.readouterr().out
    main(["practice", "--skill", "neuron", "--level", "3", "--seed", "11", "--format", "json"])
    assert capsys.readouterr().out == first


def test_text_and_layer_problems(capsys):
    assert main(["practice", "--skill", "layer-dw", "--level", "2"]) == 0
    out = capsys.readouterr().out
    assert "network" in out and "layer:dL/dW1" in out
    assert main(["practice", "--skill", "local-mul"]) == 0
    assert "fill in: value:" in capsys.readouterr().out


def test_list_names_every_skill(capsys):
    assert main(["practice", "--list"]) == 0
    out = capsys.readouterr().out
    for skill_id in SKILL_IDS:
        assert skill_id in out


@pytest.mark.parametrize("arguments, words", [
    (["--skill", "local-tahn"], "did you mean local-tanh"),
    (["--skill", "local-add", "--level", "0"], "from 1 to 5"),
    (["--skill", "local-add", "--level", "6"], "from 1 to 5"),
    (["--skill", "local-add", "--level", "two"], "from 1 to 5"),
    (["--skill", "local-add", "--seed", "-1"], "--seed"),
    (["--skill", "local-add", "--count", "0"], "--count"),
    (["--skill", "local-relu", "--kind", "formula"], "practised as trace"),
    (["--skill", "local-add", "--level", "4", "--kind", "formula"], "level 3"),
    ([], "--skill"),
])
def test_bad_requests_exit_2_with_one_line(arguments, words):
    completed = subprocess.run([sys.executable, "-m", "tutor", "practice", *arguments], capture_output=True,
                               cwd=ROOT, timeout=120, text=True)
    assert completed.returncode == 2
    assert completed.stdout == ""
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and "Traceback" not in completed.stderr


def test_a_generator_out_of_budget_exits_2(monkeypatch, capsys):
    from tutor.practice import generate as generate_module

    def failing(*args, **kwargs):
        raise generate_module.GenerationFailed("no valid trace problem for neuron at level 5 (seed 3) in 60 tries")

    monkeypatch.setattr(generate_module, "generate", failing)
    assert main(["practice", "--skill", "neuron", "--level", "5", "--seed", "3"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "in 60 tries" in captured.err
