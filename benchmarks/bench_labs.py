"""Print the labs' measured numbers and how long each takes to compute.

Run from the repository root:  python benchmarks/bench_labs.py
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tutor.labs import LAB_NAMES, create_lab  # noqa: E402
from tutor.labs.checkpointing import optimal_keep_every_values, simulate, sweep  # noqa: E402
from tutor.labs.clipping import ClippingLab  # noqa: E402
from tutor.labs.gradcheck import TARGETS, GradcheckSettings, epsilon_sweep, gradient_check  # noqa: E402
from tutor.labs.nan_hunt import ALL_FIXES, FIX_IDS, NanHuntSettings, run_configuration  # noqa: E402
from tutor.labs.vanishing import VanishingSettings, depth_where_first_layer_gradient_falls_below, gradient_norms  # noqa: E402
from tutor.labs.xor import XorLab  # noqa: E402


def timed(function, *args):
    start = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - start


def xor_section() -> None:
    print("XOR 2-4-1 tanh, lr 0.5, 1000 epochs: final loss per seed 0-9 (summed over the 4 samples)")
    for reduction, mode in (("mean", "full-batch"), ("sum", "full-batch"), ("sum", "per-sample")):
        losses, seconds = [], 0.0
        for seed in range(10):
            lab = XorLab({"reduction": reduction, "update_mode": mode, "seed": seed})
            _, elapsed = timed(lab.step, 1000)
            seconds += elapsed
            losses.append(lab.current_loss() * (4 if reduction == "mean" else 1))
        print(f"  {reduction:>4} {mode:<10} {seconds / 10 * 1000:6.0f} ms/run  " + " ".join(f"{loss:.3g}" for loss in losses))


def vanishing_section() -> None:
    print("vanishing (width 16, seed 0): min shrink factor at depth 10; depth where layer 1's gradient < 1e-6")
    for init in ("naive", "xavier", "he"):
        for activation in ("sigmoid", "tanh", "relu"):
            settings = VanishingSettings(init=init, activation=activation)
            factors = gradient_norms(settings).shrink_factors()
            depth = depth_where_first_layer_gradient_falls_below(1e-6, settings)
            print(f"  {init:<6} {activation:<8} min shrink {min(factors):8.3g}  depth<1e-6: {depth}")
    gradient_norms(VanishingSettings(depth=50, width=256, seed=1))  # warm up numpy's BLAS threads
    _, seconds = timed(gradient_norms, VanishingSettings(depth=50, width=256))
    print(f"  one 50-layer, 256-wide result (uncached): {seconds * 1000:.1f} ms")


def gradcheck_section() -> None:
    print("gradcheck (seed 0, eps 1e-5): max relative error correct / with the planted bug")
    for target in TARGETS:
        correct = gradient_check(GradcheckSettings(target=target)).max_relative_error
        buggy = gradient_check(GradcheckSettings(target=target, plant_bug=True)).max_relative_error
        print(f"  {target:<8} {correct:9.2e} / {buggy:9.3g}")
    sweep_values = epsilon_sweep(GradcheckSettings(target="tanh"))
    print("  tanh sweep: " + " ".join(f"{eps:.0e}:{error:.0e}" for eps, error in sweep_values))


def clipping_section() -> None:
    for method, result in ClippingLab().compare().items():
        print(f"clipping default vector by {method}: norm {result.norm_before:.4g} -> {result.norm_after:.4g}, "
              f"cosine {result.cosine:.17g}, angle {result.angle_degrees:.2f} deg")


def nan_hunt_section() -> None:
    print("nan-hunt (seed 42 where the seed fix is on, entropy seed 1 otherwise), 100 steps:")
    for label, fixes in [("all fixes", ALL_FIXES), ("no fixes", frozenset())] + [
        (f"all but {fix_id}", ALL_FIXES - {fix_id}) for fix_id in FIX_IDS
    ]:
        run, seconds = timed(run_configuration, NanHuntSettings.with_fixes(fixes), lambda: 1)
        outcome = run.failure.describe() if run.failure else (
            f"finite, {'falling every step' if run.finite_and_decreasing else 'not falling every step'}, "
            f"loss {run.loss_history[0]:.4g} -> {run.loss_history[-1]:.4g}")
        print(f"  {label:<22} {seconds * 1000:5.0f} ms  {outcome[:110]}")


def checkpointing_section() -> None:
    print("checkpointing: n, sqrt(n), optimal k plateau, peak at optimum vs keeping all, recomputed at optimum")
    for layers in (16, 100, 400):
        optimal = optimal_keep_every_values(layers)
        plans = sweep(layers)
        _, seconds = timed(lambda: [simulate(layers, k) for k in range(1, layers + 1)])
        best = plans[optimal[0] - 1]
        print(f"  n={layers:<4} sqrt={math.sqrt(layers):5.2f} k in {optimal[0]}..{optimal[-1]}  peak {best.peak_activations} "
              f"vs {plans[0].peak_activations}  recomputed {best.recomputed_evaluations}  (uncached sweep {seconds * 1000:.0f} ms)")


def questions_section() -> None:
    print("first questions() call per lab (cached afterwards):")
    for name in LAB_NAMES:
        questions, seconds = timed(create_lab(name).questions)
        print(f"  {name:<14} {seconds:6.2f} s  " + ", ".join(f"{q.id.split('.')[1]}={q.expected}" for q in questions))


def main() -> int:
    xor_section()
    vanishing_section()
    gradcheck_section()
    clipping_section()
    nan_hunt_section()
    checkpointing_section()
    questions_section()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
