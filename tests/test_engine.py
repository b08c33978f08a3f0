"""The scalar autograd engine: worked examples, graph structure, backprop semantics, errors."""

from __future__ import annotations

import gc
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tutor.engine import EngineDomainError, Value, dot

# ------------------------------------------------------------ worked examples from the module


def test_squared_affine_expression_matches_hand_computation():
    a, b, c = Value(2.0, label="a"), Value(3.0, label="b"), Value(1.0, label="c")
    loss = (a * b + c) ** 2
    loss.backward()
    assert loss.data == 49.0
    # dL/da = 2(ab+c) * b etc.
    assert (a.grad, b.grad, c.grad) == (42.0, 28.0, 14.0)


def test_cubed_affine_expression_gradient():
    x = Value(1.0)
    y = (2 * x + 1) ** 3
    y.backward()
    assert y.data == 27.0
    assert x.grad == 54.0  # 3(2x+1)^2 * 2


def test_tanh_neuron_gradients_follow_chain_rule():
    x, w, b = Value(1.0), Value(0.5), Value(0.1)
    out = (x * w + b).tanh()
    out.backward()
    t = math.tanh(0.6)
    assert out.data == pytest.approx(t)
    assert w.grad == pytest.approx((1 - t * t) * 1.0)
    assert x.grad == pytest.approx((1 - t * t) * 0.5)
    assert b.grad == pytest.approx(1 - t * t)


def test_log_gradient_is_reciprocal():
    x = Value(2.0)
    y = x.log()
    y.backward()
    assert y.data == pytest.approx(math.log(2.0))
    assert x.grad == 0.5


def test_sigmoid_at_zero():
    x = Value(0.0)
    y = x.sigmoid()
    y.backward()
    assert y.data == 0.5
    assert x.grad == 0.25


def test_variable_used_on_two_paths_sums_both_contributions():
    x = Value(3.0)
    y = x * 2 + x.exp()  # two paths from x to y
    y.backward()
    assert x.grad == pytest.approx(2 + math.exp(3.0))


@given(st.floats(-1e3, 1e3, allow_nan=False))
def test_square_by_self_multiplication_has_two_edges_and_gradient_2x(number):
    x = Value(number)
    y = x * x
    assert y.children == (x, x)
    y.backward()
    assert x.grad == 2 * number


# ------------------------------------------------------------------------- graph structure


def test_binary_ops_record_op_children_and_local_gradients():
    a, b = Value(6.0), Value(3.0)
    cases = {
        "add": (a + b, (1.0, 1.0)),
        "sub": (a - b, (1.0, -1.0)),
        "mul": (a * b, (3.0, 6.0)),
        "div": (a / b, (1 / 3, -6 / 9)),
    }
    for op, (node, locals_expected) in cases.items():
        assert node.op == op
        assert node.children == (a, b)
        assert node.local_grads == pytest.approx(locals_expected)


def test_unary_ops_record_op_names():
    x = Value(0.3)
    for op in ("relu", "tanh", "exp", "log", "sigmoid"):
        node = getattr(x, op)()
        assert node.op == op
        assert node.children == (x,)
        assert len(node.local_grads) == 1
    assert (-x).op == "neg"
    assert (-x).local_grads == (-1.0,)


def test_leaf_defaults():
    leaf = Value(4, label="w")
    assert isinstance(leaf.data, float)
    assert (leaf.grad, leaf.children, leaf.op, leaf.local_grads, leaf.label) == (0.0, (), "", (), "w")
    assert leaf.is_leaf
    assert "w" in repr(leaf)


def test_number_exponent_keeps_a_single_child():
    x = Value(3.0)
    y = x**2
    assert (y.op, y.children, y.exponent, y.local_grads) == ("pow", (x,), 2.0, (6.0,))


def test_value_exponent_has_both_partials():
    a, b = Value(2.0), Value(3.0)
    y = a**b
    assert y.children == (a, b)
    assert y.data == 8.0
    assert y.local_grads == pytest.approx((3 * 4.0, 8.0 * math.log(2.0)))


