"""backward(create_graph=True), second derivatives, Hessians and Hessian-vector products."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tutor.engine import EngineDomainError, Value
from tutor.engine.higher_order import gradient, hessian, hessian_vector_product

moderate = st.floats(-2, 2, allow_nan=False)


@given(moderate)
def test_second_derivative_of_cube(x):
    node = Value(x)
    (first,) = gradient(node**3, [node], create_graph=True)
    assert first.data == pytest.approx(3 * x * x)
    (second,) = gradient(first, [node])
    assert second == pytest.approx(6 * x)


@given(moderate)
def test_every_derivative_of_exp_is_exp(x):
    node = Value(x)
    derivative = node.exp()
    for _ in range(4):
        (derivative,) = gradient(derivative, [node], create_graph=True)
        assert derivative.data == pytest.approx(math.exp(x))


@settings(max_examples=60)
@given(moderate, moderate)
def test_grad_value_has_the_same_numbers_as_grad(a, b):
    x, y = Value(a), Value(b)
    out = ((x * y).tanh() + (x - y).sigmoid() / (y * y + 1) + x.relu()) ** 2
    out.backward(create_graph=True)
    for node in out.topological_order():
        assert node.grad_value is not None
        assert node.grad_value.data == pytest.approx(node.grad, rel=1e-12, abs=1e-15)


def test_grad_value_accumulates_on_leaves_and_is_replaced_on_interior_nodes():
    x = Value(1.5)
    square = x * x
    out = square.exp()
    out.backward(create_graph=True)
    first_leaf, first_interior = x.grad_value.data, square.grad_value.data
    out.backward(create_graph=True)
    assert x.grad_value.data == pytest.approx(2 * first_leaf)
    assert square.grad_value.data == first_interior
    out.zero_grad()
    assert x.grad_value is None and x.grad == 0.0


def test_relu_that_is_off_gives_a_zero_gradient_value():
    x = Value(-1.0)
    out = x.relu() * 3
    out.backward(create_graph=True)
    assert x.grad_value.data == 0.0
    assert x.grad_value.is_leaf


def test_unreached_input_gets_zero():
    x, unused = Value(2.0), Value(5.0)
    assert gradient(x * x, [x, unused]) == [4.0, 0.0]
    assert [g.data for g in gradient(x * x, [x, unused], create_graph=True)] == [4.0, 0.0]


def test_negative_base_exponent_partial_stays_nan_in_the_gradient_graph():
    base, exponent = Value(-2.0), Value(2.0)
    out = base**exponent
    out.backward(create_graph=True)
    assert base.grad_value.data == -4.0
    assert math.isnan(exponent.grad_value.data)


def _example(x, y, z, exp=Value.exp, tanh=Value.tanh, log=Value.log):
    """One formula, evaluated with Value methods or (for the exact answer) sympy functions."""
    return (x * exp(y) + tanh(y * z) * x * x) / (z * z + 1) + log(x + 2)


def _exact_hessian(a, b, c):
    import sympy

    x, y, z = sympy.symbols("x y z", real=True)
    expression = _example(x, y, z, exp=sympy.exp, tanh=sympy.tanh, log=sympy.log)
    variables = (x, y, z)
    point = {x: a, y: b, z: c}
    return [[float(sympy.diff(expression, u, v).evalf(subs=point)) for v in variables] for u in variables]


def test_hessian_matches_sympy_and_is_symmetric():
    point = (0.7, -0.4, 1.3)
    inputs = [Value(v) for v in point]
    matrix = hessian(_example(*inputs), inputs)
    exact = _exact_hessian(*point)
    for row, exact_row in zip(matrix, exact):
        assert row == pytest.approx(exact_row, rel=1e-9, abs=1e-12)
    for i in range(3):
        for j in range(3):
            assert matrix[i][j] == pytest.approx(matrix[j][i], rel=1e-12, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(0.1, 1.5), min_size=3, max_size=3),
    st.lists(st.floats(-2, 2, allow_nan=False), min_size=3, max_size=3),
)
def test_hessian_vector_product_equals_hessian_times_vector(point, vector):
    inputs = [Value(v) for v in point]
    product = hessian_vector_product(_example(*inputs), inputs, vector)
    inputs = [Value(v) for v in point]
    matrix = hessian(_example(*inputs), inputs)
    expected = [sum(entry * v for entry, v in zip(row, vector)) for row in matrix]
    assert product == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_hessian_vector_product_needs_matching_lengths():
    x = Value(1.0)
    with pytest.raises(ValueError, match="one vector entry per input"):
        hessian_vector_product(x * x, [x], [1.0, 2.0])


def test_infinite_derivative_cannot_become_a_gradient_graph():
    x = Value(0.0)
    with pytest.raises(EngineDomainError, match="pow"):
        (x**0.5).backward(create_graph=True)
    assert x.grad == math.inf  # the float pass has already run and reports the true limit
