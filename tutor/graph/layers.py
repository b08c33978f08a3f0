"""Backprop one layer at a time, with matrices: the step from scalars to real networks.

A network here is a short list of layers applied to one column vector ``x``::

    z1 = W1 @ x + b1 ; a1 = relu(z1) ; z2 = W2 @ a1 + b2 ; loss = 1/2 * sum((z2 - t)^2)

Why numpy and not the scalar engine vectorised: a learner's quantities are whole matrices
(``dL/dW1`` is 3x2), and the rules being taught are matrix rules (``dL/dW = dL/dz · xᵀ``).
Writing them with numpy keeps each rule one readable line that matches the lesson text; the
scalar engine then checks every entry independently (see ``scalar_check``), so the two are
never trusted blindly.

A batch: ``x`` may be a matrix ``X`` of shape (inputs, B) whose columns are B examples. Every
forward value then has B columns, the loss is the mean (``reduction="mean"``, torch's default) or
the sum of the examples' losses, and the parameter gradients add up the examples:
``dL/dW = dL/dz · Xᵀ`` is the sum of one outer product per example, ``dL/db`` the row sums of
``dL/dz``; with the mean, the 1/B sits in ``dL/dz`` from the output down. With one example
(B = 1) mean and sum agree and every rule text is the single-example one.

Every quantity also knows the answers that common wrong rules produce (forgetting the ReLU
mask, forgetting a transpose, ...); the checker compares a wrong answer with those to name
the mistake.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

ACTIVATIONS = ("relu", "tanh", "sigmoid")
LOSSES = ("mse", "softmax_ce")
REDUCTIONS = ("mean", "sum")


class LayerSpecError(ValueError):
    """A network description that doesn't fit together (shapes, unknown layer kinds)."""


@dataclass(frozen=True)
class Linear:
    weights: np.ndarray  # (out, in)
    bias: np.ndarray  # (out, 1)


@dataclass(frozen=True)
class Activation:
    function: str  # relu, tanh, sigmoid


Layer = Linear | Activation


@dataclass
class Quantity:
    """One thing a learner fills in: a forward value (``z1``) or a gradient (``dL/dW1``)."""

    name: str
    value: np.ndarray
    rule: str  # how it is computed, e.g. "dL/dW2 = dL/dz2 · a1ᵀ"
    shape_rule: str  # why it has its shape
    is_gradient: bool
    wrong_answers: dict[str, np.ndarray] = field(default_factory=dict)  # diagnosis id -> what that mistake gives
    # More answers the same mistake gives (one example's dL/dW for each example of a batch, ...).
    more_wrong_answers: dict[str, list[np.ndarray]] = field(default_factory=dict)

    def every_wrong_answer(self) -> list[tuple[str, np.ndarray]]:
        """(diagnosis, matrix) for every recorded wrong answer, the main one of each mistake first."""
        found = list(self.wrong_answers.items())
        for diagnosis, values in self.more_wrong_answers.items():
            found.extend((diagnosis, value) for value in values)
        return found

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.value.shape)


@dataclass
class LayerTrace:
    quantities: dict[str, Quantity]  # in the order a learner fills them in: forward, then backward
    loss: float
    batch: int = 1  # B, the number of examples (columns of X)
    reduction: str = "mean"  # how the examples' losses are combined: mean or sum

    @property
    def forward_names(self) -> list[str]:
        return [name for name, quantity in self.quantities.items() if not quantity.is_gradient]

    @property
    def backward_names(self) -> list[str]:
        return [name for name, quantity in self.quantities.items() if quantity.is_gradient]


def _column(values: npt.ArrayLike, name: str) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if array.ndim == 1:
        array = array.reshape(-1, 1)
    if array.ndim != 2 or array.shape[1] != 1:
        raise LayerSpecError(f"{name} must be a column vector (a list of numbers), got shape {array.shape}")
    return array


