"""Gradients of gradients: second derivatives and Hessian-vector products with Value.

All of these run ``backward(create_graph=True)``, which records each gradient as a graph of
Values (``node.grad_value``), then backpropagate through that gradient graph. They reset the
``grad``/``grad_value`` fields of every node they touch, so call them on graphs whose
gradients you do not need to keep.
"""

from __future__ import annotations

from collections.abc import Sequence

from tutor.engine.value import Value, dot

__all__ = ["gradient", "hessian", "hessian_vector_product"]


def gradient(output: Value, inputs: Sequence[Value], create_graph: bool = False) -> list:
    """d output / d input for each input: floats, or differentiable Values if ``create_graph``.

    An input that ``output`` does not depend on gets 0 (as ``Value(0.0)`` with create_graph).
    """
    _clear(output, inputs)
    output.backward(create_graph=create_graph)
    if not create_graph:
        return [node.grad for node in inputs]
    return [node.grad_value if node.grad_value is not None else Value(0.0) for node in inputs]


def hessian_vector_product(output: Value, inputs: Sequence[Value], vector: Sequence[float]) -> list[float]:
    """H @ vector, where H is the matrix of second derivatives of ``output`` w.r.t. ``inputs``.

    Costs two backward passes whatever the number of inputs: differentiate once with
    create_graph, take the dot product of that gradient with ``vector`` and differentiate it.
    """
    if len(inputs) != len(vector):
        raise ValueError(f"need one vector entry per input, got {len(vector)} for {len(inputs)} inputs")
    first = gradient(output, inputs, create_graph=True)
    directional = dot(first, vector)
    return gradient(directional, inputs)


def hessian(output: Value, inputs: Sequence[Value]) -> list[list[float]]:
    """The full matrix of second derivatives, one backward pass per row."""
    first = gradient(output, inputs, create_graph=True)
    return [gradient(partial, inputs) for partial in first]


def _clear(output: Value, inputs: Sequence[Value]) -> None:
    output.zero_grad()
    for node in inputs:  # inputs the output does not reach must read 0, not a stale gradient
        node.grad = 0.0
        node.grad_value = None
