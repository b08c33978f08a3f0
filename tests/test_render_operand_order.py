"""Operands of a subtraction arrive top to bottom in slot order where the layout can manage it.

The first operand enters a ``-`` box on its top row; when grandalf put the second operand's box above
the first, the two edges crossed in front of the box and the learner could not tell the minuend.
The layout now takes grandalf's drawing upside down (same crossings) when that puts more operands in order.
"""

from __future__ import annotations

from tutor.graph import build_graph
from tutor.render import layout_for


def test_the_minuend_sits_above_the_subtrahend_when_the_mirror_drawing_allows_it() -> None:
    graph = build_graph("L = (((b + b) - a) - ((c - c) * (c / b)))", {"a": 1.5, "b": -2, "c": 3})
    boxes = layout_for(graph).boxes
    # L = z2 - z5 and z2 = z1 - a: grandalf drew z5 above z2 and a above z1, each pair of edges crossing.
    assert boxes["z2"].top < boxes["z5"].top
    assert boxes["z1"].top < boxes["a"].top


def test_a_layout_already_in_order_is_kept() -> None:
    graph = build_graph("u = a - b\nv = u/c\nL = exp(v)", {"a": 1, "b": 2, "c": 3})
    boxes = layout_for(graph).boxes
    assert boxes["a"].top < boxes["b"].top