def network_from_spec(layers: list[dict]) -> list[Layer]:
    """Build layers from plain data, e.g. ``[{"linear": {"W": [[1, 2]], "b": [0]}}, {"activation": "relu"}]``."""
    built: list[Layer] = []
    for index, layer in enumerate(layers):
        if not isinstance(layer, dict) or len(layer) != 1:
            raise LayerSpecError(f"layer {index + 1} must be a mapping with one key, 'linear' or 'activation'")
        (kind, body), = layer.items()
        if kind == "linear":
            if not isinstance(body, dict) or "W" not in body:
                raise LayerSpecError(f"layer {index + 1}: a linear layer needs W (and optionally b)")
            weights = np.asarray(body["W"], dtype=float)
            if weights.ndim != 2:
                raise LayerSpecError(f"layer {index + 1}: W must be a matrix (a list of rows)")
            bias = _column(body.get("b", [0.0] * weights.shape[0]), f"layer {index + 1} b")
            if bias.shape[0] != weights.shape[0]:
                raise LayerSpecError(f"layer {index + 1}: b has {bias.shape[0]} entries but W has {weights.shape[0]} rows")
            built.append(Linear(weights, bias))
        elif kind == "activation":
            if body not in ACTIVATIONS:
                raise LayerSpecError(f"layer {index + 1}: activation must be one of {', '.join(ACTIVATIONS)}")
            built.append(Activation(body))
        else:
            raise LayerSpecError(f"layer {index + 1}: unknown layer kind '{kind}' (use 'linear' or 'activation')")
    if not built or not isinstance(built[0], Linear):
        raise LayerSpecError("a network starts with a linear layer")
    return built


def _activate(function: str, z: np.ndarray) -> np.ndarray:
    if function == "relu":
        return np.maximum(z, 0.0)
    if function == "tanh":
        return np.tanh(z)
    return 1.0 / (1.0 + np.exp(-z))


def _activation_slope(function: str, z: np.ndarray, a: np.ndarray) -> np.ndarray:
    if function == "relu":
        return (z > 0).astype(float)
    if function == "tanh":
        return 1.0 - a**2
    return a * (1.0 - a)


def _shape_text(array: np.ndarray) -> str:
    return f"({array.shape[0]}, {array.shape[1]})"


def input_matrix(values: npt.ArrayLike, name: str = "x") -> np.ndarray:
    """The network's input as a matrix with one column per example: a list of numbers is one example."""
    array = np.asarray(values, dtype=float)
    if array.ndim == 1:
        array = array.reshape(-1, 1)
    if array.ndim != 2 or 0 in array.shape:
        raise LayerSpecError(f"{name} must be a column vector (a list of numbers) or a matrix with one column per "
                             f"example (a list of rows), got shape {array.shape}")
    return array


def _classes(target: Any, classes: int, batch: int) -> list[int]:
    """The target classes of softmax cross-entropy, one per example."""
    wanted = "a class number" if batch == 1 else f"a list of {batch} class numbers, one per example"
    values = [target] if batch == 1 and not isinstance(target, list) else target
    if not isinstance(values, list) or len(values) != batch or \
            any(isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < classes for value in values):
        raise LayerSpecError(f"for softmax cross-entropy the target is {wanted} from 0 to {classes - 1}")
    return list(values)


def _mse_targets(target: Any, output: np.ndarray) -> np.ndarray:
    if output.shape[1] == 1:
        array = _column(target, "target")
    else:
        array = np.asarray(target, dtype=float)
        if array.ndim != 2:
            raise LayerSpecError(f"with a batch the target is a matrix {_shape_text(output)}, one column per "
                                 "example (a list of rows)")
    if array.shape != output.shape:
        raise LayerSpecError(f"the target has shape {array.shape} but the output has {output.shape}")
    return array


