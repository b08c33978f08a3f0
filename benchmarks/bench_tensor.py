"""Speed of tutor.engine.tensor next to torch CPU (torch columns only when torch is importable).

Run: /work/venv/bin/python benchmarks/bench_tensor.py
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from tutor.engine.tensor import Tensor, cross_entropy, mse, sgd_step, zero_grad

try:
    import torch
except ImportError:  # torch is not a project dependency
    torch = None


def best_of(runs: int, work: Callable[[], None]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def ours_784() -> Callable[[], None]:
    rng = np.random.default_rng(0)
    sizes = [784, 256, 128, 10]
    params = [(Tensor(rng.normal(size=(n, m)) * np.sqrt(2 / n)), Tensor(np.zeros((1, m)))) for n, m in zip(sizes, sizes[1:])]
    x, classes = rng.normal(size=(32, 784)), rng.integers(0, 10, size=32)

    def step() -> None:
        a = Tensor(x)
        for index, (w, b) in enumerate(params):
            a = a @ w + b
            if index < len(params) - 1:
                a = a.relu()
        cross_entropy(a, classes).backward()

    return step


def ours_nan_hunt() -> Callable[[], None]:
    rng = np.random.default_rng(0)
    sizes = [10, 50, 50, 1]
    params = [(Tensor(rng.normal(size=(n, m)) * 0.1), Tensor(np.zeros((1, m)))) for n, m in zip(sizes, sizes[1:])]
    flat = [p for pair in params for p in pair]

    def run() -> None:
        for _ in range(100):
            x, y = rng.normal(size=(32, 10)), rng.normal(size=(32, 1))
            a = Tensor(x)
            for index, (w, b) in enumerate(params):
                a = a @ w + b
                if index < len(params) - 1:
                    a = a.relu()
            zero_grad(flat)
            mse(a, y).backward()
            sgd_step(flat, 0.01)

    return run


def torch_784() -> Callable[[], None]:
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10)
    ).double()
    x, classes = torch.randn(32, 784, dtype=torch.float64), torch.randint(0, 10, (32,))

    def step() -> None:
        net.zero_grad()
        torch.nn.functional.cross_entropy(net(x), classes).backward()

    return step


def torch_nan_hunt() -> Callable[[], None]:
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(10, 50), torch.nn.ReLU(), torch.nn.Linear(50, 50), torch.nn.ReLU(), torch.nn.Linear(50, 1)
    ).double()
    optimiser = torch.optim.SGD(net.parameters(), lr=0.01)

    def run() -> None:
        for _ in range(100):
            x, y = torch.randn(32, 10, dtype=torch.float64), torch.randn(32, 1, dtype=torch.float64)
            optimiser.zero_grad()
            torch.nn.functional.mse_loss(net(x), y).backward()
            optimiser.step()

    return run


def main() -> None:
    rows = [
        ("784-256-128-10, batch 32, forward+backward", ours_784, torch_784 if torch else None, 50),
        ("NaN-hunt loop 10-50-50-1, batch 32, 100 epochs", ours_nan_hunt, torch_nan_hunt if torch else None, 5),
    ]
    header = f"{'case':50} {'tensor.py':>12} {'torch CPU':>12} {'ratio':>7}"
    print(header)
    for name, ours, theirs, runs in rows:
        ours_time = best_of(runs, ours())
        if theirs is None:
            print(f"{name:50} {ours_time * 1000:10.2f}ms {'-':>12} {'-':>7}")
        else:
            torch.set_num_threads(1)
            their_time = best_of(runs, theirs())
            print(f"{name:50} {ours_time * 1000:10.2f}ms {their_time * 1000:10.2f}ms {ours_time / their_time:6.2f}x")


if __name__ == "__main__":
    main()
