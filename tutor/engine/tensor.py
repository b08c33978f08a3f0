"""A small reverse-mode autograd over numpy arrays: the scalar :class:`Value` engine, for tensors.

The scalar engine stores each local derivative as a number, because a scalar op's local
derivative *is* a number. A tensor op's local derivative is a whole Jacobian, far too big to
store (a 32x256 matmul would need a 8192x65536 matrix), so each node stores instead, for each
child, a small function that turns the upstream gradient into that child's share: the
vector-Jacobian product. Each such rule is written to read like the lessons, e.g. for
``Z = A @ B``: ``dL/dA = G @ Bᵀ`` and ``dL/dB = Aᵀ @ G``.

Everything else follows :mod:`tutor.engine.value`:

* ``children`` is a tuple in argument order (``x * x`` has two edges from ``x``).
* :meth:`Tensor.backward` orders the graph with the same explicit-stack depth-first search,
  resets interior gradients to zero and *adds* into leaf gradients, so two calls double
  them (like PyTorch); :func:`zero_grad` clears them.
* ``backward()`` needs a scalar (one-element) result, as in PyTorch.

Broadcasting: ``+ - * /`` follow numpy broadcasting. The gradient for an operand that was
stretched is summed back over the stretched axes (:func:`unbroadcast`), so every ``grad`` has
its own tensor's shape; a bias of shape (1, n) added to a batch (B, n) gets the sum over the
batch, which is exactly the "sum the bias gradient over examples" rule.

Numbers are float64 throughout; overflow gives inf and nan like numpy (no exceptions), since
the NaN-hunt lab needs to watch them appear.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "Tensor",
    "batch_norm",
    "cross_entropy",
    "mse",
    "sgd_step",
    "unbroadcast",
    "zero_grad",
]

Array = NDArray[np.float64]
# Turns the upstream gradient (shape of the node) into one child's gradient (its shape).
GradientRule = Callable[[Array], Array]


def _as_array(data: object) -> Array:
    return np.asarray(data, dtype=np.float64)


def unbroadcast(gradient: Array, shape: tuple[int, ...]) -> Array:
    """Sum ``gradient`` over the axes numpy broadcasting added or stretched to reach ``shape``."""
    extra_axes = gradient.ndim - len(shape)
    if extra_axes > 0:
        gradient = gradient.sum(axis=tuple(range(extra_axes)))
    stretched = tuple(axis for axis, size in enumerate(shape) if size == 1 and gradient.shape[axis] != 1)
    if stretched:
        gradient = gradient.sum(axis=stretched, keepdims=True)
    return gradient.reshape(shape)


class Tensor:
    """An array in a computation graph, with its gradient and how it was computed."""

    __slots__ = ("data", "grad", "children", "op", "rules", "label")

    def __init__(
        self,
        data: object,
        children: tuple[Tensor, ...] = (),
        op: str = "",
        rules: tuple[GradientRule, ...] = (),
        label: str = "",
    ) -> None:
        self.data: Array = _as_array(data)
        self.grad: Array = np.zeros_like(self.data)
        self.children = children
        self.op = op
        self.rules = rules
        self.label = label

    def __repr__(self) -> str:
        name = f"label={self.label!r}, " if self.label else ""
        return f"Tensor({name}shape={self.shape}, op={self.op!r})"

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.data.shape)

    @property
    def is_leaf(self) -> bool:
        return not self.children

    # ----------------------------------------------------------- binary operations

    def __add__(self, other: Tensor | float | Array) -> Tensor:
        other_t = _as_tensor(other)
        a_shape, b_shape = self.shape, other_t.shape
        return Tensor(
            self.data + other_t.data,
            (self, other_t),
            "add",
            (lambda g: unbroadcast(g, a_shape), lambda g: unbroadcast(g, b_shape)),
        )

    def __radd__(self, other: float | Array) -> Tensor:
        return _as_tensor(other).__add__(self)

    def __sub__(self, other: Tensor | float | Array) -> Tensor:
        other_t = _as_tensor(other)
        a_shape, b_shape = self.shape, other_t.shape
        return Tensor(
            self.data - other_t.data,
            (self, other_t),
            "sub",
            (lambda g: unbroadcast(g, a_shape), lambda g: unbroadcast(-g, b_shape)),
        )

    def __rsub__(self, other: float | Array) -> Tensor:
        return _as_tensor(other).__sub__(self)

    def __mul__(self, other: Tensor | float | Array) -> Tensor:
        other_t = _as_tensor(other)
        a, b = self.data, other_t.data
        return Tensor(
            a * b,
            (self, other_t),
            "mul",
            (lambda g: unbroadcast(g * b, a.shape), lambda g: unbroadcast(g * a, b.shape)),
        )

    def __rmul__(self, other: float | Array) -> Tensor:
        return _as_tensor(other).__mul__(self)

    def __truediv__(self, other: Tensor | float | Array) -> Tensor:
        other_t = _as_tensor(other)
        a, b = self.data, other_t.data
        with np.errstate(divide="ignore", invalid="ignore"):
            quotient = a / b
        # d(a/b)/db = -a/b², written -(a/b)/b as in the scalar engine (no b*b underflow).
        return Tensor(
            quotient,
            (self, other_t),
            "div",
            (lambda g: unbroadcast(g / b, a.shape), lambda g: unbroadcast(-g * quotient / b, b.shape)),
        )

    def __rtruediv__(self, other: float | Array) -> Tensor:
        return _as_tensor(other).__truediv__(self)

    def __matmul__(self, other: Tensor | Array) -> Tensor:
        other_t = _as_tensor(other)
        a, b = self.data, other_t.data
        if a.ndim != 2 or b.ndim != 2:
            raise ValueError(f"@ needs two matrices, got shapes {a.shape} and {b.shape}")
        # Z = A @ B:  dL/dA = G @ Bᵀ,  dL/dB = Aᵀ @ G.
        return Tensor(a @ b, (self, other_t), "matmul", (lambda g: g @ b.T, lambda g: a.T @ g))

    def __pow__(self, exponent: float) -> Tensor:
        if isinstance(exponent, Tensor) or not isinstance(exponent, (int, float)):
            return NotImplemented
        n = float(exponent)
        x = self.data
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            result = x**n
            local = np.zeros_like(x) if n == 0.0 else n * x ** (n - 1.0)
        return Tensor(result, (self,), "pow", (lambda g: g * local,))

    # ------------------------------------------------------------ unary operations

    def __neg__(self) -> Tensor:
        return Tensor(-self.data, (self,), "neg", (lambda g: -g,))

    def relu(self) -> Tensor:
        on = self.data > 0.0  # derivative 0 at exactly 0, as in the scalar engine
        return Tensor(np.where(on, self.data, 0.0), (self,), "relu", (lambda g: g * on,))

    def tanh(self) -> Tensor:
        t = np.tanh(self.data)
        return Tensor(t, (self,), "tanh", (lambda g: g * (1.0 - t * t),))

    def sigmoid(self) -> Tensor:
        x = self.data
        # Stable both ways: exp of a non-positive number never overflows.
        e = np.exp(-np.abs(x))
        s = np.where(x >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))
        return Tensor(s, (self,), "sigmoid", (lambda g: g * s * (1.0 - s),))

    def exp(self) -> Tensor:
        with np.errstate(over="ignore"):
            e = np.exp(self.data)
        return Tensor(e, (self,), "exp", (lambda g: g * e,))

    def log(self) -> Tensor:
        x = self.data
        with np.errstate(divide="ignore", invalid="ignore"):
            result = np.log(x)
        return Tensor(result, (self,), "log", (lambda g: g / x,))

    # ------------------------------------------------------------ reductions and shapes

    def sum(self, axis: int | None = None) -> Tensor:
        shape = self.shape
        if axis is None:
            return Tensor(self.data.sum(), (self,), "sum", (lambda g: np.broadcast_to(g, shape).copy(),))
        # The summed axis comes back as size 1, then is stretched to copy g to every entry.
        return Tensor(
            self.data.sum(axis=axis),
            (self,),
            "sum",
            (lambda g: np.broadcast_to(np.expand_dims(g, axis), shape).copy(),),
        )

    def mean(self, axis: int | None = None) -> Tensor:
        count = self.data.size if axis is None else self.shape[axis]
        return self.sum(axis) * (1.0 / count)

    @property
    def T(self) -> Tensor:  # noqa: N802 - the numpy / torch name
        return Tensor(self.data.T, (self,), "transpose", (lambda g: g.T,))

    def reshape(self, *shape: int) -> Tensor:
        old_shape = self.shape
        return Tensor(self.data.reshape(shape), (self,), "reshape", (lambda g: g.reshape(old_shape),))

    # ---------------------------------------------------------------- backprop

    def topological_order(self) -> list[Tensor]:
        """Every node reachable from ``self``, each after its children (as in ``Value``)."""
        order: list[Tensor] = []
        expanded: set[int] = set()
        emitted: set[int] = set()
        stack: list[Tensor] = [self]
        while stack:
            node = stack[-1]
            if id(node) in expanded:
                stack.pop()
                if id(node) not in emitted:
                    emitted.add(id(node))
                    order.append(node)
                continue
            expanded.add(id(node))
            for child in reversed(node.children):
                if id(child) not in expanded:
                    stack.append(child)
        return order

    def backward(self) -> None:
        """Fill in ``grad`` of every node reachable from this scalar (d self / d node).

        Leaf gradients accumulate across calls; interior gradients are recomputed from zero.
        """
        if self.data.size != 1:
            raise ValueError(f"backward() needs a scalar result, this tensor has shape {self.shape}")
        order = self.topological_order()
        for node in order:
            if node.children:
                node.grad = np.zeros_like(node.data)
        self.grad = self.grad + 1.0
        for node in reversed(order):
            upstream = node.grad
            for child, rule in zip(node.children, node.rules):
                child.grad = child.grad + rule(upstream)


def _as_tensor(thing: object) -> Tensor:
    if isinstance(thing, Tensor):
        return thing
    return Tensor(thing)


# ---------------------------------------------------------------- losses and layers


def mse(pred: Tensor, target: Tensor | Array | float) -> Tensor:
    """Mean squared error over every entry (torch's default ``reduction='mean'``)."""
    return ((pred - target) ** 2).mean()


def cross_entropy(logits: Tensor, classes: Sequence[int] | NDArray[np.integer]) -> Tensor:
    """Softmax cross-entropy, rows are examples, averaged over the batch (like torch).

    Written as one node whose rule is the lesson's result ``dL/dlogits = (softmax - onehot) / B``;
    the log-sum-exp subtracts each row's max first so large logits cannot overflow.
    """
    z = logits.data
    if z.ndim != 2:
        raise ValueError(f"cross_entropy needs logits of shape (batch, classes), got {z.shape}")
    labels = np.asarray(classes, dtype=np.int64)
    batch, n_classes = z.shape
    if labels.shape != (batch,):
        raise ValueError(f"cross_entropy needs one class per row: {batch} rows, {labels.shape} classes")
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(f"cross_entropy classes must lie in 0..{n_classes - 1}")
    shifted = z - z.max(axis=1, keepdims=True)
    log_sum_exp = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    log_probs = shifted - log_sum_exp
    rows = np.arange(batch)
    loss = -log_probs[rows, labels].mean()

    def rule(g: Array) -> Array:
        grad = np.exp(log_probs)
        grad[rows, labels] -= 1.0
        return g * grad / batch

    return Tensor(loss, (logits,), "cross_entropy", (rule,))


def batch_norm(x: Tensor, gamma: Tensor | None = None, beta: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Batch normalisation in training mode: each column standardised over the batch (rows).

    Built from the ops above (mean, subtract, square, divide), so its gradient is the chain
    rule through them; the biased variance matches torch's training-mode forward.
    """
    mean = x.mean(axis=0)
    centred = x - mean
    variance = (centred**2).mean(axis=0)
    normalised = centred / (variance + eps) ** 0.5
    if gamma is not None:
        normalised = normalised * gamma
    if beta is not None:
        normalised = normalised + beta
    return normalised


def zero_grad(parameters: Iterable[Tensor]) -> None:
    """Set every parameter's gradient to zeros (before the next ``backward``)."""
    for parameter in parameters:
        parameter.grad = np.zeros_like(parameter.data)


def sgd_step(parameters: Iterable[Tensor], learning_rate: float) -> None:
    """Plain gradient descent: ``p ← p − lr · dL/dp`` in place."""
    for parameter in parameters:
        parameter.data -= learning_rate * parameter.grad