def trace_network(layers: list[Layer], x: npt.ArrayLike, target: Any, loss: str = "mse",
                  reduction: str | None = None) -> LayerTrace:
    """Forward then backward through the network, recording every quantity a learner traces.

    ``x`` is one example (a list of numbers) or a batch, a matrix whose B columns are the examples;
    ``reduction`` (mean, the default, or sum) says how the examples' losses make the loss.
    """
    if loss not in LOSSES:
        raise LayerSpecError(f"loss must be one of {', '.join(LOSSES)}")
    reduction = reduction or "mean"
    if reduction not in REDUCTIONS:
        raise LayerSpecError(f"reduction must be one of {', '.join(REDUCTIONS)}")
    x = input_matrix(x)
    batch = x.shape[1]
    scale = 1.0 / batch if reduction == "mean" else 1.0
    batched = batch > 1
    input_name = "X" if batched else "x"
    quantities: dict[str, Quantity] = {}
    inputs: list[tuple[str, np.ndarray]] = []  # per linear layer: (name of its input, the input)
    pre_activations: dict[int, np.ndarray] = {}
    current_name, current = input_name, x
    linear_index = 0
    for layer in layers:
        if isinstance(layer, Linear):
            linear_index += 1
            if layer.weights.shape[1] != current.shape[0]:
                raise LayerSpecError(
                    f"W{linear_index} has {layer.weights.shape[1]} columns but its input {current_name} has "
                    f"{current.shape[0]} {'rows' if batched else 'entries'}"
                )
            inputs.append((current_name, current))
            z = layer.weights @ current + layer.bias
            name = f"z{linear_index}"
            shape_rule = f"W{linear_index} {_shape_text(layer.weights)} · {current_name} {_shape_text(current)} → " \
                f"{_shape_text(z)}"
            if batched:
                shape_rule += f", one column per example; b{linear_index} is added to every column"
            quantities[name] = Quantity(
                name, z, f"{name} = W{linear_index} · {current_name} + b{linear_index}", shape_rule, False,
                {"transposed": z.T},
            )
            pre_activations[linear_index] = z
            current_name, current = name, z
        else:
            a = _activate(layer.function, current)
            name = f"a{linear_index}"
            wrong: dict[str, np.ndarray] = {"transposed": a.T}
            if layer.function == "relu":
                wrong["missing-relu-mask"] = current.copy()  # negatives passed straight through
            quantities[name] = Quantity(name, a, f"{name} = {layer.function}({current_name})",
                                        f"elementwise: same shape as {current_name}, {_shape_text(a)}", False, wrong)
            current_name, current = name, a
    output = current
    examples = f"the {batch} examples"
    if loss == "mse":
        target_array = _mse_targets(target, output)
        loss_value = float(scale * 0.5 * np.sum((output - target_array) ** 2))
        upstream = scale * (output - target_array)
        loss_rule = f"loss = ½ Σ ({current_name} − t)²" if not batched else \
            f"loss = {reduction} over {examples} of ½ Σ ({current_name} − t)²"
        upstream_wrong = {"sign-flip": -upstream}
        upstream_rule = f"dL/d{current_name} = {current_name} − t" if not batched else \
            f"dL/d{current_name} = ({current_name} − T) / {batch}" if reduction == "mean" else \
            f"dL/d{current_name} = {current_name} − T"
    else:
        classes = _classes(target, output.shape[0], batch)
        shifted = output - output.max(axis=0, keepdims=True)
        probabilities = np.exp(shifted) / np.sum(np.exp(shifted), axis=0, keepdims=True)
        columns = np.arange(batch)
        loss_value = float(-scale * np.sum(np.log(probabilities[classes, columns])))
        one_hot = np.zeros_like(output)
        one_hot[classes, columns] = 1.0
        upstream = scale * (probabilities - one_hot)
        loss_rule = f"loss = −log softmax({current_name})[{classes[0]}]" if not batched else \
            f"loss = {reduction} over {examples} of −log softmax({current_name})[t]"
        upstream_wrong = {"sign-flip": -upstream, "missing-upstream": scale * probabilities}
        upstream_rule = f"dL/d{current_name} = softmax({current_name}) − onehot(t)" if not batched else \
            f"dL/d{current_name} = (softmax({current_name}) − onehot(T)) / {batch}" if reduction == "mean" else \
            f"dL/d{current_name} = softmax({current_name}) − onehot(T)"
    quantities["loss"] = Quantity("loss", np.array([[loss_value]]), loss_rule, "a single number", False, {})

    # Backward: walk the layers in reverse, carrying dL/d(current).
    gradient = upstream
    gradient_name = current_name
    columns_text = ": one column per example" if batched else ""
    quantities[f"dL/d{gradient_name}"] = Quantity(
        f"dL/d{gradient_name}", gradient.copy(), upstream_rule,
        f"same shape as {gradient_name}, {_shape_text(gradient)}{columns_text}", True,
        {"transposed": gradient.T, **upstream_wrong},
    )
    unmasked_gradient: np.ndarray | None = None  # the same backward pass with the ReLU mask forgotten
    linear_index = len(inputs)
    for layer in reversed(layers):
        if isinstance(layer, Activation):
            z = pre_activations[linear_index]
            a = _activate(layer.function, z)
            slope = _activation_slope(layer.function, z, a)
            name = f"dL/dz{linear_index}"
            wrong = {"transposed": (gradient * slope).T}
            if layer.function == "relu":
                wrong["missing-relu-mask"] = gradient.copy()
                unmasked_gradient = gradient.copy()
            else:
                wrong["activation-derivative"] = gradient * _activation_slope(layer.function, z, z)
                wrong["missing-upstream"] = slope
            gradient = gradient * slope
            slope_text = {"relu": f"[z{linear_index} > 0]", "tanh": f"(1 − a{linear_index}²)",
                          "sigmoid": f"a{linear_index}(1 − a{linear_index})"}[layer.function]
            quantities[name] = Quantity(name, gradient.copy(), f"{name} = dL/da{linear_index} ⊙ {slope_text}",
                                        f"elementwise: same shape as z{linear_index}, {_shape_text(gradient)}", True, wrong)
            gradient_name = f"z{linear_index}"
            if unmasked_gradient is not None and layer.function != "relu":
                unmasked_gradient = unmasked_gradient * slope
            continue
        assert isinstance(layer, Linear)
        input_name, layer_input = inputs[linear_index - 1]
        weight_gradient = gradient @ layer_input.T
        wrong_w = {
            "transposed": weight_gradient.T,
            "missing-upstream": np.ones_like(gradient) @ layer_input.T,
            "sign-flip": -weight_gradient,
        }
        pre = pre_activations.get(linear_index - 1)
        if pre is not None and not np.allclose(pre, layer_input):
            wrong_w["wrong-operand"] = gradient @ pre.T  # used z (before the activation) instead of a
        if unmasked_gradient is not None:
            wrong_w["missing-relu-mask"] = unmasked_gradient @ layer_input.T
        more_w: dict[str, list[np.ndarray]] = {}
        if batched:  # one example's outer product alone, as the delta has it and as that example's own gradient
            singles = [gradient[:, [b]] @ layer_input[:, [b]].T for b in range(batch)]
            more_w["batch-not-summed"] = singles + ([single / scale for single in singles] if scale != 1 else [])
        shape_rule = f"dL/d{gradient_name} {_shape_text(gradient)} · {input_name}ᵀ {_shape_text(layer_input.T)} → " \
            f"{_shape_text(weight_gradient)}, the shape of W{linear_index}"
        if batched:
            shape_rule += f"; the product adds up {examples}' outer products"
        quantities[f"dL/dW{linear_index}"] = Quantity(
            f"dL/dW{linear_index}", weight_gradient, f"dL/dW{linear_index} = dL/d{gradient_name} · {input_name}ᵀ",
            shape_rule, True, wrong_w, more_w,
        )
        bias_gradient = gradient.sum(axis=1, keepdims=True)
        wrong_b = {"transposed": bias_gradient.T, "sign-flip": -bias_gradient,
                   "missing-upstream": np.ones_like(bias_gradient)}
        if unmasked_gradient is not None:
            wrong_b["missing-relu-mask"] = unmasked_gradient.sum(axis=1, keepdims=True)
        more_b: dict[str, list[np.ndarray]] = {}
        if batched:  # the delta itself, one column per example, as it is and without the mean's 1/B
            more_b["batch-not-summed"] = [gradient.copy()] + ([gradient / scale] if scale != 1 else [])
        quantities[f"dL/db{linear_index}"] = Quantity(
            f"dL/db{linear_index}", bias_gradient,
            f"dL/db{linear_index} = row sums of dL/d{gradient_name}" if batched
            else f"dL/db{linear_index} = dL/d{gradient_name}",
            f"the shape of b{linear_index}, {_shape_text(bias_gradient)}"
            + (f": each row of dL/d{gradient_name} added up over {examples}" if batched else ""),
            True, wrong_b, more_b,
        )
        if linear_index > 1:
            input_gradient = layer.weights.T @ gradient
            wrong_x = {"transposed": input_gradient.T, "sign-flip": -input_gradient,
                       "missing-upstream": layer.weights.T @ np.ones_like(gradient)}
            if layer.weights.shape[0] == layer.weights.shape[1]:
                wrong_x["wrong-operand"] = layer.weights @ gradient  # W instead of Wᵀ
            if unmasked_gradient is not None:
                wrong_x["missing-relu-mask"] = layer.weights.T @ unmasked_gradient
            quantities[f"dL/d{input_name}"] = Quantity(
                f"dL/d{input_name}", input_gradient, f"dL/d{input_name} = W{linear_index}ᵀ · dL/d{gradient_name}",
                f"W{linear_index}ᵀ {_shape_text(layer.weights.T)} · dL/d{gradient_name} {_shape_text(gradient)} → "
                f"{_shape_text(input_gradient)}, the shape of {input_name}", True, wrong_x,
            )
            if unmasked_gradient is not None:
                unmasked_gradient = layer.weights.T @ unmasked_gradient
            gradient = input_gradient
            gradient_name = input_name
        linear_index -= 1
    # The rules above name the quantities and the mistakes; the right numbers themselves come
    # from the tensor engine, the one source of truth shared with the labs.
    for name, value in _tensor_engine_numbers(layers, x, target, loss, reduction).items():
        if name in quantities:
            quantities[name].value = value
    if batched:
        _add_reduction_mistakes(quantities, batch, reduction)
    return LayerTrace(quantities, float(quantities["loss"].value[0, 0]), batch, reduction)


