"""`layer` problems in lesson packs: the model, variants, grading glue, docs and the built-in lesson."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from pydantic import TypeAdapter, ValidationError

from tutor.packs import grade_answer, load_pack, render_problem
from tutor.packs.grading import layer_entries, layer_network_data
from tutor.packs.models import (
    LAYER_DIAGNOSES,
    ActivationLayer,
    LayerProblem,
    LinearLayer,
    LinearSpec,
    Network,
    Step,
)
from tutor.packs.validate import validate_pack
from tutor.packs.variants import VariantError

REPO = Path(__file__).resolve().parents[1]
STEP = TypeAdapter(Step)

PROBLEM = {
    "kind": "layer", "id": "p", "prompt": "Trace it.",
    "params": {"w": {"choice": [-2, 3]}, "f": {"choice": ["tanh", "sigmoid"]}},
    "network": {
        "layers": [{"linear": {"W": [[1, "{w}"], [2, 0]], "b": [0, "{w} + 1"]}}, {"activation": "{f}"},
                   {"linear": {"W": [[1, -1]]}}],
        "x": [1, "{w}"], "target": ["{w}"],
    },
    "forward": ["a1"],
    "backward": ["dL/dW1", "dL/dz2"],
}


def test_a_layer_step_is_read_with_its_network() -> None:
    problem = STEP.validate_python(PROBLEM)
    assert isinstance(problem, LayerProblem)
    assert isinstance(problem.network.layers[0], LinearLayer) and isinstance(problem.network.layers[1], ActivationLayer)
    assert problem.network.loss == "mse"


@pytest.mark.parametrize("change, words", [
    ({"network": {**PROBLEM["network"], "layers": [{"activation": "softplus"}]}}, "not an activation"),
    ({"network": {**PROBLEM["network"], "layers": [{"pool": 2}]}}, "a layer is"),
    ({"network": {**PROBLEM["network"], "loss": "hinge"}}, "mse"),
    ({"tests": [{"ask": "layer:W1", "answer": "1", "verdict": "correct"}]}, "not an ask"),
    ({"networks": {}}, "networks"),
])
def test_bad_layer_steps_are_rejected(change, words) -> None:
    with pytest.raises(ValidationError, match=words):
        STEP.validate_python({**PROBLEM, **change})


def test_variants_fill_every_number_and_the_activation() -> None:
    problem = STEP.validate_python(PROBLEM)
    seen = set()
    for seed in range(12):
        rendered = render_problem(problem, seed)
        w, f = rendered.params["w"], rendered.params["f"]
        seen.add((w, f))
        data = layer_network_data(rendered)
        assert data["layers"][0]["linear"] == {"W": [[1, w], [2, 0]], "b": [0, w + 1]}
        assert data["layers"][1] == {"activation": f}
        assert data["x"] == [1, w] and data["target"] == [w]
        assert layer_entries(rendered) == ["layer:a1", "layer:dL/dz2", "layer:dL/dW1"]
    assert len(seen) == 4


def test_a_parameter_that_is_not_an_activation_is_a_variant_error() -> None:
    problem = STEP.validate_python({**PROBLEM, "params": {"w": {"choice": [1]}, "f": {"choice": ["softplus"]}}})
    with pytest.raises(VariantError) as caught:
        render_problem(problem, 0)
    assert caught.value.field_path == ("network", "layers", 1, "activation")


def test_softmax_targets_must_render_to_class_numbers() -> None:
    data = {**PROBLEM, "params": {"t": {"choice": [0.5]}}, "forward": None, "backward": None,
            "network": {"layers": [{"linear": {"W": [[1, 0], [0, 1]]}}], "x": [1, 2], "target": "{t}",
                        "loss": "softmax_ce"}}
    with pytest.raises(VariantError, match="class number"):
        render_problem(STEP.validate_python(data), 0)


def test_grading_a_layer_answer_goes_through_the_matrix_checker() -> None:
    data = {**PROBLEM, "params": {"w": {"choice": [3]}, "f": {"choice": ["tanh"]}},
            "mistakes": [{"ask": "layer:dL/dz2", "answer": "[[99]]", "feedback": "Far off.", "id": "far"}]}
    rendered = render_problem(STEP.validate_python(data), 0)
    assert grade_answer(rendered, "[tanh(10); tanh(6)]", ask="layer:a1").verdict == "correct"
    assert grade_answer(rendered, "[tanh(10), tanh(6)]", ask="layer:a1").diagnosis == "transposed"
    far = grade_answer(rendered, "99", ask="layer:dL/dz2")
    assert (far.diagnosis, far.message) == ("far", "Far off.")
    from tutor.packs import NotGradable

    with pytest.raises(NotGradable):
        grade_answer(rendered, "1")


# ---------------------------------------------------------------------------- docs


DOCS = (REPO / "docs" / "lesson-packs.md").read_text()


def test_docs_name_every_layer_field_and_diagnosis() -> None:
    for model in (LayerProblem, Network, LinearSpec, LinearLayer, ActivationLayer):
        for name, info in model.model_fields.items():
            assert f"`{info.alias or name}`" in DOCS, f"{model.__name__}.{name} is not documented"
    for diagnosis in LAYER_DIAGNOSES:
        assert f"`{diagnosis}`" in DOCS
    assert "`derivative2:VAR`" in DOCS and "`layer:NAME`" in DOCS


def test_the_docs_layer_example_validates_clean(tmp_path: Path) -> None:
    block = next(block for block in re.findall(r"```yaml\n(.*?)```", DOCS, re.S) if "kind: layer" in block)
    problem = yaml.safe_load(block)[0]
    pack = {"id": "docs-layer", "title": "T", "version": "1",
            "lessons": [{"id": "l", "title": "L", "steps": [problem]}]}
    path = tmp_path / "pack.yaml"
    path.write_text(yaml.safe_dump(pack, allow_unicode=True))
    loaded = load_pack(path)
    assert loaded.problem_count == 1
    assert validate_pack(loaded, seed_count=10) == []


# ---------------------------------------------------------------------------- the built-in curriculum


@pytest.fixture(scope="module")
def builtin():
    return load_pack(REPO / "lessons" / "backprop")


def test_the_course_has_a_layer_lesson_after_the_layer_lesson(builtin) -> None:
    ids = [lesson.id for lesson in builtin.lessons]
    assert ids.index("layers-by-hand") == ids.index("layer") + 1
    lesson = builtin.lessons[ids.index("layers-by-hand")]
    layer_problems = [problem for problem in lesson.problems() if problem.kind == "layer"]
    assert len(layer_problems) >= 8
    activations = {layer.activation for problem in layer_problems for layer in problem.network.layers
                   if isinstance(layer, ActivationLayer)}
    assert {"relu", "tanh", "sigmoid"} <= activations
    assert any(problem.network.loss == "softmax_ce" for problem in layer_problems)
    assert any(all(isinstance(layer, LinearLayer) for layer in problem.network.layers) and len(problem.network.layers) > 1
               for problem in layer_problems)
    assert sum(bool(problem.params) for problem in layer_problems) >= 3


def test_the_course_asks_for_second_derivatives_and_counts_passes(builtin) -> None:
    problems = [problem for lesson in builtin.lessons for problem in lesson.problems()]
    second = [problem for problem in problems if getattr(problem, "ask", "").startswith("derivative2:")]
    assert len(second) >= 2
    forward_reverse = next(lesson for lesson in builtin.lessons if lesson.id == "forward-reverse")
    assert any("jacobian" in problem.id or "passes" in problem.id for problem in forward_reverse.problems())


# ---------------------------------------------------------------------------- batches

BATCH_PROBLEM = {
    "kind": "layer", "id": "b", "prompt": "A batch of two.",
    "params": {"w": {"choice": [2, 3]}},
    "network": {
        "layers": [{"linear": {"W": [[1, -1], [0, "{w}"]], "b": [0, 1]}}],
        "X": [[1, "{w}"], [0, 1]], "target": [[0, 1], ["{w}", 2]], "reduction": "sum",
    },
    "backward": ["dL/dW1", "dL/db1"], "forward": [],
}


def test_a_batch_problem_renders_x_as_a_matrix_with_its_reduction() -> None:
    problem = STEP.validate_python(BATCH_PROBLEM)
    assert problem.network.batched and problem.network.x is None
    for seed in range(4):
        rendered = render_problem(problem, seed)
        w = rendered.params["w"]
        data = layer_network_data(rendered)
        assert data["X"] == [[1, w], [0, 1]] and "x" not in data
        assert data["target"] == [[0, 1], [w, 2]] and data["reduction"] == "sum"
        delta = f"[[1, {w - 2}], [{1 - w}, {w - 1}]]"  # Z - T, one column per example
        assert grade_answer(rendered, delta, ask="layer:dL/db1").diagnosis == "batch-not-summed"
        assert grade_answer(rendered, f"[{w - 1}; 0]", ask="layer:dL/db1").verdict == "correct"


def test_a_one_example_network_dumps_as_before() -> None:
    data = layer_network_data(render_problem(STEP.validate_python(PROBLEM), 0))
    assert set(data) == {"layers", "x", "target", "loss"}  # no X, no reduction: checker cache keys unchanged


@pytest.mark.parametrize("network, words", [
    ({"layers": [{"linear": {"W": [[1]]}}], "target": [1]}, "give the input as x"),
    ({"layers": [{"linear": {"W": [[1]]}}], "x": [1], "X": [[1, 2]], "target": [1]}, "not both"),
    ({"layers": [{"linear": {"W": [[1, 1]]}}], "X": [[1, 2], [3]], "target": [[1, 1]]}, "same number of entries"),
    ({"layers": [{"linear": {"W": [[1]]}}], "X": [[1, 2]], "target": [[1, 1]], "reduction": "max"}, "mean"),
])
def test_bad_batch_networks_are_rejected(network, words) -> None:
    with pytest.raises(ValidationError, match=words):
        Network.model_validate(network)


def test_softmax_batches_take_one_class_per_example() -> None:
    data = {**BATCH_PROBLEM, "params": {"t": {"choice": [1]}},
            "network": {"layers": [{"linear": {"W": [[1, 0], [0, 1]]}}], "X": [[1, 2], [0, 1]],
                        "target": [0, "{t}"], "loss": "softmax_ce"}}
    rendered = render_problem(STEP.validate_python(data), 0)
    assert layer_network_data(rendered)["target"] == [0, 1]
    with pytest.raises(VariantError, match="one per example"):
        render_problem(STEP.validate_python({**data, "network": {**data["network"], "target": [0, "0.5"]}}), 0)


def test_a_batch_problem_validates_clean(tmp_path: Path) -> None:
    problem = {**BATCH_PROBLEM, "hints": ["Add the examples.", "dL/db1 is the row sums."], "explanation": "Sums.",
               "tests": [{"ask": "layer:dL/db1", "answer": "[[1, {w} - 2], [1 - {w}, {w} - 1]]", "verdict": "incorrect",
                          "diagnosis": "batch-not-summed"},
                         {"ask": "layer:dL/db1", "answer": "[({w} - 1)/2; 0]", "verdict": "incorrect",
                          "diagnosis": "mean-for-sum"}]}
    pack = {"id": "docs-batch", "title": "T", "version": "1",
            "lessons": [{"id": "l", "title": "L", "steps": [problem]}]}
    path = tmp_path / "pack.yaml"
    path.write_text(yaml.safe_dump(pack, allow_unicode=True))
    errors = validate_pack(load_pack(path), seed_count=4)
    assert [error.message for error in errors] == []


def test_the_course_teaches_batches_right_after_layers_by_hand(builtin) -> None:
    ids = [lesson.id for lesson in builtin.lessons]
    assert ids.index("batches") == ids.index("layers-by-hand") + 1
    lesson = builtin.lessons[ids.index("batches")]
    problems = list(lesson.problems())
    assert len(problems) >= 5
    for problem in problems:
        assert len(problem.hints) >= 2 and problem.explanation, problem.id
        assert any(test.verdict == "incorrect" and test.diagnosis for test in problem.tests), problem.id
    layer_problems = [problem for problem in problems if problem.kind == "layer"]
    assert all(problem.network.batched for problem in layer_problems)
    assert {problem.network.reduction for problem in layer_problems} == {"mean", "sum"}
    diagnosed = {test.diagnosis for problem in layer_problems for test in problem.tests}
    assert {"batch-not-summed", "missing-batch-mean", "sum-for-mean", "mean-for-sum"} <= diagnosed
    # One full batch of two by hand: every quantity of a two-layer network, forward and backward.
    full = [problem for problem in layer_problems if problem.forward is None and problem.backward is None]
    assert any(len(problem.network.X[0]) == 2 and len(problem.network.layers) == 3 for problem in full)
