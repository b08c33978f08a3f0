"""Layer-level backprop: numpy rules agree with the scalar engine and with finite differences."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tutor.expr import ParseError
from tutor.expr.matrix import format_matrix, parse_matrix
from tutor.graph.layers import Activation, LayerSpecError, Linear, network_from_spec, scalar_check, trace_network

REFERENCE_SPEC = [
    {"linear": {"W": [[1, -1], [2, 0], [-1, 1]], "b": [0, 1, 0]}},
    {"activation": "relu"},
    {"linear": {"W": [[1, 2, -1]], "b": [0]}},
]


def test_reference_shapes_and_order() -> None:
    trace = trace_network(network_from_spec(REFERENCE_SPEC), [1, 2], [1])
    assert trace.forward_names == ["z1", "a1", "z2", "loss"]
    assert trace.backward_names == ["dL/dz2", "dL/dW2", "dL/db2", "dL/da1", "dL/dz1", "dL/dW1", "dL/db1"]
    shapes = {name: quantity.shape for name, quantity in trace.quantities.items()}
    assert shapes["dL/dW1"] == (3, 2) and shapes["dL/dW2"] == (1, 3) and shapes["dL/da1"] == (3, 1)
    assert trace.quantities["z1"].value.ravel().tolist() == [-1, 3, 1]
    assert trace.quantities["dL/dz1"].value.ravel().tolist() == [0, 8, -4]  # the ReLU mask zeroes the first entry
    assert trace.loss == 8.0


def test_missing_relu_mask_answer_is_recorded() -> None:
    trace = trace_network(network_from_spec(REFERENCE_SPEC), [1, 2], [1])
    assert trace.quantities["dL/dz1"].wrong_answers["missing-relu-mask"].ravel().tolist() == [4, 8, -4]


def _numeric_gradients(layers, x, target, loss) -> dict[str, np.ndarray]:
    step = 1e-6
    result = {}
    index = 0
    for layer in layers:
        if not isinstance(layer, Linear):
            continue
        index += 1
        for name, array in ((f"W{index}", layer.weights), (f"b{index}", layer.bias)):
            gradient = np.zeros_like(array)
            for position in np.ndindex(array.shape):
                original = array[position]
                array[position] = original + step
                up = trace_network(layers, x, target, loss).loss
                array[position] = original - step
                down = trace_network(layers, x, target, loss).loss
                array[position] = original
                gradient[position] = (up - down) / (2 * step)
            result[name] = gradient
    return result


small_matrices = st.integers(1, 3)


@st.composite
def networks(draw):
    sizes = [draw(st.integers(1, 3)) for _ in range(draw(st.integers(2, 3)))]
    spec = []
    for fan_in, fan_out in zip(sizes, sizes[1:]):
        weights = draw(st.lists(st.lists(st.integers(-3, 3), min_size=fan_in, max_size=fan_in), min_size=fan_out, max_size=fan_out))
        bias = draw(st.lists(st.integers(-2, 2), min_size=fan_out, max_size=fan_out))
        spec.append({"linear": {"W": weights, "b": bias}})
        spec.append({"activation": draw(st.sampled_from(["relu", "tanh", "sigmoid"]))})
    spec.pop()  # no activation after the last layer
    x = draw(st.lists(st.floats(-2, 2).map(lambda v: round(v, 2)), min_size=sizes[0], max_size=sizes[0]))
    loss = draw(st.sampled_from(["mse", "softmax_ce"]))
    target = draw(st.integers(0, sizes[-1] - 1)) if loss == "softmax_ce" else [1.0] * sizes[-1]
    return network_from_spec(spec), x, target, loss


@settings(max_examples=40, deadline=None)
@given(networks())
def test_layer_gradients_match_the_scalar_engine_and_finite_differences(network) -> None:
    layers, x, target, loss = network
    trace = trace_network(layers, x, target, loss)
    scalar = scalar_check(layers, x, target, loss)
    numeric = _numeric_gradients(layers, x, target, loss)
    for name, expected in scalar.items():
        ours = trace.quantities[f"dL/d{name}"].value
        np.testing.assert_allclose(ours, expected, rtol=1e-9, atol=1e-9)
        kinked = any(isinstance(layer, Activation) and layer.function == "relu" for layer in layers)
        if not kinked:  # finite differences are unreliable across a ReLU kink
            np.testing.assert_allclose(ours, numeric[name], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    "spec, words",
    [
        ([{"activation": "relu"}], "starts with a linear layer"),
        ([{"linear": {"W": [[1, 2]], "b": [0, 0]}}], "b has 2 entries"),
        ([{"conv": {}}], "unknown layer kind"),
        ([{"linear": {"W": [[1]]}}, {"activation": "softplus"}], "activation must be one of"),
    ],
)
def test_bad_specs_are_explained(spec, words) -> None:
    with pytest.raises(LayerSpecError, match=words):
        network_from_spec(spec)


def test_shape_mismatch_between_layers_is_explained() -> None:
    layers = network_from_spec([{"linear": {"W": [[1, 2]]}}, {"linear": {"W": [[1, 2]]}}])
    with pytest.raises(LayerSpecError, match="W2 has 2 columns but its input z1 has 1 entries"):
        trace_network(layers, [1, 1], [0, 0])


@pytest.mark.parametrize(
    "text, rows",
    [("[[1, 2], [3, 4]]", [[1, 2], [3, 4]]), ("[1, 2; 3, 4]", [[1, 2], [3, 4]]), ("[[0.5], [-1]]", [[0.5], [-1]]),
     ("2.5", [[2.5]]), ("[1, 2, 3]", [[1, 2, 3]]), ("[[2*3, 1/2]]", [[6, 0.5]]), ("[[1e-3]]", [[0.001]])],
)
def test_matrix_answers(text, rows) -> None:
    assert parse_matrix(text) == rows
    assert parse_matrix(format_matrix(rows)) == rows


@pytest.mark.parametrize(
    "text, column, words",
    [("[[1,2],[3]]", 1, "same number of entries"), ("[[1,2],[3,x]]", 11, "not names"), ("[[1,2]", 7, "missing ']'"),
     ("[1,,2]", 4, "missing"), ("[[1,2] [3,4]]", 8, "missing ','"), ("[[[1]]]", 3, "two levels"),
     ("[[1, 2**]]", 9, "ends too early"), ("1]", 2, "no '['")],
)
def test_bad_matrix_answers_point_at_the_column(text, column, words) -> None:
    with pytest.raises(ParseError) as caught:
        parse_matrix(text)
    assert caught.value.column == column and words in caught.value.message


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="[],;0123456789.-+*/ x", max_size=40))
def test_random_matrix_text_parses_or_raises_parse_error(text) -> None:
    try:
        rows = parse_matrix(text)
    except ParseError as error:
        assert error.message
    else:
        assert rows and len({len(row) for row in rows}) == 1


# ---------------------------------------------------------------------------- batches


@st.composite
def batch_networks(draw):
    """A network, a batch X (inputs x B) with B from 1 to 4, targets for it, a loss and a reduction."""
    layers, _, _, loss = draw(networks())
    inputs = next(layer for layer in layers if isinstance(layer, Linear)).weights.shape[1]
    outputs = next(layer for layer in reversed(layers) if isinstance(layer, Linear)).weights.shape[0]
    batch = draw(st.integers(1, 4))
    values = st.floats(-2, 2).map(lambda v: round(v, 2))
    x = draw(st.lists(st.lists(values, min_size=batch, max_size=batch), min_size=inputs, max_size=inputs))
    if loss == "softmax_ce":
        target = draw(st.lists(st.integers(0, outputs - 1), min_size=batch, max_size=batch))
    else:
        target = draw(st.lists(st.lists(values, min_size=batch, max_size=batch), min_size=outputs, max_size=outputs))
    return layers, x, target, loss, draw(st.sampled_from(["mean", "sum"]))


@settings(max_examples=40, deadline=None)
@given(batch_networks())
def test_batch_gradients_match_the_scalar_engine_example_by_example(network) -> None:
    layers, x, target, loss, reduction = network
    trace = trace_network(layers, x, target, loss, reduction)
    batch = len(x[0])
    assert trace.batch == batch and trace.quantities["z1"].shape[1] == batch
    for name, expected in scalar_check(layers, x, target, loss, reduction).items():
        np.testing.assert_allclose(trace.quantities[f"dL/d{name}"].value, expected, rtol=1e-9, atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(batch_networks())
def test_batch_gradients_are_the_examples_gradients_added_or_averaged(network) -> None:
    """dL/dW = Σ over the examples of each one's own dL/dW (times 1/B for the mean); the same for db and the loss."""
    layers, x, target, loss, reduction = network
    batch = len(x[0])
    trace = trace_network(layers, x, target, loss, reduction)
    singles = [trace_network(layers, [row[b] for row in x],
                             target[b] if loss == "softmax_ce" else [row[b] for row in target], loss)
               for b in range(batch)]
    factor = 1 / batch if reduction == "mean" else 1.0
    for name in [name for name in trace.quantities if name.startswith(("dL/dW", "dL/db"))] + ["loss"]:
        added = sum(single.quantities[name].value for single in singles)
        np.testing.assert_allclose(trace.quantities[name].value, factor * added, rtol=1e-9, atol=1e-12)


