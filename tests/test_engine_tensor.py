"""The tensor engine against the scalar engine, against itself (central differences), and shapes."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tutor.engine.tensor import Tensor, batch_norm, cross_entropy, mse, sgd_step, zero_grad
from tutor.engine.value import Value

ACTIVATIONS = ("relu", "tanh", "sigmoid")


def scalar_mlp_loss(x, weights, biases, activation, loss, target, classes):
    """The same network with Values, one example and one entry at a time."""
    grid_w = [[[Value(v) for v in row] for row in w] for w in weights]
    grid_b = [[Value(v) for v in b[0]] for b in biases]
    total = Value(0.0)
    batch = x.shape[0]
    for r in range(batch):
        a = [Value(v) for v in x[r]]
        for layer, (w, b) in enumerate(zip(grid_w, grid_b)):
            z = [sum((a[i] * w[i][j] for i in range(len(a))), b[j]) for j in range(len(b))]
            a = z if layer == len(grid_w) - 1 else [getattr(zj, activation)() for zj in z]
        if loss == "mse":
            for j, out in enumerate(a):
                total = total + (out - target[r][j]) ** 2 * (1.0 / target.size)
        else:
            top = max(v.data for v in a)
            lse = sum(((v - top).exp() for v in a), Value(0.0)).log() + top
            total = total + (lse - a[classes[r]]) * (1.0 / batch)
    total.backward()
    return total, grid_w, grid_b


@settings(max_examples=25, deadline=None)
@given(
    widths=st.lists(st.integers(1, 16), min_size=3, max_size=5),
    batch=st.integers(1, 8),
    activation=st.sampled_from(ACTIVATIONS),
    loss=st.sampled_from(("mse", "cross_entropy")),
    seed=st.integers(0, 2**32 - 1),
)
def test_random_mlps_agree_with_the_scalar_engine(widths, batch, activation, loss, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch, widths[0]))
    weights = [rng.normal(size=(n, m)) / np.sqrt(n) for n, m in zip(widths, widths[1:])]
    biases = [rng.normal(size=(1, m)) for m in widths[1:]]
    target = rng.normal(size=(batch, widths[-1]))
    classes = rng.integers(0, widths[-1], size=batch)

    params_w = [Tensor(w) for w in weights]
    params_b = [Tensor(b) for b in biases]
    a = Tensor(x)
    for layer, (w, b) in enumerate(zip(params_w, params_b)):
        a = a @ w + b
        if layer < len(params_w) - 1:
            a = getattr(a, activation)()
    out = mse(a, target) if loss == "mse" else cross_entropy(a, classes)
    out.backward()

    scalar, grid_w, grid_b = scalar_mlp_loss(x, weights, biases, activation, loss, target, classes)
    assert abs(out.data - scalar.data) <= 1e-12 * max(1.0, abs(scalar.data))
    for tensor_w, value_w in zip(params_w, grid_w):
        expected = np.array([[v.grad for v in row] for row in value_w])
        np.testing.assert_allclose(tensor_w.grad, expected, rtol=1e-10, atol=1e-12)
    for tensor_b, value_b in zip(params_b, grid_b):
        expected = np.array([[v.grad for v in value_b]])
        np.testing.assert_allclose(tensor_b.grad, expected, rtol=1e-10, atol=1e-12)


shapes = st.sampled_from([((3, 4), (4,)), ((3, 4), (1, 4)), ((3, 4), (3, 1)), ((3, 4), ()), ((2, 1), (1, 5))])


@settings(max_examples=40, deadline=None)
@given(pair=shapes, op=st.sampled_from(("add", "sub", "mul", "div")), seed=st.integers(0, 1000))
def test_broadcast_gradients_have_their_operands_shape(pair, op, seed):
    rng = np.random.default_rng(seed)
    a = Tensor(rng.uniform(0.5, 2.0, size=pair[0]))
    b = Tensor(rng.uniform(0.5, 2.0, size=pair[1]))
    result = {"add": a + b, "sub": a - b, "mul": a * b, "div": a / b}[op]
    result.sum().backward()
    assert a.grad.shape == a.shape
    assert b.grad.shape == b.shape
    check_central_difference(lambda u, v: {"add": u + v, "sub": u - v, "mul": u * v, "div": u / v}[op], [a.data, b.data])


def check_central_difference(build, arrays, h=1e-6):
    leaves = [Tensor(array.copy()) for array in arrays]
    build(*leaves).sum().backward()
    for index, array in enumerate(arrays):
        numeric = np.zeros_like(array)
        for position in np.ndindex(array.shape):
            up = [arr.copy() for arr in arrays]
            down = [arr.copy() for arr in arrays]
            up[index][position] += h
            down[index][position] -= h
            numeric[position] = (
                build(*[Tensor(u) for u in up]).sum().data - build(*[Tensor(d) for d in down]).sum().data
            ) / (2 * h)
        np.testing.assert_allclose(leaves[index].grad, numeric, rtol=1e-5, atol=1e-6)


UNARY = {
    "neg": lambda t: -t,
    "relu": lambda t: t.relu(),
    "tanh": lambda t: t.tanh(),
    "sigmoid": lambda t: t.sigmoid(),
    "exp": lambda t: t.exp(),
    "log": lambda t: (t * t + 1.0).log(),
    "pow": lambda t: (t * t + 1.0) ** 1.5,
    "sum0": lambda t: t.sum(axis=0) * np.arange(1.0, 4.0),
    "mean1": lambda t: t.mean(axis=1) ** 2,
    "T": lambda t: t.T @ Tensor(np.ones((2, 1))),
    "reshape": lambda t: t.reshape(3, 2) * np.arange(6.0).reshape(3, 2),
    "batch_norm": lambda t: batch_norm(t) * np.arange(1.0, 4.0),
    "mse": lambda t: mse(t, np.ones((2, 3))),
    "cross_entropy": lambda t: cross_entropy(t, [0, 2]),
}


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(sorted(UNARY)), seed=st.integers(0, 1000))
def test_each_op_matches_central_differences(name, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(2, 3))
    x[np.abs(x) < 1e-3] = 0.5  # keep relu away from its kink
    check_central_difference(UNARY[name], [x])


def test_matmul_matches_central_differences():
    rng = np.random.default_rng(0)
    check_central_difference(lambda a, b: a @ b, [rng.normal(size=(2, 3)), rng.normal(size=(3, 4))])


def test_backward_accumulates_on_leaves_like_value_and_zero_grad_clears():
    w = Tensor(np.array([[2.0]]))
    loss = (w * w).sum()
    loss.backward()
    loss.backward()
    assert w.grad[0, 0] == 8.0
    zero_grad([w])
    assert w.grad[0, 0] == 0.0


def test_sgd_step_moves_against_the_gradient():
    w = Tensor(np.array([1.0, -1.0]))
    (w * w).sum().backward()
    sgd_step([w], 0.25)
    np.testing.assert_allclose(w.data, [0.5, -0.5])


def test_backward_refuses_a_non_scalar():
    try:
        Tensor(np.ones(3)).backward()
    except ValueError as error:
        assert "scalar" in str(error)
    else:
        raise AssertionError("expected ValueError")


def test_agrees_with_torch_when_installed():
    import pytest

    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x, w, b = rng.normal(size=(5, 4)), rng.normal(size=(4, 3)), rng.normal(size=(3,))
    classes = [0, 2, 1, 1, 0]
    tw, tb = Tensor(w), Tensor(b)
    cross_entropy((Tensor(x) @ tw + tb).tanh(), classes).backward()
    pw = torch.tensor(w, requires_grad=True)
    pb = torch.tensor(b, requires_grad=True)
    torch.nn.functional.cross_entropy(torch.tanh(torch.tensor(x) @ pw + pb), torch.tensor(classes)).backward()
    np.testing.assert_allclose(tw.grad, pw.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(tb.grad, pb.grad.numpy(), atol=1e-12)
