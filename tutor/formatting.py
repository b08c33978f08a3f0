"""How numbers are shown to a learner: 7 not 7.0, 0.7616 not 0.76159415595.

A leaf module (it imports nothing from the tutor), so that every layer -- the expression
language, the graph, rendering, the checker and the UI -- can format numbers the same way
without importing the layer above it.
"""

from __future__ import annotations


def format_number(number: float | None) -> str:
    """Show a number the way a person would write it: 7 not 7.0, 0.7616 not 0.76159415595."""
    if number is None:
        return "?"
    if number != number:
        return "nan"
    if number in (float("inf"), float("-inf")):
        return "inf" if number > 0 else "-inf"
    if float(number).is_integer() and abs(number) < 1e15:
        return str(int(number))
    magnitude = abs(number)
    if magnitude < 1e-4 or magnitude >= 1e6:
        return f"{number:.4g}"
    # Four decimals reads well when tracing by hand: 0.7616, 1.2865, 14.25.
    text = f"{number:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
