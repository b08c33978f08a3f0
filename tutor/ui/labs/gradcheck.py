"""Gradient-check lab screen: the engine's gradient against central differences.

Left chart: the relative error against epsilon on log-log axes, the U the two error sources make
(truncation on the right, rounding on the left), with the chosen epsilon marked. Right page: the
per-input comparison. The "plant a bug" switch corrupts one local derivative; the curve then sits
far above 1e-2 whatever epsilon is.
"""

from __future__ import annotations

import math
from typing import Any

from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from tutor.labs.gradcheck import AGREEMENT_THRESHOLD, WRONG_THRESHOLD, GradcheckLab, GradcheckResult
from tutor.ui.lab_registry import register_lab_screen
from tutor.ui.labs.charts import decade_label, log_y_axis, short_number
from tutor.ui.labs.screen import ChartPage, LabScreen, legend

# A relative error of exactly 0 (the two gradients agree to the last bit) is drawn here.
ZERO_ERROR_LOG = -17.0
VERDICT_STYLES = {"agree": ("✓ the gradients agree", "green"), "imprecise": ("~ close, but not to 1e-6", "yellow"),
                  "wrong": ("✗ the analytic gradient is wrong", "bold red")}


def error_log(value: float) -> float:
    if not math.isfinite(value):
        return 1.0
    return math.log10(value) if value > 0 else ZERO_ERROR_LOG


class GradcheckLabScreen(LabScreen):
    DEFAULT_CSS = """
    GradcheckLabScreen #gradcheck-curve-page { width: 4fr; }
    GradcheckLabScreen #gradcheck-table { width: 3fr; padding: 0 1; }
    """

    lab_name = "gradcheck"
    SETTING_LABELS = {"target": "function checked", "plant_bug": "plant a bug"}
    SETTING_STEPS = {"epsilon": {"factor": 10.0}}

    def compose_charts(self) -> list[Any]:
        return [ChartPage("gradcheck-curve"),
                VerticalScroll(Static("", id="gradcheck-comparisons"), id="gradcheck-table", classes="lab-page")]

    def compute(self, settings: Any) -> tuple[GradcheckResult, tuple[tuple[float, float], ...]]:
        lab = GradcheckLab(settings)
        return lab.result(), lab.sweep()

    def show(self, data: tuple[GradcheckResult, tuple[tuple[float, float], ...]]) -> None:
        result, sweep = data
        self.last_result = result
        self._draw_curve(result, sweep)
        self.query_one("#gradcheck-comparisons", Static).update(comparison_table(result))
        self.query_one("#lab-readout", Static).update(readout(result))
        self.update_status()

    def _draw_curve(self, result: GradcheckResult, sweep: tuple[tuple[float, float], ...]) -> None:
        plot, plt = self.begin_chart("gradcheck-curve", legend(
            "relative error vs epsilon (log-log)", ("your epsilon", "yellow"), ("1e-6 agree", "green"),
            ("1e-2 wrong", "red")))
        plt.xlabel("epsilon")
        xs = [math.log10(epsilon) for epsilon, _ in sweep]
        ys = [error_log(error) for _, error in sweep]
        plt.plot(xs, ys, marker="braille", color="cyan")
        chosen_x = math.log10(result.settings.epsilon)
        chosen_y = error_log(result.max_relative_error)
        plt.scatter([chosen_x], [chosen_y], marker="◆", color="yellow")
        plt.horizontal_line(math.log10(WRONG_THRESHOLD), color="red")
        plt.horizontal_line(math.log10(AGREEMENT_THRESHOLD), color="green")
        low, high = min(ys + [chosen_y, -7.0]), max(ys + [chosen_y, -1.0])
        log_y_axis(plt, low, high, most=7)
        x_low, x_high = math.floor(min(xs + [chosen_x])), math.ceil(max(xs + [chosen_x]))
        plt.xlim(x_low, x_high)
        # Labels well apart: plotext nudges crowded tick labels, and not always the same way.
        x_exponents = list(range(x_high, x_low - 1, -3))[::-1]
        plt.xticks([float(exponent) for exponent in x_exponents], [decade_label(exponent) for exponent in x_exponents])
        plot.refresh()


def comparison_table(result: GradcheckResult) -> Table:
    table = Table(box=None, padding=(0, 1), pad_edge=False, show_edge=False, header_style="bold dim",
                  title=result.formula, title_justify="left", title_style="bold")
    for column in ("", "analytic", "numeric", "rel. err"):
        table.add_column(column, justify="right", no_wrap=True)
    for row in result.comparisons:
        style = "red" if row.relative_error >= WRONG_THRESHOLD else ("yellow" if row.relative_error >= AGREEMENT_THRESHOLD
                                                                      else "")
        table.add_row(row.name, f"{row.analytic:.3g}", f"{row.numerical:.3g}",
                      Text(short_number(row.relative_error, 2), style=style))
    return table


def readout(result: GradcheckResult) -> Text:
    headline, style = VERDICT_STYLES[result.verdict]
    text = Text(headline, style=style)
    text.append(f"  ·  largest relative error {short_number(result.max_relative_error)} at epsilon "
                f"{result.settings.epsilon:g}")
    if result.bug_text:
        text.append("\nplanted bug: ", style="bold")
        text.append(result.bug_text)
    return text


@register_lab_screen("gradcheck")
def open_gradcheck_lab(problem: Any) -> GradcheckLabScreen:
    return GradcheckLabScreen(getattr(problem, "settings", None), problem=problem)


SCREEN = GradcheckLabScreen
