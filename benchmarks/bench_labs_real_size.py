"""The labs at the reference module's sizes: how long a recompute takes, and what each run finds.

* gradient-flow: one recompute (forward, backward and the three statistics per parameter) of
  784-256-128-10 on a batch of 32 with cross-entropy, uncached, for several settings;
* nan-hunt: a full run of the module's loop (10-50-50-1, batches of 32, 100 epochs) for each set
  of fixes, with where the first NaN/inf appears.

torch columns (CPU, float64, one thread) print only when torch is importable; it is not a
dependency. Run from the repository root:  python benchmarks/bench_labs_real_size.py
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tutor.labs.gradient_flow import PATTERN_SETTINGS, GradientFlowSettings, gradient_flow  # noqa: E402
from tutor.labs.nan_hunt import ALL_FIXES, FIX_IDS, NanHuntSettings, run_configuration  # noqa: E402

try:
    import torch
except ImportError:  # not a project dependency
    torch = None


def times(runs: int, work: Callable[[], object]) -> tuple[float, float]:
    """(best, median) seconds over ``runs`` calls."""
    measured = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        measured.append(time.perf_counter() - start)
    return min(measured), statistics.median(measured)


def torch_gradient_flow(extra_layers: int, activation: str) -> Callable[[], object]:
    torch.manual_seed(0)
    torch.set_num_threads(1)
    sizes = [784, 256, 128] + [128] * extra_layers + [10]
    layers: list = []
    for index, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:])):
        layers.append(torch.nn.Linear(fan_in, fan_out))
        if index < len(sizes) - 2:
            layers.append(torch.nn.ReLU() if activation == "relu" else torch.nn.Sigmoid())
    model = torch.nn.Sequential(*layers).double()
    x, y = torch.randn(32, 784, dtype=torch.float64), torch.randint(0, 10, (32,))

    def work() -> object:
        model.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        return [(p.grad.abs().mean().item(), p.grad.std().item(), p.grad.abs().max().item()) for p in model.parameters()]

    return work


def torch_nan_hunt() -> Callable[[], object]:
    torch.manual_seed(42)
    torch.set_num_threads(1)
    model = torch.nn.Sequential(torch.nn.Linear(10, 50), torch.nn.ReLU(), torch.nn.Linear(50, 50), torch.nn.ReLU(),
                                torch.nn.Linear(50, 1)).double()
    optimiser = torch.optim.SGD(model.parameters(), lr=0.01)

    def work() -> object:
        for _ in range(100):
            x, y = torch.randn(32, 10, dtype=torch.float64), torch.randn(32, 1, dtype=torch.float64)
            optimiser.zero_grad()
            loss = torch.nn.functional.mse_loss(model(x), y)
            loss.backward()
            optimiser.step()
        return loss.item()

    return work


def gradient_flow_section() -> None:
    print("gradient-flow: one uncached recompute (best / median of 20)" + ("; torch CPU alongside" if torch else ""))
    cases: list[tuple[str, dict]] = [
        ("as written (ReLU, 784-256-128-10)", {}),
        ("sigmoid", {"activation": "sigmoid"}),
        ("ReLU + 8 extra layers", {"extra_layers": 8}),
        ("sigmoid + 8 extra + batch-norm", {"activation": "sigmoid", "extra_layers": 8, "batch_norm": True}),
    ] + [(f"pattern {name}: {changes}", changes) for name, changes in PATTERN_SETTINGS.items()]
    gradient_flow(GradientFlowSettings())  # warm up numpy
    for label, changes in cases:
        settings = GradientFlowSettings(**changes)
        best, median = times(20, lambda settings=settings: gradient_flow(settings))
        result = gradient_flow(settings)
        line = f"  {label:<70} {best * 1000:6.1f} / {median * 1000:6.1f} ms  pattern {result.pattern()}"
        if torch is not None and not changes.keys() - {"activation", "extra_layers"}:
            theirs, _ = times(20, torch_gradient_flow(changes.get("extra_layers", 0), changes.get("activation", "relu")))
            line += f"  torch {theirs * 1000:6.1f} ms ({best / theirs:.2f}x)"
        print(line)


def nan_hunt_section() -> None:
    print("nan-hunt, the module's loop 10-50-50-1, batch 32, 100 epochs, fresh batches (entropy seed 1 without the "
          "seed fix): best / median of 5")
    cases = [("all five fixes", ALL_FIXES), ("as written, seeded", frozenset({"seed"})), ("no fixes", frozenset())]
    cases += [(f"all but {fix_id}", ALL_FIXES - {fix_id}) for fix_id in FIX_IDS]
    for data in ("fresh", "fixed"):
        print(f"  data: {data}")
        for label, fixes in cases:
            settings = NanHuntSettings.with_fixes(fixes, data=data)
            best, median = times(5, lambda settings=settings: run_configuration(settings, lambda: 1))
            run = run_configuration(settings, lambda: 1)
            if run.failure is not None:
                outcome = f"first NaN/inf epoch {run.failure.step}, {run.failure.where}"
            else:
                trend = "falls every epoch" if run.finite_and_decreasing else "finite, not falling every epoch"
                outcome = f"{trend}, loss {run.loss_history[0]:.3g} -> {run.loss_history[-1]:.3g}"
            print(f"    {label:<20} {best * 1000:6.1f} / {median * 1000:6.1f} ms  {outcome}")
    if torch is not None:
        theirs, _ = times(5, torch_nan_hunt())
        ours, _ = times(5, lambda: run_configuration(NanHuntSettings.with_fixes(ALL_FIXES), lambda: 1))
        print(f"  all five fixes, torch CPU: {theirs * 1000:.1f} ms (tutor {ours / theirs:.2f}x)")


def main() -> int:
    gradient_flow_section()
    nan_hunt_section()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
