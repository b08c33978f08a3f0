"""Gradient-flow lab screen (Exercise 5): the module's three bar charts of a network's gradients.

One bar per parameter (the weight matrices by default, every parameter with ``parameters: all``),
the input side on the left: mean |grad|, the standard deviation of grad and max |grad|, each on a
log axis. Every setting change recomputes one forward and backward pass of the 784-256-128-10
network (plus any extra layers) in a worker, a few milliseconds; the readout names the row of the
module's table of patterns the bars show, and the first-to-output ratio, once the questions that ask
for them are settled (before that the learner reads the bars and the two numbers and decides).
"""

from __future__ import annotations

import math
from typing import Any

from rich.text import Text

from tutor.labs.gradient_flow import PATTERN_ACTIONS, GradientFlowLab, GradientFlowResult, ParameterStats
from tutor.ui.lab_registry import register_lab_screen
from tutor.ui.labs.charts import bar_floor, log_y_axis, short_number
from tutor.ui.labs.screen import ChartPage, LabScreen
from tutor.ui.labs.vanishing import log_or_floor

CHARTS = (
    ("flow-mean", "mean |grad|", "mean_abs", "cyan"),
    ("flow-std", "std of grad", "std", "magenta"),
    ("flow-max", "max |grad|", "max_abs", "yellow"),
)
KIND_MARKS = {"weight": "", "bias": "b", "bn-gamma": "γ", "bn-beta": "β"}
MAX_LABELLED_BARS = 12


def bar_label(stats: ParameterStats, weights_only: bool) -> str:
    return str(stats.layer) if weights_only else f"{stats.layer}{KIND_MARKS[stats.kind] or 'W'}"


def thinned_ticks(count: int, every: int = 5) -> list[int]:
    """Bar indices to label when there are too many: the first, every fifth and the last, none
    closer than three bars to the last (plotext drops one of two colliding labels, and which one
    changed from run to run)."""
    last = count - 1
    keep = [index for index in range(count) if index == 0 or ((index + 1) % every == 0 and last - index >= 3)]
    return keep + [last]


class GradientFlowLabScreen(LabScreen):
    lab_name = "gradient-flow"
    SETTING_LABELS = {
        "extra_layers": "extra layers",
        "batch_norm": "batch-norm",
        "weight_scale": "weight scale",
        "bias_shift": "hidden bias shift",
    }
    SETTING_STEPS = {"weight_scale": {"factor": 2.0}, "bias_shift": {"step": 0.25}}

    def __init__(self, settings: Any = None, **kwargs: Any) -> None:
        super().__init__(settings, **kwargs)
        self.last_result: GradientFlowResult | None = None

    def compose_charts(self) -> list[Any]:
        return [ChartPage(plot_id) for plot_id, _, _, _ in CHARTS]

    def compute(self, settings: Any) -> GradientFlowResult:
        return GradientFlowLab(settings).result()

    def show(self, result: GradientFlowResult) -> None:
        self.last_result = result
        shown = result.shown
        weights_only = result.settings.parameters == "weights"
        labels = [bar_label(stats, weights_only) for stats in shown]
        positions = list(range(1, len(shown) + 1))
        for plot_id, title, field, colour in CHARTS:
            values = [getattr(stats, field) for stats in shown]
            finite = [value for value in values if math.isfinite(value) and value > 0]
            floor = bar_floor(math.log10(min(finite))) if finite else -1.0
            logs = log_or_floor(values, floor)
            broken = sum(not math.isfinite(value) for value in values)
            caption = Text(title + " · log", style="bold")
            if broken:
                caption.append(f"  {broken} not finite (drawn at the bottom)", style="red")
            plot, plt = self.begin_chart(plot_id, caption)
            plt.bar(positions, logs, minimum=floor, color=colour, width=0.8)
            log_y_axis(plt, floor, max(max(logs), floor + 1.0))
            plt.xlim(0.4, len(positions) + 0.6)  # pinned: plotext's own margin moved the last tick between runs
            if len(positions) <= MAX_LABELLED_BARS:
                plt.xticks(positions, labels)
            else:
                keep = thinned_ticks(len(positions))
                plt.xticks([positions[index] for index in keep], [labels[index] for index in keep])
            plt.xlabel("layer (input side left)")
            plot.refresh()
        self.query_one("#lab-readout").update(readout(
            result, name_pattern=not self.question_open(*PATTERN_QUESTIONS),
            show_ratio=not self.question_open(*RATIO_QUESTIONS)))
        self.update_status()

    def status_text(self) -> str:
        if self.last_result is None:
            return ""
        sizes = "-".join(str(size) for size in (784, *self.last_result.hidden_widths, 10))
        if len(self.last_result.hidden_widths) > 4:
            sizes = f"784-256-128-(128 ×{len(self.last_result.hidden_widths) - 2})-10"
        return f"{sizes}\nbatch 32, cross-entropy"


PATTERN_NAMES = {"healthy": "none, healthy", "vanishing": "vanishing gradients", "exploding": "exploding gradients",
                 "dead": "dead neurons", "nan": "NaN gradients"}
PATTERN_STYLES = {"healthy": "green", "vanishing": "yellow", "exploding": "red", "dead": "yellow", "nan": "bold red"}


# Questions whose answer a readout line would state: it waits until they are settled.
PATTERN_QUESTIONS = tuple(f"gradient-flow.pattern-{pattern}" for pattern in ("vanishing", "exploding", "dead", "nan"))
RATIO_QUESTIONS = ("gradient-flow.similar-across-layers", "gradient-flow.sigmoid-ratio")


def readout(result: GradientFlowResult, *, name_pattern: bool = True, show_ratio: bool = True) -> Text:
    """The pattern the bars show (with ``name_pattern``), the first and output layers' mean |grad|
    (their ratio with ``show_ratio``), the loss and any dead units."""
    patterns = result.patterns()
    text = Text()
    if name_pattern:
        text.append("pattern: " if len(patterns) == 1 else "patterns: ", style="bold")
        for index, pattern in enumerate(patterns):
            if index:
                text.append(" + ")
            text.append(PATTERN_NAMES[pattern], style=PATTERN_STYLES[pattern])
        text.append("  →  " + "; ".join(PATTERN_ACTIONS[pattern] for pattern in patterns) + "\n", style="dim")
    else:
        text.append("pattern: ", style="bold")
        text.append("name it yourself (shown here once answered)\n", style="dim")
    weights = result.weights
    text.append(f"mean |grad|: layer 1 {short_number(weights[0].mean_abs)}, output {short_number(weights[-1].mean_abs)}")
    ratio = result.first_to_last
    if math.isfinite(ratio) and show_ratio:
        text.append(f" (×{short_number(ratio)})")
    text.append(f"  ·  loss {short_number(result.loss, 4)}")
    dead = [f"{count}/{width}" for count, width in zip(result.dead_units, result.hidden_widths)]
    if any(result.dead_units):
        text.append("\ndead units (0 for every example) per hidden layer: " + " ".join(dead), style="yellow")
    return text


@register_lab_screen("gradient-flow")
def open_gradient_flow_lab(problem: Any) -> GradientFlowLabScreen:
    return GradientFlowLabScreen(getattr(problem, "settings", None), problem=problem)


SCREEN = GradientFlowLabScreen