def test_reflected_operations_wrap_the_number_as_a_leaf_in_the_right_slot():
    v = Value(4.0)
    for node, op, value in (
        (2 * v, "mul", 8.0),
        (2 + v, "add", 6.0),
        (1 - v, "sub", -3.0),
        (1 / v, "div", 0.25),
        (2**v, "pow", 16.0),
    ):
        assert node.op == op
        assert node.data == value
        constant, variable = node.children
        assert variable is v
        assert constant.is_leaf and constant.op == ""
    v.grad = 0.0
    (1 - v).backward()
    assert v.grad == -1.0
    v.grad = 0.0
    (1 / v).backward()
    assert v.grad == -1 / 16
    v.grad = 0.0
    (2**v).backward()
    assert v.grad == pytest.approx(16 * math.log(2))


def test_mixing_in_unsupported_types_raises_type_error():
    with pytest.raises(TypeError):
        Value(1.0) + "2"
    with pytest.raises(TypeError):
        "2" * Value(1.0)
    with pytest.raises(TypeError):
        Value(1.0) ** "2"


def test_other_real_number_types_are_accepted():
    from fractions import Fraction

    y = Value(1.0) + Fraction(1, 2)
    assert y.data == 1.5


def test_dot_builds_products_under_one_sum_node():
    xs = [Value(1.0), Value(2.0), Value(3.0)]
    ws = [Value(4.0), Value(5.0), 6.0]
    total = dot(xs, ws)
    assert total.data == 32.0
    assert total.op == "add"
    assert len(total.children) == 3
    assert all(child.op == "mul" for child in total.children)
    total.backward()
    assert [x.grad for x in xs] == [4.0, 5.0, 6.0]
    assert [w.grad for w in ws[:2]] == [1.0, 2.0]


def test_dot_of_one_pair_is_just_the_product():
    x, w = Value(2.0), Value(5.0)
    assert dot([x], [w]).op == "mul"


