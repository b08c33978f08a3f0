"""Matrix answers to layer quantities: the corpus, properties on random networks, `grade` requests."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from test_check_support import giveaway_numbers, numbers_in

from tutor.check import AuthorMistake, RequestError, Tolerance
from tutor.check.matrix import (
    LAYER_DIAGNOSES,
    coinciding_layer_mistakes,
    exact_entry,
    expected_text,
    grade_layer,
    grade_quantity,
    layer_trace,
    matrix_text,
)
from tutor.commands.grade import grade_line

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "grading_corpus" / "layers.yaml"

REFERENCE = {
    "layers": [{"linear": {"W": [[1, -1], [2, 0], [-1, 1]], "b": [0, 1, 0]}}, {"activation": "relu"},
               {"linear": {"W": [[1, 2, -1]], "b": [0]}}],
    "x": [1, 2], "target": [1], "loss": "mse",
}


def _cases() -> list[Any]:
    with open(CORPUS, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    cases = []
    for network in data["networks"]:
        for ask, spec in network["asks"].items():
            where = f"{network['name']} {ask}"
            for kind in ("correct", "rounded", "invalid"):
                for answer in spec.get(kind) or []:
                    assert isinstance(answer, str), f"{where}: quote {answer!r}"
                    cases.append(pytest.param(network["network"], ask, answer, kind, None, id=f"{where} {kind} {answer!r}"))
            for answer, diagnosis in spec.get("wrong") or []:
                cases.append(pytest.param(network["network"], ask, answer, "wrong", diagnosis,
                                          id=f"{where} wrong {answer!r} -> {diagnosis}"))
    return cases


CASES = _cases()


@pytest.mark.parametrize(("network", "ask", "answer", "kind", "diagnosis"), CASES)
def test_corpus(network, ask, answer, kind, diagnosis) -> None:
    result = grade_layer(network, ask, answer)
    assert result.message and result.expected
    if kind == "correct":
        assert (result.verdict, result.rounded) == ("correct", False), result
    elif kind == "rounded":
        assert (result.verdict, result.rounded) == ("correct", True), result
    elif kind == "invalid":
        assert result.verdict == "invalid", result
        assert result.column is not None and result.column >= 1
    else:
        assert result.verdict == "incorrect", result
        assert result.diagnosis == diagnosis, result
        _assert_message_keeps_the_answer_back(network, ask, answer, result)
    if result.verdict in ("correct", "incorrect"):
        assert result.worked.startswith(f"{ask[len('layer:'):]} = ")  # the rule worked out, for after the tries
    # The rule in symbols, for the second try, on every wrong answer only; its own formula is not in the message.
    assert bool(result.rule) == (result.verdict == "incorrect"), result
    if result.verdict == "incorrect" and result.diagnosis in LAYER_DIAGNOSES + ("wrong-shape",) \
            and ask.startswith("layer:dL/"):  # a forward formula (a1 = relu(z1)) is the network itself
        assert layer_trace(network).quantities[ask[len("layer:"):]].rule not in result.message, result
    # The right answer, as the checker writes it, is itself graded correct.
    assert grade_layer(network, ask, result.expected).verdict == "correct"


def _assert_message_keeps_the_answer_back(network, ask: str, answer: str, result) -> None:
    """A wrong answer's message is shown at once: it has neither the right matrix (as typed or as described)
    nor, for a 1x1 quantity, the right number (see test_check_support for what counts)."""
    quantity = layer_trace(network).quantities[ask[len("layer:"):]]
    right = [[exact_entry(value) for value in row] for row in quantity.value.tolist()]
    squeezed = "".join(result.message.split())
    for text in (result.expected, matrix_text(right)):
        if text.startswith("["):
            assert "".join(text.split()) not in squeezed, result
    if quantity.shape == (1, 1):
        allowed = [value for _, value in numbers_in(answer)]
        assert giveaway_numbers(result.message, float(right[0][0]), allowed) == [], result


def test_corpus_covers_every_layer_diagnosis() -> None:
    diagnoses = {case.values[4] for case in CASES if case.values[3] == "wrong"}
    assert {"transposed", "wrong-shape", "missing-relu-mask", "missing-upstream", "sign-flip", "wrong-operand",
            "activation-derivative"} <= diagnoses
    assert len(CASES) >= 150


def test_messages_speak_of_this_network() -> None:
    shape = grade_layer(REFERENCE, "layer:dL/dW1", "[[0, 0], [8, 16]]")
    assert "(3, 2)" in shape.message and "(2, 2)" in shape.message and "xᵀ" in shape.message  # the shape rule
    assert shape.rule.startswith("dL/dW1 = dL/dz1 · xᵀ; its shape: ")  # the rule that gives the entries
    transposed = grade_layer(REFERENCE, "layer:dL/dW1", "[[0, 8, -4], [0, 16, -8]]")
    assert "(2, 3)" in transposed.message and "the shape of W1" in transposed.message
    row = grade_layer(REFERENCE, "layer:z1", "[-1, 3, 1]")
    assert "[v1; v2; v3]" in row.message
    worked = grade_layer(REFERENCE, "layer:dL/da1", "[4; 8; -5]")
    assert "entry (3, 1)" in worked.message and "W2ᵀ" in worked.rule and "-5" in worked.message
    assert "W2ᵀ" not in worked.message  # the rule that gives the entries in one step waits for the second try
    assert "-4" not in worked.message  # the right entry waits for "worked"
    assert worked.worked == "dL/da1 = W2ᵀ · dL/dz2 = [4; 8; -4]."


def test_author_mistakes_come_first_and_never_fire_when_right() -> None:
    trace = layer_trace(REFERENCE)
    quantity = trace.quantities["dL/dW1"]
    mistakes = [AuthorMistake("[[4, 8], [8, 16], [-4, -8]]", "Mask it!", "no-mask"),
                AuthorMistake("[[0, 0], [8, 16], [-4, -8]]", "never shown", "same-as-right")]
    result = grade_quantity(quantity, "[[4, 8], [8, 16], [-4, -8]]", mistakes=mistakes)
    assert (result.diagnosis, result.message) == ("no-mask", "Mask it!")
    assert grade_quantity(quantity, "[[0, 0], [8, 16], [-4, -8]]", mistakes=mistakes).verdict == "correct"
    assert coinciding_layer_mistakes(quantity, mistakes=mistakes) == ["same-as-right"]
    with pytest.raises(RequestError, match="not a matrix"):
        grade_quantity(quantity, "1", mistakes=[AuthorMistake("[[1, 2]", "x")])


def test_coincidences_on_a_network_whose_relu_is_all_on() -> None:
    all_on = {**REFERENCE, "x": [2, 1]}  # z1 = [1; 5; 3]: every ReLU passes its gradient
    all_on["layers"] = [{"linear": {"W": [[1, -1], [2, 0], [1, 1]], "b": [0, 1, 0]}}, {"activation": "relu"},
                        {"linear": {"W": [[1, 2, -1]], "b": [0]}}]
    trace = layer_trace(all_on)
    assert (trace.quantities["z1"].value > 0).all()
    assert "missing-relu-mask" in coinciding_layer_mistakes(trace.quantities["dL/dz1"])
    # A 1x1 quantity is its own transpose on every network: not a coincidence worth reporting.
    assert "transposed" not in coinciding_layer_mistakes(trace.quantities["dL/dz2"])
    reference = layer_trace(REFERENCE)
    assert coinciding_layer_mistakes(reference.quantities["dL/dz1"]) == []


def test_explicit_tolerance_applies_to_every_entry() -> None:
    loose = Tolerance(rel=0.05)
    assert grade_layer(REFERENCE, "layer:dL/dW1", "[[0, 0], [8.2, 16], [-4, -8]]", loose).verdict == "correct"
    assert grade_layer(REFERENCE, "layer:dL/dW1", "[[0, 0], [8.2, 16], [-4, -8]]").verdict == "incorrect"


@pytest.mark.parametrize("network, ask, words", [
    (REFERENCE, "layer:dL/dW3", "no quantity 'dL/dW3'"),
    (REFERENCE, "grad:a", "layer:NAME"),
    ({**REFERENCE, "x": [1, 2, 3]}, "layer:z1", "doesn't fit"),
    ({**REFERENCE, "x": [1, True]}, "layer:z1", "true is not a number"),
    ({**REFERENCE, "x": []}, "layer:z1", "x must be a list of numbers"),
    ({**REFERENCE, "loss": "softmax_ce"}, "layer:z1", "class number"),
    ({**REFERENCE, "loss": "hinge"}, "layer:z1", "loss must be one of"),
    ({**REFERENCE, "extra": 1}, "layer:z1", "unknown network field 'extra'"),
    ({"layers": [{"linear": {"W": [[1] * 500]}}], "x": [1] * 500, "target": [0]}, "layer:z1", "more than 400"),
    ({"layers": [{"linear": {"W": [[1]], "c": [1]}}], "x": [1], "target": [0]}, "layer:z1", "unknown key 'c'"),
    ({"layers": [{"activation": "relu"}], "x": [1], "target": [0]}, "layer:z1", "starts with a linear layer"),
    ("not a network", "layer:z1", "must be an object"),
])
def test_unusable_requests_are_request_errors(network, ask, words) -> None:
    with pytest.raises(RequestError, match=words):
        grade_layer(network, ask, "1")


@pytest.mark.parametrize("answer", ["[" * 3000, "[1;" * 1500 + "1]", "λ" * 2000, "[[1e999]]", "[[1/0]]",
                                    "\x00", "[[" + ",".join(["1"] * 2000) + "]]"])
def test_hostile_answers_are_invalid_never_errors(answer) -> None:
    result = grade_layer(REFERENCE, "layer:dL/dW1", answer)
    assert result.verdict in ("invalid", "incorrect") and result.message


# ---------------------------------------------------------------------------- properties


@st.composite
def networks(draw) -> dict[str, Any]:
    sizes = [draw(st.integers(1, 3)) for _ in range(draw(st.integers(2, 3)))]
    layers: list[dict[str, Any]] = []
    for fan_in, fan_out in zip(sizes, sizes[1:]):
        weights = draw(st.lists(st.lists(st.integers(-3, 3), min_size=fan_in, max_size=fan_in),
                                min_size=fan_out, max_size=fan_out))
        bias = draw(st.lists(st.integers(-2, 2), min_size=fan_out, max_size=fan_out))
        layers.append({"linear": {"W": weights, "b": bias}})
        layers.append({"activation": draw(st.sampled_from(["relu", "tanh", "sigmoid"]))})
    layers.pop()
    x = draw(st.lists(st.integers(-3, 3), min_size=sizes[0], max_size=sizes[0]))
    loss = draw(st.sampled_from(["mse", "softmax_ce"]))
    target = draw(st.integers(0, sizes[-1] - 1)) if loss == "softmax_ce" else \
        draw(st.lists(st.integers(-2, 2), min_size=sizes[-1], max_size=sizes[-1]))
    return {"layers": layers, "x": x, "target": target, "loss": loss}


def test_a_softmax_gradient_with_a_tiny_entry_is_graded_right_when_typed_as_shown() -> None:
    # Found by the property below: z2 = [72, -72] puts a 2.895e-63 in dL/dz2; the expected answer as shown
    # could not be typed back (the parser refused exponents below -60), so a right answer came back invalid.
    network = {"layers": [{"linear": {"W": [[0, 0, 0], [0, 0, 0], [2, 3, 3]], "b": [0, 0, 2]}},
                          {"activation": "relu"}, {"linear": {"W": [[0, 0, 3], [0, 0, -3]], "b": [0, 0]}}],
               "x": [2, 3, 3], "target": 0, "loss": "softmax_ce"}
    quantity = layer_trace(network).quantities["dL/dz2"]
    assert "e-63" in expected_text(quantity)
    assert grade_layer(network, "layer:dL/dz2", expected_text(quantity)).verdict == "correct"


@settings(max_examples=60, deadline=None)
@given(networks())
def test_right_answers_pass_and_recorded_mistakes_are_named(network) -> None:
    trace = layer_trace(network)
    for name, quantity in trace.quantities.items():
        ask = f"layer:{name}"
        assert grade_layer(network, ask, expected_text(quantity)).verdict == "correct"
        coinciding = set(coinciding_layer_mistakes(quantity))
        for diagnosis, wrong in quantity.wrong_answers.items():
            result = grade_layer(network, ask, matrix_text([[exact_entry(v) for v in row] for row in wrong.tolist()]))
            if diagnosis in coinciding or (diagnosis == "transposed" and quantity.shape == (1, 1)):
                assert result.verdict == "correct"
                continue
            assert result.verdict == "incorrect", (name, diagnosis, result)
            assert result.diagnosis is not None, (name, diagnosis, result)
            if diagnosis == "transposed" and quantity.shape[0] != quantity.shape[1]:
                assert result.diagnosis == "transposed"


@settings(max_examples=40, deadline=None)
@given(networks(), st.integers(1, 4), st.integers(1, 4))
def test_any_other_shape_is_transposed_or_wrong_shape(network, rows, columns) -> None:
    trace = layer_trace(network)
    for name, quantity in trace.quantities.items():
        if (rows, columns) == quantity.shape:
            continue
        answer = "[" + ", ".join("[" + ", ".join("7" for _ in range(columns)) + "]" for _ in range(rows)) + "]"
        result = grade_layer(network, f"layer:{name}", answer)
        assert result.verdict == "incorrect"
        assert result.diagnosis in ("transposed", "wrong-shape")
        if result.diagnosis == "transposed":
            assert np.allclose(quantity.value.T, 7)


# ---------------------------------------------------------------------------- `backprop-tutor grade`


def test_grade_command_reads_layer_requests() -> None:
    right = json.dumps({"network": REFERENCE, "ask": "layer:dL/dW1", "answer": "[[0, 0], [8, 16], [-4, -8]]", "id": 3})
    record = grade_line(right)
    assert {key: record[key] for key in ("verdict", "expected", "diagnosis", "message", "id")} == {
        "verdict": "correct", "expected": "[[0, 0], [8, 16], [-4, -8]]", "diagnosis": None,
        "message": "Correct: dL/dW1 = dL/dz1 · xᵀ = [[0, 0], [8, 16], [-4, -8]].", "id": 3}
    unmasked = grade_line(json.dumps({"network": REFERENCE, "ask": "layer:dL/dz1", "answer": "[4; 8; -4]"}))
    assert (unmasked["verdict"], unmasked["diagnosis"]) == ("incorrect", "missing-relu-mask")
    with_mistake = grade_line(json.dumps({"network": REFERENCE, "ask": "layer:dL/dz1", "answer": "[0; 8; 4]",
                                          "mistakes": [{"answer": "[0; 8; 4]", "feedback": "Sign of W2.", "id": "w2"}]}))
    assert (with_mistake["diagnosis"], with_mistake["message"]) == ("w2", "Sign of W2.")
    assert grade_line(json.dumps({"network": REFERENCE, "ask": "layer:z1", "answer": "[-1; 3; 1]", "program": "L=a"}))[
        "verdict"] == "error"
    assert "unknown field 'at'" in grade_line(json.dumps({"network": REFERENCE, "ask": "layer:z1", "answer": "1",
                                                          "at": {}}))["message"]
    assert "missing field answer" in grade_line(json.dumps({"network": REFERENCE, "ask": "layer:z1"}))["message"]


def test_grade_command_as_a_subprocess() -> None:
    lines = [
        {"network": REFERENCE, "ask": "layer:dL/dW1", "answer": "[[0, 8, -4], [0, 16, -8]]"},
        {"network": REFERENCE, "ask": "layer:dL/dW1", "answer": "[[0, 0], [8, 16]]"},
        {"network": REFERENCE, "ask": "layer:dL/dW1", "answer": "[[0, 0], [8, 16], [-4, -8]"},
        {"network": REFERENCE, "ask": "layer:dL/dW1", "answer": "[[0, 0], [8, 16], [-4, -8]]"},
    ]
    payload = "".join(json.dumps(line) + "\n" for line in lines).encode()
    completed = subprocess.run([sys.executable, "-m", "tutor", "grade"], input=payload, capture_output=True, cwd=ROOT,
                               timeout=120)
    records = [json.loads(line) for line in completed.stdout.decode().splitlines()]
    assert completed.returncode == 0, completed.stderr
    assert [(record["verdict"], record["diagnosis"]) for record in records] == [
        ("incorrect", "transposed"), ("incorrect", "wrong-shape"), ("invalid", None), ("correct", None)]
    assert records[2]["column"] >= 1


# ---------------------------------------------------------------------------- batches

BATCH_DIAGNOSES = ("batch-not-summed", "missing-batch-mean", "sum-for-mean", "mean-for-sum")
BATCH = {
    "layers": [{"linear": {"W": [[1, -1, 0], [2, 0, 1]], "b": [0, 1]}}, {"activation": "relu"},
               {"linear": {"W": [[1, 2]], "b": [0]}}],
    "X": [[1, 2], [0, 1], [3, -1]], "target": [[1, 0]],
}


@st.composite
def batch_networks(draw) -> dict[str, Any]:
    """Random shapes: 2-3 layers of width 1-3, a batch of 2-4 examples, either loss and reduction."""
    network = draw(networks())
    batch = draw(st.integers(2, 4))
    inputs, outputs = len(network["x"]), len(network["layers"][-1]["linear"]["W"])
    network.pop("x")
    network["X"] = draw(st.lists(st.lists(st.integers(-3, 3), min_size=batch, max_size=batch),
                                 min_size=inputs, max_size=inputs))
    if network["loss"] == "softmax_ce":
        network["target"] = draw(st.lists(st.integers(0, outputs - 1), min_size=batch, max_size=batch))
    else:
        network["target"] = draw(st.lists(st.lists(st.integers(-2, 2), min_size=batch, max_size=batch),
                                          min_size=outputs, max_size=outputs))
    network["reduction"] = draw(st.sampled_from(["mean", "sum"]))
    return network


def _typed(matrix: Any) -> str:
    return matrix_text([[exact_entry(v) for v in row] for row in matrix.tolist()])


@settings(max_examples=60, deadline=None)
@given(batch_networks())
def test_batches_grade_the_right_answer_right_and_name_each_planted_batch_mistake(network) -> None:
    from tutor.check.matrix import _all_match, exact_matrix

    trace = layer_trace(network)
    batch = len(network["X"][0])
    assert trace.batch == batch
    for name, quantity in trace.quantities.items():
        ask = f"layer:{name}"
        assert grade_layer(network, ask, expected_text(quantity)).verdict == "correct"
        planted = [(diagnosis, wrong) for diagnosis, wrong in quantity.every_wrong_answer()
                   if diagnosis in BATCH_DIAGNOSES]
        if quantity.is_gradient or name == "loss":
            expected_ids = {"mean-for-sum"} if network["reduction"] == "sum" else \
                {"sum-for-mean"} if name == "loss" or name.startswith(("dL/dW", "dL/db")) else {"missing-batch-mean"}
            if name.startswith(("dL/dW", "dL/db")):
                expected_ids.add("batch-not-summed")
            assert {diagnosis for diagnosis, _ in planted} == expected_ids, name
        for diagnosis, wrong in planted:
            result = grade_layer(network, ask, _typed(wrong))
            if _all_match(exact_matrix(wrong), exact_matrix(quantity.value), None):
                assert result.verdict == "correct"  # this mistake changes nothing here (a zero gradient, ...)
                continue
            assert result.verdict == "incorrect", (name, diagnosis, result)
            if result.diagnosis != diagnosis:  # only when another diagnosis gives the very same matrix
                assert any(other == result.diagnosis and _all_match(exact_matrix(other_wrong), exact_matrix(wrong), None)
                           for other, other_wrong in quantity.every_wrong_answer()), (name, diagnosis, result)
            _assert_message_keeps_the_answer_back(network, ask, _typed(wrong), result)
            assert quantity.rule not in result.message and result.rule and result.worked


@settings(max_examples=40, deadline=None)
@given(batch_networks(), st.data())
def test_a_bias_gradient_with_one_column_per_example_is_not_summed(network, data) -> None:
    trace = layer_trace(network)
    for name in [name for name in trace.quantities if name.startswith("dL/db")]:
        delta = trace.quantities["dL/dz" + name[len("dL/db"):]].value
        if not delta.any() or delta.shape[0] == delta.shape[1]:
            continue  # a zero delta is every mistake at once; a square one may read as transposed
        scale = len(network["X"][0]) if network["reduction"] == "mean" else 1
        answer = delta * data.draw(st.sampled_from([1, scale]))
        result = grade_layer(network, f"layer:{name}", _typed(answer))
        assert (result.verdict, result.diagnosis) == ("incorrect", "batch-not-summed"), result
        assert "one column per example" in result.message


@pytest.mark.parametrize(("ask", "answer", "diagnosis", "words"), [
    ("layer:dL/db1", "[[6, 4.5], [12, 9]]", "batch-not-summed", "one column per example"),
    ("layer:dL/db1", "[[12, 9], [24, 18]]", "batch-not-summed", "one column per example"),
    ("layer:dL/dW1", "[[6, 0, 18], [12, 0, 36]]", "batch-not-summed", "one example's share"),
    ("layer:dL/dW1", "[[30, 9, 27], [60, 18, 54]]", "sum-for-mean", "mean over the batch"),
    ("layer:dL/db1", "[21; 42]", "sum-for-mean", "did not divide"),
    ("layer:loss", "112.5", "sum-for-mean", "examples' losses"),
    ("layer:dL/dz2", "[[12, 9]]", "missing-batch-mean", "1/B is missing"),
    ("layer:dL/dz1", "[[12, 9], [24, 18]]", "missing-batch-mean", "1/B is missing"),
    ("layer:dL/dW1", "[[30, 9, 27], [60, 18, 54]]", "sum-for-mean", "not the sum"),
])
def test_batch_mistakes_on_the_lesson_network(ask, answer, diagnosis, words) -> None:
    result = grade_layer(BATCH, ask, answer)
    assert (result.verdict, result.diagnosis) == ("incorrect", diagnosis), result
    assert words in result.message
    _assert_message_keeps_the_answer_back(BATCH, ask, answer, result)


def test_the_sum_reduction_diagnoses_a_mean() -> None:
    network = {**BATCH, "reduction": "sum"}
    assert grade_layer(network, "layer:dL/dW1", "[[30, 9, 27], [60, 18, 54]]").verdict == "correct"
    averaged = grade_layer(network, "layer:dL/dW1", "[[15, 4.5, 13.5], [30, 9, 27]]")
    assert averaged.diagnosis == "mean-for-sum" and "sum over the examples" in averaged.message
    assert grade_layer(network, "layer:loss", "56.25").diagnosis == "mean-for-sum"
    assert grade_layer(network, "layer:dL/dz2", "[[6, 4.5]]").diagnosis == "mean-for-sum"


def test_batch_rules_and_shapes_speak_of_the_examples() -> None:
    trace = layer_trace(BATCH)
    assert trace.quantities["z1"].shape == (2, 2) and trace.quantities["dL/dW1"].shape == (2, 3)
    wrong = grade_layer(BATCH, "layer:dL/db1", "[10.5, 21]")
    assert wrong.diagnosis == "transposed"
    shape = grade_layer(BATCH, "layer:dL/dW1", "[[1, 2], [3, 4]]")
    assert shape.diagnosis == "wrong-shape" and "outer products" in shape.message
    assert grade_layer(BATCH, "layer:dL/db1", "[21/2; 21]").verdict == "correct"


@pytest.mark.parametrize(("change", "words"), [
    ({"x": [1, 2, 3]}, "not both"),
    ({"X": [[1, 2], [0], [3, -1]]}, "same number of entries"),
    ({"reduction": "max"}, "mean or sum"),
    ({"target": [1, 0]}, "list of rows"),
    ({"loss": "softmax_ce", "target": 0}, "one per example"),
])
def test_unusable_batches_are_request_errors(change, words) -> None:
    with pytest.raises(RequestError, match=words):
        layer_trace({**BATCH, **change})
    with pytest.raises(RequestError, match="'x' \\(one example\\) or 'X'"):
        layer_trace({key: value for key, value in BATCH.items() if key != "X"})