def _add_reduction_mistakes(quantities: dict[str, Quantity], batch: int, reduction: str) -> None:
    """The answers of the other reduction: B times too big where the mean was asked, B times too small for the sum.

    With the mean, the loss and the parameter gradients given B times too big are sums ("summed where the
    mean was asked"); a gradient flowing between layers that is B times too big left out the 1/B the mean
    puts into dL/dz at the output ("forgot the 1/B").
    """
    for name, quantity in quantities.items():
        if not quantity.is_gradient and name != "loss":
            continue
        if reduction == "sum":
            quantity.wrong_answers["mean-for-sum"] = quantity.value / batch
        elif name == "loss" or name.startswith(("dL/dW", "dL/db")):
            quantity.wrong_answers["sum-for-mean"] = quantity.value * batch
        else:
            quantity.wrong_answers["missing-batch-mean"] = quantity.value * batch


def _tensor_engine_numbers(
    layers: list[Layer], x: np.ndarray, target: Any, loss: str, reduction: str = "mean"
) -> dict[str, np.ndarray]:
    """Every forward value and gradient of the traced network, computed by tutor.engine.tensor."""
    from tutor.engine.tensor import Tensor, cross_entropy

    nodes: dict[str, Tensor] = {}
    parameters: dict[str, Tensor] = {}
    current = Tensor(x)
    batch = x.shape[1]
    linear_index = 0
    for layer in layers:
        if isinstance(layer, Linear):
            linear_index += 1
            weights, bias = Tensor(layer.weights), Tensor(layer.bias)
            parameters[f"W{linear_index}"], parameters[f"b{linear_index}"] = weights, bias
            current = weights @ current + bias
            nodes[f"z{linear_index}"] = current
        else:
            current = getattr(current, layer.function)()
            nodes[f"a{linear_index}"] = current
    if loss == "mse":
        total = ((current - _mse_targets(target, current.data)) ** 2).sum() * 0.5
        loss_node = total * (1.0 / batch) if reduction == "mean" else total
    else:
        classes = _classes(target, current.data.shape[0], batch)
        mean = cross_entropy(current.T, classes)  # rows of logits, one per example; the mean over the batch
        loss_node = mean if reduction == "mean" else mean * float(batch)
    loss_node.backward()
    numbers = {name: node.data for name, node in nodes.items()}
    numbers.update({f"dL/d{name}": node.grad for name, node in nodes.items()})
    numbers.update({f"dL/d{name}": node.grad for name, node in parameters.items()})
    numbers["loss"] = loss_node.data.reshape(1, 1)
    return numbers