def test_dot_rejects_bad_input():
    with pytest.raises(ValueError, match="equal length"):
        dot([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="at least one"):
        dot([], [])
    with pytest.raises(TypeError, match="dot"):
        dot(["a"], [1.0])


# ------------------------------------------------------------------------ backprop semantics


def _recursive_topological_order(root: Value) -> list[Value]:
    """Plain recursive DFS post-order, the textbook definition the engine must match."""
    order, seen = [], set()

    def visit(node):
        if id(node) in seen:
            return
        seen.add(id(node))
        for child in node.children:
            visit(child)
        order.append(node)

    visit(root)
    return order


@st.composite
def random_dags(draw):
    """A graph where new nodes reuse earlier ones at random, so subgraphs are shared."""
    pool = [Value(draw(st.floats(0.5, 2.0)), label=f"x{i}") for i in range(draw(st.integers(1, 4)))]
    for _ in range(draw(st.integers(1, 25))):
        left = pool[draw(st.integers(0, len(pool) - 1))]
        right = pool[draw(st.integers(0, len(pool) - 1))]
        kind = draw(st.sampled_from(["add", "mul", "sub", "tanh", "neg", "dot"]))
        if kind == "add":
            pool.append(left + right)
        elif kind == "mul":
            pool.append(left * right)
        elif kind == "sub":
            pool.append(left - right)
        elif kind == "tanh":
            pool.append(left.tanh())
        elif kind == "neg":
            pool.append(-left)
        else:
            pool.append(dot([left, right, left], [right, left, 0.5]))
    return pool[-1]


@given(random_dags())
@settings(max_examples=150)
def test_topological_order_is_the_depth_first_post_order(root):
    order = root.topological_order()
    assert order == _recursive_topological_order(root)
    assert len({id(node) for node in order}) == len(order)
    position = {id(node): index for index, node in enumerate(order)}
    for node in order:
        for child in node.children:
            assert position[id(child)] < position[id(node)]
    assert order[-1] is root


def test_topological_order_is_the_same_for_identically_built_graphs():
    def build():
        a, b = Value(1.0, label="a"), Value(2.0, label="b")
        shared = a * b
        return ((shared + a).tanh() * shared - b / a).sigmoid()

    def signature(root):
        return [(node.op, node.label, node.data) for node in root.topological_order()]

    assert signature(build()) == signature(build())


def test_backward_accumulates_into_leaves_and_recomputes_interior_nodes():
    a, b = Value(2.0), Value(-3.0)
    product = a * b
    out = product.tanh()
    out.backward()
    first = (a.grad, b.grad, product.grad, out.grad)
    out.backward()
    assert a.grad == 2 * first[0]
    assert b.grad == 2 * first[1]
    # Interior nodes show this call's gradients, not a running total.
    assert (product.grad, out.grad) == first[2:]


def test_zero_grad_clears_every_reachable_node():
    a, b = Value(2.0), Value(-3.0)
    out = (a * b + a).exp()
    out.backward()
    assert a.grad != 0.0
    out.zero_grad()
    assert all(node.grad == 0.0 for node in out.topological_order())
    out.backward()
    fresh_a = Value(2.0)
    fresh_out = (fresh_a * Value(-3.0) + fresh_a).exp()
    fresh_out.backward()
    assert a.grad == fresh_a.grad


def test_backward_of_a_leaf_seeds_one():
    x = Value(5.0)
    x.backward()
    assert x.grad == 1.0


def test_million_operation_chain_backpropagates_without_recursion_error():
    depth = 1_000_000
    start = Value(0.5)
    node = start
    gc_was_enabled = gc.isenabled()
    gc.disable()  # the collector rescans the growing chain over and over; not what we test
    try:
        for step in range(depth):
            node = -node if step % 2 else node * 1.0
        node.backward()
        assert start.grad == 1.0  # (-1)^(depth/2) with depth/2 even
        assert len(node.topological_order()) == depth + 1 + depth // 2
        del node
    finally:
        if gc_was_enabled:
            gc.enable()


# ------------------------------------------------------------------------- numeric edge cases


def test_log_of_non_positive_raises_domain_error_naming_the_value():
    with pytest.raises(EngineDomainError, match=r"log is only defined for positive numbers, got -2$"):
        Value(-2.0).log()
    with pytest.raises(EngineDomainError, match="got 0"):
        Value(0.0).log()
    with pytest.raises(EngineDomainError, match="got nan"):
        Value(math.nan).log()


def test_domain_error_is_a_value_error():
    assert issubclass(EngineDomainError, ValueError)


def test_division_by_zero_raises_domain_error():
    with pytest.raises(EngineDomainError, match=r"div: division by zero.*divide 3 by 0"):
        Value(3.0) / 0
    with pytest.raises(EngineDomainError, match="div"):
        1 / Value(0.0)


def test_negative_base_with_fractional_exponent_raises():
    with pytest.raises(EngineDomainError, match=r"pow: a negative base \(-8\).*non-integer power 0.5"):
        Value(-8.0) ** 0.5
    with pytest.raises(EngineDomainError, match="pow"):
        Value(-8.0) ** Value(1 / 3)


def test_zero_to_a_negative_power_raises():
    with pytest.raises(EngineDomainError, match="0 cannot be raised to the negative power -1"):
        Value(0.0) ** -1
    with pytest.raises(EngineDomainError, match="pow"):
        0 ** Value(-2.0)


def test_negative_base_with_integer_exponent_is_fine():
    x = Value(-2.0)
    y = x**3
    y.backward()
    assert (y.data, x.grad) == (-8.0, 12.0)


def test_exponent_partial_is_nan_for_negative_base_and_zero_for_zero_base():
    base, exponent = Value(-2.0), Value(2.0)
    y = base**exponent
    y.backward()
    assert y.data == 4.0
    assert base.grad == -4.0
    assert math.isnan(exponent.grad)
    zero_base, positive = Value(0.0), Value(2.5)
    (zero_base**positive).backward()
    assert positive.grad == 0.0


def test_power_derivative_at_zero_base():
    x = Value(0.0)
    (x**0.5).backward()
    assert x.grad == math.inf
    x = Value(0.0)
    (x**3).backward()
    assert x.grad == 0.0
    x = Value(0.0)
    (x**0).backward()
    assert x.grad == 0.0


def test_overflow_gives_infinity_not_an_exception():
    x = Value(1000.0)
    y = x.exp()
    y.backward()
    assert y.data == math.inf
    assert x.grad == math.inf
    assert (Value(10.0) ** 400).data == math.inf
    assert (Value(-10.0) ** 401).data == -math.inf


@pytest.mark.parametrize("x", [-1000.0, -745.5, -50.0, 50.0, 745.5, 1000.0, 1e308])
def test_sigmoid_is_stable_for_large_magnitudes(x):
    node = Value(x)
    y = node.sigmoid()
    y.backward()
    assert 0.0 <= y.data <= 1.0
    assert math.isfinite(node.grad) and node.grad >= 0.0
    expected = 1.0 if x > 0 else 0.0
    assert y.data == pytest.approx(expected, abs=1e-15)


def test_relu_derivative_is_zero_at_the_kink():
    x = Value(0.0)
    x.relu().backward()
    assert x.grad == 0.0
