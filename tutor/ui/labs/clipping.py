"""Clipping lab screen: an exploding gradient clipped by value or by global norm.

Left chart: the size of every entry before and after clipping (log scale). Right chart: the
direction, each vector divided by its own norm: identical bars mean the direction was kept. The
readout gives the selected method's numbers; the other method's line joins it once the lab's
questions are settled (before that it would print their answers beside them: the learner switches
the method and measures).
"""

from __future__ import annotations

import math
from typing import Any

from rich.text import Text

from tutor.labs.clipping import ClippingLab, ClipResult
from tutor.ui.lab_registry import register_lab_screen
from tutor.ui.labs.charts import bar_floor, log_y_axis, round_ticks, short_number, tick_label
from tutor.ui.labs.screen import ChartPage, LabScreen, legend

METHOD_NAMES = {"value": "by value", "norm": "by norm"}


class ClippingLabScreen(LabScreen):
    lab_name = "clipping"
    SETTING_LABELS = {"method": "clip", "threshold": "threshold"}
    SETTING_STEPS = {"growth": {"step": 0.5}, "dimension": {"step": 1}, "threshold": {"factor": 2.0}}

    def compose_charts(self) -> list[Any]:
        return [ChartPage("clipping-sizes"), ChartPage("clipping-direction")]

    def compute(self, settings: Any) -> tuple[Any, dict[str, ClipResult]]:
        lab = ClippingLab(settings)
        return settings, lab.compare()

    def show(self, data: tuple[Any, dict[str, ClipResult]]) -> None:
        settings, results = data
        chosen = results[settings.method]
        self.last_result = chosen
        self._draw_sizes(chosen)
        self._draw_direction(chosen)
        compare = not self.question_open(*QUESTION_IDS)
        self.query_one("#lab-readout").update(readout(settings, results, compare=compare))
        self.update_status()

    def _draw_sizes(self, result: ClipResult) -> None:
        plot, plt = self.begin_chart("clipping-sizes", legend("|entry|, log scale", ("before", "grey50"),
                                                              (f"clipped {METHOD_NAMES[result.method]}", "cyan")))
        plt.xlabel("entry (layer)")
        before = [abs(value) for value in result.original]
        after = [abs(value) for value in result.clipped]
        usable = [value for value in before + after if value > 0 and math.isfinite(value)]
        floor = bar_floor(math.log10(min(usable))) if usable else -1.0
        logs_before = [math.log10(value) if value > 0 else floor for value in before]
        logs_after = [math.log10(value) if value > 0 else floor for value in after]
        entries = list(range(1, len(before) + 1))
        plt.multiple_bar(entries, [logs_before, logs_after], color=["gray", "cyan"], minimum=floor)
        log_y_axis(plt, floor, max(logs_before + logs_after))
        self._entry_ticks(plt, len(entries))
        plot.refresh()

    def _draw_direction(self, result: ClipResult) -> None:
        plot, plt = self.begin_chart("clipping-direction", legend(
            f"direction g/‖g‖ (cosine {result.cosine:.4f})", ("before", "grey50"), ("after", "cyan")))
        plt.xlabel("entry (layer)")
        entries = list(range(1, len(result.original) + 1))
        plt.multiple_bar(entries, [unit(result.original), unit(result.clipped)], color=["gray", "cyan"])
        plt.ylim(-1, 1)
        plt.yticks([-1, -0.5, 0, 0.5, 1], ["-1", "-0.5", "0", "0.5", "1"])
        self._entry_ticks(plt, len(entries))
        plot.refresh()

    @staticmethod
    def _entry_ticks(plt: Any, count: int) -> None:
        ticks = list(range(1, count + 1)) if count <= 12 else [tick for tick in round_ticks(1, count) if tick >= 1]
        plt.xticks(ticks, [tick_label(tick) for tick in ticks])


def unit(vector: tuple[float, ...]) -> list[float]:
    norm = math.sqrt(math.fsum(value * value for value in vector))
    return [value / norm for value in vector] if norm > 0 else [0.0 for _ in vector]


QUESTION_IDS = ("clipping.keeps-direction", "clipping.value-clipped-norm", "clipping.value-clipped-cosine")


def readout(settings: Any, results: dict[str, ClipResult], *, compare: bool = True) -> Text:
    """The selected method's line (bold); with ``compare`` the other method's too, at the same threshold."""
    text = Text()
    order = sorted(results, key=lambda method: method != settings.method)
    if not compare:
        order = order[:1]
    for line, method in enumerate(order):
        result = results[method]
        if line:
            text.append("\n")
        chosen = method == settings.method
        text.append(("▸ " if chosen else "  ") + f"{METHOD_NAMES[method]}: ", style="bold" if chosen else "dim")
        text.append(f"‖g‖ {short_number(result.norm_before, 4)} → {short_number(result.norm_after, 4)} · "
                    f"cosine {result.cosine:.6f} ({result.angle_degrees:.1f}°) · "
                    f"{result.entries_changed}/{len(result.original)} entries changed · ",
                    style="" if chosen else "dim")
        text.append("same direction" if result.keeps_direction else "turned",
                    style="green" if result.keeps_direction else "yellow")
    if not compare:
        others = ", ".join(METHOD_NAMES[method] for method in results if method != settings.method)
        text.append(f"\n  {others}: switch 'clip' to measure it", style="dim")
    return text


@register_lab_screen("clipping")
def open_clipping_lab(problem: Any) -> ClippingLabScreen:
    return ClippingLabScreen(getattr(problem, "settings", None), problem=problem)


SCREEN = ClippingLabScreen
