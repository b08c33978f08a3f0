"""Vanishing-gradient lab screen: per-layer gradient norms of a deep stack, on a log scale.

Every setting change recomputes the stack (a worker; 50 layers of 256 units take a moment) and
redraws the bars: the norm of d loss / d W_l for each layer l, input side on the left. For sigmoid
the bound 0.25^k on a product of k sigmoid slopes (k = layers between W_l and the output) is
drawn over them as a line.
"""

from __future__ import annotations

import math
import statistics
from typing import Any

from rich.text import Text

from tutor.labs.vanishing import VanishingLab, VanishingResult
from tutor.ui.lab_registry import register_lab_screen
from tutor.ui.labs.charts import bar_floor, log_y_axis, round_ticks, short_number, tick_label
from tutor.ui.labs.screen import ChartPage, LabScreen, legend


def log_or_floor(values: tuple[float, ...] | list[float], floor: float) -> list[float]:
    """log10 of each value; zeros (dead units) at ``floor``, overflow at the top of the finite ones."""
    finite_logs = [math.log10(value) for value in values if math.isfinite(value) and value > 0]
    top = max(finite_logs, default=0.0)
    logs = []
    for value in values:
        if math.isfinite(value) and value > 0:
            logs.append(math.log10(value))
        elif value > 0:  # +inf: an exploding gradient
            logs.append(top)
        else:
            logs.append(floor)
    return logs


class VanishingLabScreen(LabScreen):
    lab_name = "vanishing"
    SETTING_LABELS = {"init": "initialisation", "residual": "skip connections"}
    SETTING_STEPS = {"width": {"factor": 2.0}}

    def compose_charts(self) -> list[Any]:
        return [ChartPage("vanishing-bars")]

    def compute(self, settings: Any) -> VanishingResult:
        return VanishingLab(settings).result()

    def show(self, result: VanishingResult) -> None:
        self.last_result = result
        settings = result.settings
        norms = result.weight_gradient_norms
        sigmoid = settings.activation == "sigmoid"
        positives = [value for value in norms if math.isfinite(value) and value > 0]
        if sigmoid:
            positives += list(result.derivative_bounds)
        lowest = math.log10(min(positives)) if positives else -1.0
        floor = bar_floor(lowest)
        layers = list(range(1, settings.depth + 1))
        series = [("norm", "cyan")]
        if sigmoid:
            series.append(("0.25^k", "red"))
        plot, plt = self.begin_chart("vanishing-bars", legend("‖dL/dW‖ per layer, log scale", *series))
        plt.xlabel("layer")
        plt.bar(layers, log_or_floor(norms, floor), minimum=floor, color="cyan", width=0.8)
        highest = max(log_or_floor(norms, floor))
        if sigmoid:
            bound_logs = [math.log10(bound) for bound in result.derivative_bounds]
            plt.plot(layers, bound_logs, color="red", marker="braille")
            highest = max(highest, max(bound_logs))
        log_y_axis(plt, floor, highest)
        layer_ticks = layers if len(layers) <= 16 else [1] + [tick for tick in round_ticks(1, len(layers), most=10)
                                                               if tick > 1]
        plt.xticks(layer_ticks, [tick_label(tick) for tick in layer_ticks])
        plot.refresh()
        self.query_one("#lab-readout").update(readout(result, show_bound=not self.question_open(BOUND_QUESTION)))
        self.update_status()

    def status_text(self) -> str:
        return ""


BOUND_QUESTION = "vanishing.sigmoid-bound"


def readout(result: VanishingResult, *, show_bound: bool = True) -> Text:
    """The first and last layers' norms and the typical factor per layer; for sigmoid the bound
    0.25^depth, written out only with ``show_bound`` (a question asks for it)."""
    settings = result.settings
    text = Text()
    text.append("layer 1 ", style="bold")
    text.append(f"‖dL/dW₁‖ = {short_number(result.first_layer_gradient)}")
    text.append(f"  ·  layer {settings.depth}: {short_number(result.weight_gradient_norms[-1])}")
    factors = [factor for factor in result.shrink_factors() if math.isfinite(factor) and factor > 0]
    if factors:
        typical = statistics.median(factors)
        direction = f"shrinks ×{short_number(typical)}" if typical >= 1 else f"grows ×{short_number(1 / typical)}"
        text.append(f"  ·  going back one layer the gradient typically {direction}")
    text.append("\n")
    if settings.activation == "sigmoid" and show_bound:
        text.append(f"0.25^{settings.depth} = {short_number(result.sigmoid_bound)}", style="bold")
        text.append(f": the most {settings.depth} sigmoid slopes in a row can multiply to. The red line is 0.25^k, "
                    "k = the sigmoids between a layer and the loss")
    elif settings.activation == "sigmoid":
        text.append("The red line is the most the sigmoid slopes between a layer and the loss can multiply to")
    else:
        text.append(f"{settings.activation}'s slope can reach 1, so the activation alone need not shrink the gradient")
    if any(value == 0 for value in result.weight_gradient_norms):
        text.append("  ·  some layers' gradients are exactly 0 (dead units), drawn at the bottom", style="yellow")
    return text


@register_lab_screen("vanishing")
def open_vanishing_lab(problem: Any) -> VanishingLabScreen:
    return VanishingLabScreen(getattr(problem, "settings", None), problem=problem)


SCREEN = VanishingLabScreen