def test_a_batch_of_two_by_hand() -> None:
    """The lesson's batch: the two examples' outer products added, then halved for the mean."""
    layers = network_from_spec([{"linear": {"W": [[1, -1], [0, 2]], "b": [0, 1]}}])
    x = [[1, 2], [0, 1]]  # example 1 = [1; 0], example 2 = [2; 1]
    target = [[0, 1], [1, 2]]
    mean = trace_network(layers, x, target, "mse", "mean")
    assert mean.quantities["z1"].value.tolist() == [[1, 1], [1, 3]]
    assert mean.quantities["dL/dz1"].value.tolist() == [[0.5, 0], [0, 0.5]]
    assert mean.quantities["dL/dW1"].value.tolist() == [[0.5, 0], [1, 0.5]]
    assert mean.quantities["dL/db1"].value.tolist() == [[0.5], [0.5]]
    assert mean.loss == 0.5
    total = trace_network(layers, x, target, "mse", "sum")
    assert total.quantities["dL/dW1"].value.tolist() == [[1, 0], [2, 1]] and total.loss == 1.0
    assert mean.quantities["dL/dW1"].rule == "dL/dW1 = dL/dz1 · Xᵀ"
    assert mean.quantities["dL/db1"].rule == "dL/db1 = row sums of dL/dz1"
    assert mean.quantities["dL/dz1"].rule == "dL/dz1 = (z1 − T) / 2"
    assert "one column per example" in mean.quantities["z1"].shape_rule


