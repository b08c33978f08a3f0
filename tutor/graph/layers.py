"""Backprop one layer at a time, with matrices: the step from scalars to real networks.

A network here is a short list of layers applied to one column vector ``x``::

    z1 = W1 @ x + b1 ; a1 = relu(z1) ; z2 = W2 @ a1 + b2 ; loss = 1/2 * sum((z2 - t)^2)

Why numpy and not the scalar engine vectorised: a learner's quantities are whole matrices
(``dL/dW1`` is 3x2), and the rules being taught are matrix rules (``dL/dW = dL/dz · xᵀ``).
Writing them with numpy keeps each rule one readable line that matches the lesson text; the
scalar engine then checks every entry independently (see ``scalar_check``), so the two are
never trusted blindly.

Every quantity also knows the answers that common wrong rules produce (forgetting the ReLU
mask, forgetting a transpose, ...); the checker compares a wrong answer with those to name
the mistake.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

ACTIVATIONS = ("relu", "tanh", "sigmoid")
LOSSES = ("mse", "softmax_ce")


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

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.value.shape)


@dataclass
class LayerTrace:
    quantities: dict[str, Quantity]  # in the order a learner fills them in: forward, then backward
    loss: float

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


def trace_network(layers: list[Layer], x: npt.ArrayLike, target: npt.ArrayLike, loss: str = "mse") -> LayerTrace:
    """Forward then backward through the network, recording every quantity a learner traces."""
    if loss not in LOSSES:
        raise LayerSpecError(f"loss must be one of {', '.join(LOSSES)}")
    x = _column(x, "x")
    quantities: dict[str, Quantity] = {}
    inputs: list[tuple[str, np.ndarray]] = []  # per linear layer: (name of its input, the input)
    pre_activations: dict[int, np.ndarray] = {}
    current_name, current = "x", x
    linear_index = 0
    for layer in layers:
        if isinstance(layer, Linear):
            linear_index += 1
            if layer.weights.shape[1] != current.shape[0]:
                raise LayerSpecError(
                    f"W{linear_index} has {layer.weights.shape[1]} columns but its input {current_name} has "
                    f"{current.shape[0]} entries"
                )
            inputs.append((current_name, current))
            z = layer.weights @ current + layer.bias
            name = f"z{linear_index}"
            quantities[name] = Quantity(
                name, z, f"{name} = W{linear_index} · {current_name} + b{linear_index}",
                f"W{linear_index} {_shape_text(layer.weights)} · {current_name} {_shape_text(current)} → {_shape_text(z)}",
                False,
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
    if loss == "mse":
        target_array = _column(target, "target")
        if target_array.shape != output.shape:
            raise LayerSpecError(f"the target has shape {target_array.shape} but the output has {output.shape}")
        loss_value = float(0.5 * np.sum((output - target_array) ** 2))
        upstream = output - target_array
        loss_rule = f"loss = ½ Σ ({current_name} − t)²"
        upstream_wrong = {"sign-flip": -upstream}
    else:
        classes = output.shape[0]
        if isinstance(target, bool) or not isinstance(target, int) or not 0 <= target < classes:
            raise LayerSpecError(f"for softmax cross-entropy the target is a class number from 0 to {classes - 1}")
        shifted = output - output.max()
        probabilities = np.exp(shifted) / np.sum(np.exp(shifted))
        loss_value = float(-np.log(probabilities[target, 0]))
        one_hot = np.zeros_like(output)
        one_hot[target, 0] = 1.0
        upstream = probabilities - one_hot
        loss_rule = f"loss = −log softmax({current_name})[{target}]"
        upstream_wrong = {"sign-flip": -upstream, "missing-upstream": probabilities}
    quantities["loss"] = Quantity("loss", np.array([[loss_value]]), loss_rule, "a single number", False, {})

    # Backward: walk the layers in reverse, carrying dL/d(current).
    gradient = upstream
    gradient_name = current_name
    quantities[f"dL/d{gradient_name}"] = Quantity(
        f"dL/d{gradient_name}", gradient.copy(),
        f"dL/d{gradient_name} = {gradient_name} − t" if loss == "mse"
        else f"dL/d{gradient_name} = softmax({gradient_name}) − onehot(t)",
        f"same shape as {gradient_name}, {_shape_text(gradient)}", True,
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
        quantities[f"dL/dW{linear_index}"] = Quantity(
            f"dL/dW{linear_index}", weight_gradient, f"dL/dW{linear_index} = dL/d{gradient_name} · {input_name}ᵀ",
            f"dL/d{gradient_name} {_shape_text(gradient)} · {input_name}ᵀ {_shape_text(layer_input.T)} → "
            f"{_shape_text(weight_gradient)}, the shape of W{linear_index}", True, wrong_w,
        )
        wrong_b = {"transposed": gradient.T, "sign-flip": -gradient, "missing-upstream": np.ones_like(gradient)}
        if unmasked_gradient is not None:
            wrong_b["missing-relu-mask"] = unmasked_gradient.copy()
        quantities[f"dL/db{linear_index}"] = Quantity(
            f"dL/db{linear_index}", gradient.copy(), f"dL/db{linear_index} = dL/d{gradient_name}",
            f"the shape of b{linear_index}, {_shape_text(gradient)}", True, wrong_b,
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
    for name, value in _tensor_engine_numbers(layers, x, target, loss).items():
        if name in quantities:
            quantities[name].value = value
    return LayerTrace(quantities, float(quantities["loss"].value[0, 0]))


def _tensor_engine_numbers(
    layers: list[Layer], x: np.ndarray, target: npt.ArrayLike, loss: str
) -> dict[str, np.ndarray]:
    """Every forward value and gradient of the traced network, computed by tutor.engine.tensor."""
    from tutor.engine.tensor import Tensor, cross_entropy

    nodes: dict[str, Tensor] = {}
    parameters: dict[str, Tensor] = {}
    current = Tensor(x)
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
        loss_node = ((current - _column(target, "target")) ** 2).sum() * 0.5
    else:
        assert isinstance(target, int)  # trace_network refuses any other target for softmax cross-entropy
        loss_node = cross_entropy(current.T, [target])  # one example: the row of logits
    loss_node.backward()
    numbers = {name: node.data for name, node in nodes.items()}
    numbers.update({f"dL/d{name}": node.grad for name, node in nodes.items()})
    numbers.update({f"dL/d{name}": node.grad for name, node in parameters.items()})
    numbers["loss"] = loss_node.data.reshape(1, 1)
    return numbers


def scalar_check(
    layers: list[Layer], x: npt.ArrayLike, target: npt.ArrayLike, loss: str = "mse"
) -> dict[str, np.ndarray]:
    """The parameter gradients recomputed entry by entry with the scalar engine (for tests)."""
    from tutor.engine import Value

    x_values = [Value(float(v)) for v in _column(x, "x").ravel()]
    current = x_values
    parameters: dict[str, list[list[Value]]] = {}
    linear_index = 0
    for layer in layers:
        if isinstance(layer, Linear):
            linear_index += 1
            weights = [[Value(float(w)) for w in row] for row in layer.weights]
            bias = [Value(float(b)) for b in layer.bias.ravel()]
            parameters[f"W{linear_index}"] = weights
            parameters[f"b{linear_index}"] = [[b] for b in bias]
            current = [sum((w * c for w, c in zip(row, current)), Value(0.0)) + b for row, b in zip(weights, bias)]
        else:
            current = [getattr(value, layer.function)() for value in current]
    if loss == "mse":
        targets = _column(target, "target").ravel()
        total = sum(((value - float(t)) ** 2 for value, t in zip(current, targets)), Value(0.0)) * 0.5
    else:
        assert isinstance(target, int), "the softmax cross-entropy target is a class number"
        exps = [value.exp() for value in current]
        total = -(exps[target] / sum(exps[1:], exps[0])).log()
    total.backward()
    return {name: np.array([[v.grad for v in row] for row in rows]) for name, rows in parameters.items()}
