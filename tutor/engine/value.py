"""A small scalar reverse-mode autograd engine, in the spirit of micrograd.

Every arithmetic operation on :class:`Value` objects creates a new ``Value`` node that
remembers three things about how it was made:

* ``children`` -- the input nodes, as a *tuple* in argument order. A tuple (not a set) keeps
  duplicates, so ``x * x`` has two edges from ``x`` and its gradient comes out as ``2x``,
  and it keeps the order the learner wrote, which the graph drawings rely on.
* ``op`` -- a short name such as ``"mul"`` or ``"tanh"`` (``""`` for leaves).
* ``local_grads`` -- for each child, the partial derivative of this node with respect to
  that child, evaluated *at forward time* and stored as a plain float.

Storing the local derivatives as numbers (instead of a closure per node, as micrograd does)
has two payoffs. The tutor can replay backpropagation one edge at a time and show the
learner exactly which number was multiplied in ("upstream 6 x local 2 = 12"). And the
backward pass is a tight loop over floats, which is several times faster than calling a
Python closure per node.

:meth:`Value.backward` orders the graph with an explicit-stack depth-first search (no
recursion, so a chain a million operations deep is fine). Children are visited in tuple
order and nodes are de-duplicated by identity, so the order is the same on every run.

Gradient accumulation follows PyTorch: ``backward()`` *adds* into the ``grad`` of leaf
nodes, so calling it twice doubles them; call :meth:`Value.zero_grad` in between. Interior
(non-leaf) nodes are reset at the start of each ``backward()``, so after a call they hold
exactly that call's gradients (what a learner expects to see on the drawing).

``backward(create_graph=True)`` also stores each gradient as a graph of Values in
``node.grad_value`` (each op knows how to rebuild its local derivatives as Values from its
children and itself), so gradients can be differentiated again: second derivatives and
Hessian-vector products (see :mod:`tutor.engine.higher_order`). Forward-mode dual numbers
over the same ops live in :mod:`tutor.engine.forward_mode`.

Ops are binary except the unary ones, with one exception: :func:`dot` makes a single ``add``
node with one child per product (all local derivatives 1), a shallow graph for neurons.

Numeric edge cases, decided once here:

* ``log`` of x <= 0, division by zero, ``0 ** negative`` and a negative base with a
  non-integer exponent raise :class:`EngineDomainError` naming the op and the value.
* ``exp`` and ``**`` that overflow give ``inf`` (with the right sign) instead of raising;
  the infinity is visible in the value, so any gradient through it is visibly inf/nan,
  never silently wrong.
* ``relu`` has derivative 0 at exactly 0 (the usual convention).
* ``x ** n`` at x = 0 with 0 < n < 1 has derivative ``inf`` (the true one-sided limit);
  with ``create_graph=True`` that derivative cannot be built as a Value and raises
  EngineDomainError instead.
* ``a ** b`` with ``b`` a Value: the partial with respect to the exponent is
  ``a ** b * ln(a)``. For a < 0 (only reachable with an integer b) it is ``nan``, because
  ``a ** b`` is not defined for nearby non-integer b; for a == 0 it is 0 when b > 0
  (``0 ** b`` is constantly 0 there) and ``nan`` when b == 0.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Sequence

from tutor.engine.scalar_math import (
    EngineDomainError,
    checked_divide,
    checked_log,
    checked_power,
    overflowing_exp,
    power_base_derivative,
    power_exponent_derivative,
    stable_sigmoid,
)

__all__ = ["EngineDomainError", "Value", "dot"]


class Value:
    """A scalar in a computation graph, with its gradient and how it was computed.

    Build graphs with ordinary arithmetic (``+ - * / **``, unary ``-``) and the methods
    :meth:`relu`, :meth:`tanh`, :meth:`exp`, :meth:`log`, :meth:`sigmoid`. Plain numbers
    mixed in are wrapped as leaf Values (except a number exponent in ``x ** 3``, which is
    stored in :attr:`exponent` so the node keeps a single child).
    """

    __slots__ = ("data", "grad", "children", "op", "local_grads", "label", "exponent", "grad_value")

    def __init__(
        self,
        data: float,
        children: tuple[Value, ...] = (),
        op: str = "",
        local_grads: tuple[float, ...] = (),
        label: str = "",
    ) -> None:
        self.data = float(data)
        self.grad = 0.0
        self.children = children
        self.op = op
        self.local_grads = local_grads
        self.label = label
        self.exponent: float | None = None
        # Set by backward(create_graph=True): the gradient as a differentiable Value.
        self.grad_value: Value | None = None

    def __repr__(self) -> str:
        name = f"label={self.label!r}, " if self.label else ""
        return f"Value({name}data={self.data!r}, grad={self.grad!r})"

    @property
    def is_leaf(self) -> bool:
        return not self.children

    # ----------------------------------------------------------- binary operations

    def __add__(self, other: Value | float) -> Value:
        if type(other) is not Value:
            other = _as_value(other)
            if other is NotImplemented:
                return NotImplemented
        return Value(self.data + other.data, (self, other), "add", (1.0, 1.0))

    def __radd__(self, other: float) -> Value:
        other_value = _as_value(other)
        if other_value is NotImplemented:
            return NotImplemented
        return other_value.__add__(self)

    def __sub__(self, other: Value | float) -> Value:
        if type(other) is not Value:
            other = _as_value(other)
            if other is NotImplemented:
                return NotImplemented
        return Value(self.data - other.data, (self, other), "sub", (1.0, -1.0))

    def __rsub__(self, other: float) -> Value:
        other_value = _as_value(other)
        if other_value is NotImplemented:
            return NotImplemented
        return other_value.__sub__(self)

    def __mul__(self, other: Value | float) -> Value:
        if type(other) is not Value:
            other = _as_value(other)
            if other is NotImplemented:
                return NotImplemented
        return Value(self.data * other.data, (self, other), "mul", (other.data, self.data))

    def __rmul__(self, other: float) -> Value:
        other_value = _as_value(other)
        if other_value is NotImplemented:
            return NotImplemented
        return other_value.__mul__(self)

    def __truediv__(self, other: Value | float) -> Value:
        if type(other) is not Value:
            other = _as_value(other)
            if other is NotImplemented:
                return NotImplemented
        denominator = other.data
        quotient = checked_divide(self.data, denominator)
        # d(a/b)/db = -a/b^2, written as -(a/b)/b so a tiny b cannot underflow b*b to 0.
        return Value(quotient, (self, other), "div", (1.0 / denominator, -quotient / denominator))

    def __rtruediv__(self, other: float) -> Value:
        other_value = _as_value(other)
        if other_value is NotImplemented:
            return NotImplemented
        return other_value.__truediv__(self)

    def __pow__(self, other: Value | float) -> Value:
        base = self.data
        if type(other) is Value:
            exponent = other.data
            result = checked_power(base, exponent, "pow")
            return Value(
                result,
                (self, other),
                "pow",
                (
                    power_base_derivative(base, exponent),
                    power_exponent_derivative(base, exponent, result),
                ),
            )
        if not isinstance(other, numbers.Real):
            return NotImplemented
        exponent = float(other)
        result = checked_power(base, exponent, "pow")
        out = Value(result, (self,), "pow", (power_base_derivative(base, exponent),))
        out.exponent = exponent
        return out

    def __rpow__(self, other: float) -> Value:
        other_value = _as_value(other)
        if other_value is NotImplemented:
            return NotImplemented
        return other_value.__pow__(self)

    # ------------------------------------------------------------ unary operations

    def __neg__(self) -> Value:
        return Value(-self.data, (self,), "neg", (-1.0,))

    def relu(self) -> Value:
        x = self.data
        if x > 0.0:
            return Value(x, (self,), "relu", (1.0,))
        return Value(0.0, (self,), "relu", (0.0,))

    def tanh(self) -> Value:
        t = math.tanh(self.data)
        return Value(t, (self,), "tanh", (1.0 - t * t,))

    def exp(self) -> Value:
        e = overflowing_exp(self.data)
        return Value(e, (self,), "exp", (e,))

    def log(self) -> Value:
        x = self.data
        return Value(checked_log(x), (self,), "log", (1.0 / x,))

    def sigmoid(self) -> Value:
        s = stable_sigmoid(self.data)
        return Value(s, (self,), "sigmoid", (s * (1.0 - s),))

    # ---------------------------------------------------------------- backprop

    def topological_order(self) -> list[Value]:
        """Every node reachable from ``self``, each after all of its children.

        Depth-first with an explicit stack (no recursion limit), visiting children in tuple
        order and de-duplicating by identity, so the order is identical on every run.
        """
        order: list[Value] = []
        expanded: set[Value] = set()  # children already pushed (Value hashes by identity)
        emitted: set[Value] = set()
        # A node stays on the stack while its children are processed above it; when it
        # surfaces again, everything it depends on has been emitted, so it is emitted too.
        # A node can be pushed by several parents; the extra stack entries are skipped.
        stack: list[Value] = [self]
        while stack:
            node = stack[-1]
            if node in expanded:
                stack.pop()
                if node not in emitted:
                    emitted.add(node)
                    order.append(node)
                continue
            expanded.add(node)
            for child in reversed(node.children):
                if child not in expanded:
                    stack.append(child)
        return order

    def backward(self, create_graph: bool = False) -> None:
        """Fill in ``grad`` of every node reachable from ``self`` (d self / d node).

        Leaf gradients accumulate across calls (like PyTorch); interior gradients are
        recomputed from zero. ``self.grad`` is seeded with 1.

        With ``create_graph=True`` every reachable node additionally gets ``grad_value``: the
        same gradient built as a graph of Values from the forward nodes, so it can itself be
        backpropagated (second derivatives, Hessian-vector products). ``grad_value``
        accumulates on leaves and is replaced on interior nodes, exactly like ``grad``.
        """
        order = self.topological_order()
        for node in order:
            if node.children:
                node.grad = 0.0
        self.grad += 1.0
        for node in reversed(order):
            children = node.children
            if children:
                upstream = node.grad
                for child, local in zip(children, node.local_grads):
                    child.grad += upstream * local
        if create_graph:
            _backward_as_graph(self, order)

    def zero_grad(self) -> None:
        """Clear ``grad`` (to 0) and ``grad_value`` (to None) on every node reachable from ``self``."""
        for node in self.topological_order():
            node.grad = 0.0
            node.grad_value = None


# ------------------------------------------------------------ gradients as differentiable graphs
#
# The float backward pass multiplies by recorded numbers. To differentiate a gradient again we
# need each local derivative as a Value built from the forward nodes, so the same chain rule
# can run over it. Derivatives that are constants stay plain floats, which keeps the gradient
# graph small (adding 1 * upstream would only add nodes).


def _power_local_values(node: Value) -> tuple[Value | float, ...]:
    if node.exponent is not None:  # x ** n with a number n
        (base,) = node.children
        n = node.exponent
        return (0.0,) if n == 0.0 else (n * base ** (n - 1.0),)
    base, exponent = node.children
    base_partial = exponent * base ** (exponent - 1.0)
    if base.data > 0.0:
        exponent_partial: Value | float = node * base.log()
    else:  # same choice as the float pass: 0 for 0 ** b with b > 0, otherwise nan
        exponent_partial = node.local_grads[1]
    return (base_partial, exponent_partial)


def _division_local_values(node: Value) -> tuple[Value | float, ...]:
    _, denominator = node.children
    return (1.0 / denominator, -node / denominator)


# For each op: the node's local derivatives as Values (so they can be differentiated again) or plain floats.
_LOCAL_DERIVATIVE_VALUES: dict[str, Callable[[Value], Sequence[Value | float]]] = {
    "add": lambda node: node.local_grads,
    "sub": lambda node: node.local_grads,
    "neg": lambda node: node.local_grads,
    "relu": lambda node: node.local_grads,  # 0 or 1: locally constant
    "mul": lambda node: (node.children[1], node.children[0]),
    "div": _division_local_values,
    "pow": _power_local_values,
    "tanh": lambda node: (1.0 - node * node,),
    "exp": lambda node: (node,),
    "log": lambda node: (1.0 / node.children[0],),
    "sigmoid": lambda node: (node * (1.0 - node),),
}


def _sum_of_values(parts: list[Value]) -> Value:
    if len(parts) == 1:
        return parts[0]
    return Value(sum(part.data for part in parts), tuple(parts), "add", (1.0,) * len(parts))


def _backward_as_graph(root: Value, order: list[Value]) -> None:
    """Set ``grad_value`` on every node in ``order`` (the topological order of ``root``)."""
    contributions: dict[Value, list[Value]] = {root: [Value(1.0)]}
    for node in reversed(order):
        parts = contributions.pop(node, None)
        # No parts: every path from the root crosses a zero local derivative (relu off, x**0).
        upstream = _sum_of_values(parts) if parts else Value(0.0)
        if node.children:
            node.grad_value = upstream
        else:
            node.grad_value = upstream if node.grad_value is None else node.grad_value + upstream
        if not parts or not node.children:
            continue
        local_values = _LOCAL_DERIVATIVE_VALUES[node.op](node)
        for child, local in zip(node.children, local_values):
            if type(local) is float:
                if local == 0.0:
                    continue
                part = upstream if local == 1.0 else -upstream if local == -1.0 else upstream * local
            else:
                part = upstream * local
            contributions.setdefault(child, []).append(part)


def _as_value(number: object) -> Value:
    """Wrap a plain number as a leaf Value; NotImplemented for anything else."""
    kind = type(number)
    if kind is float or kind is int:  # the common case, checked before the slow ABC test
        return Value(number)  # type: ignore[arg-type]  # mypy does not narrow on `type(x) is float`
    if isinstance(number, Value):
        return number
    if isinstance(number, numbers.Real):
        return Value(float(number))
    return NotImplemented


def dot(xs: Iterable[Value | float], ws: Iterable[Value | float]) -> Value:
    """Sum of products ``xs[0]*ws[0] + xs[1]*ws[1] + ...`` as a shallow graph.

    Builds one ``mul`` node per pair and a single ``add`` node with all products as
    children (local derivatives all 1), instead of a left-leaning chain of binary adds.
    """
    xs = list(xs)
    ws = list(ws)
    if len(xs) != len(ws):
        raise ValueError(f"dot needs two sequences of equal length, got {len(xs)} and {len(ws)}")
    if not xs:
        raise ValueError("dot needs at least one pair of numbers")
    products = []
    for x, w in zip(xs, ws):
        x_value = x if type(x) is Value else _as_value(x)
        if x_value is NotImplemented:
            raise TypeError(f"dot: expected numbers or Values, got {x!r}")
        product = x_value.__mul__(w)
        if product is NotImplemented:
            raise TypeError(f"dot: expected numbers or Values, got {w!r}")
        products.append(product)
    if len(products) == 1:
        return products[0]
    total = sum(product.data for product in products)
    return Value(total, tuple(products), "add", (1.0,) * len(products))