def test_one_example_keeps_every_rule_and_adds_no_batch_mistake() -> None:
    trace = trace_network(network_from_spec(REFERENCE_SPEC), [1, 2], [1])
    assert trace.batch == 1 and trace.quantities["dL/db1"].rule == "dL/db1 = dL/dz1"
    assert trace.quantities["dL/dz2"].rule == "dL/dz2 = z2 − t"
    assert trace.quantities["loss"].rule == "loss = ½ Σ (z2 − t)²"
    for quantity in trace.quantities.values():
        assert not quantity.more_wrong_answers
        assert not {"batch-not-summed", "missing-batch-mean", "sum-for-mean", "mean-for-sum"} & set(quantity.wrong_answers)
    column = trace_network(network_from_spec(REFERENCE_SPEC), [[1], [2]], [1], reduction="sum")
    for name, quantity in trace.quantities.items():
        assert quantity.rule == column.quantities[name].rule
        np.testing.assert_array_equal(quantity.value, column.quantities[name].value)


@pytest.mark.parametrize("x, target, loss, words", [
    ([[1, 2], [0, 1]], [1, 0], "mse", "the target is a matrix"),
    ([[1, 2], [0, 1]], [[1, 0, 0]], "mse", r"target has shape \(1, 3\)"),
    ([[1, 2], [0, 1]], 0, "softmax_ce", "a list of 2 class numbers"),
    ([[1, 2], [0, 1]], [0, 5], "softmax_ce", "from 0 to 0"),
    ([[[1]]], [1], "mse", "one column per example"),
])
def test_bad_batches_are_explained(x, target, loss, words) -> None:
    layers = network_from_spec([{"linear": {"W": [[1, -1]]}}])
    with pytest.raises(LayerSpecError, match=words):
        trace_network(layers, x, target, loss)
    with pytest.raises(LayerSpecError, match="reduction must be one of"):
        trace_network(layers, [1, 2], [1], "mse", "max")
