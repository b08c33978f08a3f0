"""The animation's captions write arithmetic a learner can check: 1 · (-4), exp(-0.124), and ≈ when rounded."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from tutor.formatting import format_number
from tutor.graph import build_graph
from tutor.graph.steps import backward_steps, forward_steps

PROGRAMS = [
    "z1 = x*w; z2 = z1 + b; L = z2^2",
    "z1 = x*w; z2 = exp(z1); L = z2*z1",
    "z = x*w + b; y = tanh(z)",
    "z1 = x - w; z2 = z1*b; L = z2*x",
]
inputs = st.sampled_from([-3, -2, -1.5, -0.5, 0.5, 1, 2, 2.5])


def _graph(program, x, w, b):
    values = {name: value for name, value in {"x": x, "w": w, "b": b}.items() if re.search(rf"\b{name}\b", program)}
    return build_graph(program, values)


def test_a_negative_factor_is_bracketed_and_a_call_argument_is_not_bracketed_twice():
    graph = _graph("z1 = x*w; z2 = exp(z1); L = z2*z1", -0.5, 0.248, 1)
    forward = [step.narration for step in forward_steps(graph)]
    backward = [step.narration for step in backward_steps(graph)]
    assert "z2 = exp(z1) = exp(-0.124) ≈ 0.8834" in forward
    assert "dL/dz2 = dL/dL · ∂L/∂z2 = 1 · (-0.124) = -0.124" in backward


@given(st.sampled_from(PROGRAMS), inputs, inputs, inputs)
def test_captions_never_write_a_bare_negative_factor_or_double_brackets(program, x, w, b):
    graph = _graph(program, x, w, b)
    for step in forward_steps(graph) + backward_steps(graph):
        assert not re.search(r"[·+] -", step.narration), step.narration
        assert "((" not in step.narration, step.narration


@given(st.sampled_from(PROGRAMS), inputs, inputs, inputs)
def test_the_equals_sign_holds_for_the_numbers_as_written(program, x, w, b):
    """"a · b = c" only when the written a and b give the written c; otherwise the caption says ≈."""
    graph = _graph(program, x, w, b)
    for step in backward_steps(graph):
        product = float(format_number(step.upstream)) * float(format_number(step.local))
        sign = "=" if format_number(product) == format_number(step.contribution) else "≈"
        written = f" {sign} {format_number(step.contribution)}"
        assert written in step.narration.split("  (total")[0], step.narration