def scalar_check(
    layers: list[Layer], x: npt.ArrayLike, target: Any, loss: str = "mse", reduction: str | None = None
) -> dict[str, np.ndarray]:
    """The parameter gradients recomputed entry by entry with the scalar engine (for tests).

    A batch runs every example through the same scalar parameters; the examples' losses are added
    (``sum``) or averaged (``mean``), so each parameter's gradient collects every example's share.
    """
    from tutor.engine import Value

    inputs = input_matrix(x)
    batch = inputs.shape[1]
    parameters: dict[str, list[list[Value]]] = {}
    built: list[Any] = []
    linear_index = 0
    for layer in layers:
        if isinstance(layer, Linear):
            linear_index += 1
            weights = [[Value(float(w)) for w in row] for row in layer.weights]
            bias = [Value(float(b)) for b in layer.bias.ravel()]
            parameters[f"W{linear_index}"] = weights
            parameters[f"b{linear_index}"] = [[b] for b in bias]
            built.append((weights, bias))
        else:
            built.append(layer.function)
    if loss == "mse":
        targets = _column(target, "target") if batch == 1 else np.asarray(target, dtype=float)
    else:
        classes = _classes(target, layers[-1].weights.shape[0] if isinstance(layers[-1], Linear) else
                           next(layer.weights.shape[0] for layer in reversed(layers) if isinstance(layer, Linear)),
                           batch)
    total = Value(0.0)
    for example in range(batch):
        current = [Value(float(v)) for v in inputs[:, example]]
        for item in built:
            if isinstance(item, tuple):
                weights, bias = item
                current = [sum((w * c for w, c in zip(row, current)), Value(0.0)) + b for row, b in zip(weights, bias)]
            else:
                current = [getattr(value, item)() for value in current]
        if loss == "mse":
            one = sum(((value - float(t)) ** 2 for value, t in zip(current, targets[:, example])), Value(0.0)) * 0.5
        else:
            exps = [value.exp() for value in current]
            one = -(exps[classes[example]] / sum(exps[1:], exps[0])).log()
        total = total + one
    if (reduction or "mean") == "mean" and batch > 1:
        total = total * (1.0 / batch)
    total.backward()
    return {name: np.array([[v.grad for v in row] for row in rows]) for name, rows in parameters.items()}
