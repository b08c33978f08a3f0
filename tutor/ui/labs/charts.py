"""Helpers for the labs' plotext charts (drawn by textual-plotext's PlotextPlot).

plotext's own log scale cannot be used inside a Textual widget: building the chart takes the
logarithm of the stored data in place, so the second paint (any refresh or resize) takes the log
of a log and fails. The labs therefore plot log10 of their values on a linear axis and label the
ticks as powers of ten (``1e-6``); bars start one decade below the smallest one. Long loss curves
are thinned so a 100 000-epoch history still draws instantly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

# The smallest positive number a log axis shows; exact zeros (a dead ReLU's gradient, a gradient
# check that agrees to the last bit) are drawn at this floor instead of breaking the axis.
LOG_FLOOR = 1e-300
MAX_CURVE_POINTS = 400


def positive(values: Sequence[float], floor: float = LOG_FLOOR) -> list[float]:
    """``values`` made drawable on a log axis: non-positive or non-finite entries become ``floor``."""
    return [value if math.isfinite(value) and value > floor else floor for value in values]


def finite(values: Sequence[float]) -> list[float]:
    return [value for value in values if math.isfinite(value)]


def log10s(values: Sequence[float], floor: float = LOG_FLOOR) -> list[float]:
    """log10 of each value, with non-positive or non-finite values put at ``floor``."""
    return [math.log10(value) for value in positive(values, floor)]


def decade_ticks(low: float, high: float, most: int = 6) -> tuple[list[float], list[str]]:
    """Ticks for an axis of log10 values spanning [low, high]: whole exponents, labelled 1e-3 etc."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return [], []
    first = math.floor(low)
    last = math.ceil(high)
    stride = max(1, math.ceil((last - first + 1) / most))
    exponents = list(range(first, last + 1, stride))
    return [float(exponent) for exponent in exponents], [decade_label(exponent) for exponent in exponents]


def decade_label(exponent: int) -> str:
    if exponent == 0:
        return "1"
    if exponent == 1:
        return "10"
    return f"1e{exponent}"


def log_range(values: Sequence[float]) -> tuple[float, float] | None:
    """(smallest, largest) positive finite value, or None when there is none."""
    usable = [value for value in values if math.isfinite(value) and value > 0]
    if not usable:
        return None
    return min(usable), max(usable)


def bar_floor(low_log: float) -> float:
    """Where bars of log10 values start: a decade below the smallest, so even that one shows."""
    return float(math.floor(low_log) - 1)


def thinned(xs: Sequence[float], ys: Sequence[float], limit: int = MAX_CURVE_POINTS) -> tuple[list[float], list[float]]:
    """At most ``limit`` evenly spaced points of a curve, always keeping the last one."""
    count = len(xs)
    if count <= limit:
        return list(xs), list(ys)
    stride = math.ceil(count / limit)
    indices = list(range(0, count, stride))
    if indices[-1] != count - 1:
        indices.append(count - 1)
    return [xs[i] for i in indices], [ys[i] for i in indices]


def short_number(value: float, digits: int = 3) -> str:
    """A number for a readout or a tick: ``0.0012``, ``3.1e-07``, ``nan``."""
    if not math.isfinite(value):
        return str(value)
    if value == 0:
        return "0"
    if 1e-3 <= abs(value) < 1e5:
        return f"{value:.{digits}g}"
    return f"{value:.{max(1, digits - 1)}e}".replace("e-0", "e-").replace("e+0", "e+").replace("e+", "e")


def round_ticks(low: float, high: float, most: int = 5) -> list[float]:
    """Evenly spaced round numbers (1, 2, 2.5 or 5 times a power of ten) covering [low, high]."""
    span = high - low
    if not (math.isfinite(span) and span > 0):
        return [low]
    rough = span / max(1, most - 1)
    magnitude = 10.0 ** math.floor(math.log10(rough))
    step = next(multiple * magnitude for multiple in (1, 2, 2.5, 5, 10) if multiple * magnitude >= rough)
    first = math.ceil(low / step) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 12))
        value += step
    return ticks


def tick_label(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


def log_y_axis(plt: Any, low: float, high: float, most: int = 6) -> None:
    """Label a y axis of log10 values ``low``..``high``.

    Over a decade or more: powers of ten, the axis spanning whole decades so every tick sits inside
    the frame (plotext draws a tick outside its range on top of the x labels). Over less than a
    decade powers of ten would leave one tick or none, so round values are labelled instead.
    """
    if high - low < 1.0:
        values = [value for value in round_ticks(10.0 ** low, 10.0 ** high, most) if value > 0]
        margin = max((high - low) * 0.05, 1e-9)
        plt.ylim(low - margin, high + margin)
        if values:
            plt.yticks([math.log10(value) for value in values], [short_number(value) for value in values])
        return
    bottom, top = math.floor(low), math.ceil(high)
    ticks, labels = decade_ticks(bottom, top, most)
    plt.ylim(bottom, top)
    plt.yticks(ticks, labels)
