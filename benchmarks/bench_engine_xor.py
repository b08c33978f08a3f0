"""Train the module's XOR network with tutor.engine and with micrograd, and compare speed.

Network 2-4-1 with tanh on both layers, weights uniform in [-1, 1] from a seeded generator,
zero biases, full-batch mean squared error over the four XOR samples, plain gradient
descent with learning rate 0.5 for 1000 epochs. Both engines start from the same weights
and run the very same training code, so their final losses must agree closely.

micrograd 0.1.0 has no tanh, so one is patched onto ``micrograd.engine.Value`` here.

Run from the repository root:  python benchmarks/bench_engine_xor.py [--epochs N]
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tutor.engine import Value, dot  # noqa: E402

XOR_DATA = [((0.0, 0.0), 0.0), ((0.0, 1.0), 1.0), ((1.0, 0.0), 1.0), ((1.0, 1.0), 0.0)]
LEARNING_RATE = 0.5
HIDDEN_UNITS = 4


def initial_weights(seed: int) -> tuple[list[list[float]], list[float]]:
    """Hidden weights (4 rows of 2) then output weights (4), drawn in the module's order."""
    rng = random.Random(seed)
    hidden = [[rng.uniform(-1, 1) for _ in range(2)] for _ in range(HIDDEN_UNITS)]
    output = [rng.uniform(-1, 1) for _ in range(HIDDEN_UNITS)]
    return hidden, output


def patch_micrograd_tanh(micrograd_value: type) -> None:
    """Give micrograd's Value a tanh written in micrograd's own closure style."""

    def tanh(self):
        t = math.tanh(self.data)
        out = micrograd_value(t, (self,), "tanh")

        def _backward():
            self.grad += (1 - t * t) * out.grad

        out._backward = _backward
        return out

    micrograd_value.tanh = tanh


def train_xor(value_class: type, epochs: int, seed: int, use_dot: bool = False) -> tuple[float, float]:
    """Return (final loss, seconds). Generic over the Value class, so both engines share it."""
    hidden_init, output_init = initial_weights(seed)
    hidden_weights = [[value_class(w) for w in row] for row in hidden_init]
    hidden_biases = [value_class(0.0) for _ in range(HIDDEN_UNITS)]
    output_weights = [value_class(w) for w in output_init]
    output_bias = value_class(0.0)
    params = [w for row in hidden_weights for w in row] + hidden_biases + output_weights + [output_bias]

    def forward(x1: float, x2: float):
        inputs = [value_class(x1), value_class(x2)]
        if use_dot:
            hidden = [(dot(inputs, row) + bias).tanh() for row, bias in zip(hidden_weights, hidden_biases)]
            return (dot(output_weights, hidden) + output_bias).tanh()
        hidden = []
        for row, bias in zip(hidden_weights, hidden_biases):
            hidden.append((row[0] * inputs[0] + row[1] * inputs[1] + bias).tanh())
        out = output_weights[0] * hidden[0]
        for weight, activation in zip(output_weights[1:], hidden[1:]):
            out = out + weight * activation
        return (out + output_bias).tanh()

    loss_value = math.nan
    start = time.perf_counter()
    for _ in range(epochs):
        total = None
        for (x1, x2), target in XOR_DATA:
            error = forward(x1, x2) - value_class(target)
            squared = error**2
            total = squared if total is None else total + squared
        loss = total / len(XOR_DATA)
        for p in params:
            p.grad = 0.0
        loss.backward()
        for p in params:
            p.data -= LEARNING_RATE * p.grad
        loss_value = loss.data
    seconds = time.perf_counter() - start
    # Loss after the last update, so it reflects the trained weights.
    final = sum((forward(x1, x2).data - target) ** 2 for (x1, x2), target in XOR_DATA) / len(XOR_DATA)
    del loss_value
    return final, seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeats", type=int, default=3, help="best of N timings per engine")
    args = parser.parse_args()

    rows: list[tuple[str, float, float]] = []

    def run(name: str, value_class: type, use_dot: bool = False) -> None:
        best_seconds, loss = math.inf, math.nan
        for _ in range(args.repeats):
            loss, seconds = train_xor(value_class, args.epochs, args.seed, use_dot)
            best_seconds = min(best_seconds, seconds)
        rows.append((name, best_seconds, loss))

    run("tutor.engine", Value)
    run("tutor.engine + dot()", Value, use_dot=True)
    try:
        from micrograd.engine import Value as MicrogradValue
    except ImportError:
        print("micrograd is not installed (pip install micrograd==0.1.0); skipping comparison")
        MicrogradValue = None
    if MicrogradValue is not None:
        patch_micrograd_tanh(MicrogradValue)
        run("micrograd 0.1.0", MicrogradValue)

    print(f"XOR 2-4-1 tanh, {args.epochs} epochs, full-batch MSE, lr {LEARNING_RATE}, "
          f"seed {args.seed}, best of {args.repeats}")
    print(f"{'engine':<22} {'seconds':>9} {'ms/epoch':>9} {'final loss':>22} {'speed-up':>9}")
    reference_seconds = rows[-1][1] if MicrogradValue is not None else None
    for name, seconds, loss in rows:
        speedup = f"{reference_seconds / seconds:8.2f}x" if reference_seconds else "      n/a"
        print(f"{name:<22} {seconds:9.3f} {1000 * seconds / args.epochs:9.3f} {loss:22.17g} {speedup:>9}")
    if MicrogradValue is not None:
        ours, theirs = rows[0][2], rows[-1][2]
        print(f"final-loss difference tutor.engine vs micrograd: {abs(ours - theirs):.3g}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
