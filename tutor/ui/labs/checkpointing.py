"""Checkpointing lab screen: memory held against recomputation for every checkpoint spacing k.

Left chart: the most activations alive at once for k = 1..n; right chart: the extra layer
evaluations recomputation costs. A diamond marks the learner's k. The readout gives the chosen
plan's numbers and whether its gradients equal plain backprop's. Which k is best (and the sqrt(n)
line beside it) is shown once the question asking for it is settled: before that the learner finds
it on the curve. The lab opens at k = 1 (keep everything), so no question's count is on screen
before the learner moves k.
"""

from __future__ import annotations

import math
from typing import Any

from rich.text import Text

from tutor.labs.checkpointing import CheckpointingLab, CheckpointPlan, optimal_keep_every_values
from tutor.ui.lab_registry import register_lab_screen
from tutor.ui.labs.charts import round_ticks, tick_label
from tutor.ui.labs.screen import ChartPage, LabScreen, legend


class CheckpointingLabScreen(LabScreen):
    lab_name = "checkpointing"
    SETTING_LABELS = {"layers": "layers (n)", "keep_every": "k: keep every k-th", "width": "units per layer"}

    def compose_charts(self) -> list[Any]:
        return [ChartPage("checkpoint-memory"), ChartPage("checkpoint-compute")]

    def compute(self, settings: Any) -> tuple[CheckpointPlan, tuple[CheckpointPlan, ...], tuple[int, ...]]:
        lab = CheckpointingLab(settings)
        return lab.plan(), lab.sweep(), optimal_keep_every_values(settings.layers)

    def show(self, data: tuple[CheckpointPlan, tuple[CheckpointPlan, ...], tuple[int, ...]]) -> None:
        plan, sweep, best = data
        self.last_plan = plan
        show_best = not self.question_open(BEST_K_QUESTION)
        ks = [entry.keep_every for entry in sweep]
        self._draw("checkpoint-memory", "peak activations", ks,
                   [entry.peak_activations for entry in sweep], plan, plan.peak_activations, show_best)
        self._draw("checkpoint-compute", "extra evaluations", ks,
                   [entry.recomputed_evaluations for entry in sweep], plan, plan.recomputed_evaluations, show_best)
        self.query_one("#lab-readout").update(readout(plan, best if show_best else None))
        self.update_status()

    def _draw(self, plot_id: str, title: str, ks: list[int], values: list[int], plan: CheckpointPlan,
              chosen_value: int, show_root: bool) -> None:
        root = math.sqrt(plan.layers)
        series = [("your k", "yellow")] + ([(f"√n = {root:.1f}", "red")] if show_root else [])
        plot, plt = self.begin_chart(plot_id, legend(title, *series))
        plt.xlabel("k: keep every k-th activation (log scale)")
        # k runs from 1 to n and the interesting part is near sqrt(n): a log axis spreads it out.
        plt.plot([math.log10(k) for k in ks], values, marker="braille", color="cyan")
        if show_root:
            plt.vertical_line(math.log10(root), color="red")
        plt.scatter([math.log10(plan.keep_every)], [chosen_value], marker="◆", color="yellow")
        k_ticks = [tick for tick in K_TICKS if tick <= max(ks)]
        plt.xticks([math.log10(tick) for tick in k_ticks], [str(tick) for tick in k_ticks])
        top = max(values + [1])
        plt.ylim(0, top)  # every tick inside the frame: plotext draws outside ones over the x labels
        y_ticks = [tick for tick in round_ticks(0, top) if tick <= top]
        plt.yticks(y_ticks, [tick_label(tick) for tick in y_ticks])
        plot.refresh()


K_TICKS = (1, 2, 5, 10, 20, 50, 100, 200, 400)
BEST_K_QUESTION = "checkpointing.best-k"


def readout(plan: CheckpointPlan, best: tuple[int, ...] | None) -> Text:
    """The chosen plan's numbers; ``best`` (the k with the fewest activations) once it may be shown."""
    text = Text()
    text.append(f"k = {plan.keep_every}: ", style="bold")
    text.append(f"{len(plan.checkpoints)} checkpoints, peak {plan.peak_activations} activations "
                f"(keeping all: {plan.layers + 1}), {plan.recomputed_evaluations} extra layer evaluations "
                f"({plan.total_evaluations} in all, plain backprop {plan.forward_evaluations})")
    text.append("\n")
    if best is not None:
        best_text = f"{best[0]}" if len(best) == 1 else f"{best[0]}–{best[-1]}"
        text.append(f"fewest activations at k = {best_text} (√{plan.layers} = {math.sqrt(plan.layers):.1f})")
    else:
        text.append("which k holds the fewest? find the bottom of the left curve", style="dim")
    if plan.gradients_match is not None:
        text.append("  ·  ")
        if plan.gradients_match:
            text.append("gradients identical to plain backprop ✓", style="green")
        else:
            text.append("gradients differ from plain backprop ✗", style="red")
    return text


@register_lab_screen("checkpointing")
def open_checkpointing_lab(problem: Any) -> CheckpointingLabScreen:
    return CheckpointingLabScreen(getattr(problem, "settings", None), problem=problem)


SCREEN = CheckpointingLabScreen
