"""Formulas of a graph are printed when first read, not when it is built (issue 19: validate's speed).

Most graphs are built to be graded and their formulas never shown; the text a reader gets is the same.
"""

from __future__ import annotations

import pytest

import tutor.graph.build as build
from tutor.graph import build_graph
from tutor.graph.model import Edge, GraphNode, defer_text


def test_building_a_graph_prints_no_formula(monkeypatch: pytest.MonkeyPatch) -> None:
    printed: list[str] = []
    real_printable, real_text = build._printable, build.sympy_text
    monkeypatch.setattr(build, "_printable", lambda *a: printed.append("printable") or real_printable(*a))
    monkeypatch.setattr(build, "sympy_text", lambda e: printed.append("text") or real_text(e))
    graph = build_graph("z1 = a*b\nL = (z1 + c)^2", {"a": 2, "b": 3, "c": 1})
    assert printed == []
    assert graph.nodes["a"].grad_formula == "2*b*(a*b + c)"
    assert graph.nodes["z1"].expanded_formula == "a*b"
    assert {(edge.source, edge.target): edge.local_grad_formula for edge in graph.edges}[("a", "z1")] == "b"
    assert printed  # printed on reading ...
    count = len(printed)
    assert graph.nodes["a"].grad_formula == "2*b*(a*b + c)"
    assert len(printed) == count  # ... once


def test_the_local_derivative_patterns_are_shared_between_nodes_with_the_same_results(
        monkeypatch: pytest.MonkeyPatch) -> None:
    program = "u = x^2\nv = x^2.5\nw = x*x\np = 2*x\nq = x*2\nL = u + v + w + p*q"

    def texts() -> tuple[dict[tuple[str, str, int], str], str]:
        graph = build_graph(program, {"x": 3})
        return ({(edge.source, edge.target, edge.slot): edge.local_grad_formula for edge in graph.edges},
                graph.nodes["x"].grad_formula)

    warm = texts()
    monkeypatch.setattr(build, "_TEMPLATES", {})  # each pattern differentiated afresh
    assert texts() == warm
    locals_, gradient = warm
    assert (locals_[("x", "u", 0)], locals_[("x", "v", 0)], locals_[("x", "p", 1)]) == ("2*x", "5*x^(3/2)/2", "2")
    assert locals_[("x", "w", 0)] == locals_[("x", "w", 1)] == "x"  # x*x: two slots of one node
    assert (locals_[("p", "z3", 0)], locals_[("q", "z3", 1)]) == ("q", "p")
    assert gradient == "5*x^(3/2)/2 + 12*x"


def test_a_formula_field_holds_text_or_a_deferred_text() -> None:
    node = GraphNode("a", "input", (), 1.0, 2.0, "", "a", "0", is_input=True)
    edge = Edge("a", "L", 0, 1.0, "1")
    assert (node.grad_formula, edge.local_grad_formula) == ("0", "1")
    defer_text(node, "grad_formula", lambda: "2*a")
    defer_text(edge, "local_grad_formula", lambda: "b")
    assert (node.grad_formula, edge.local_grad_formula) == ("2*a", "b")
    assert node == GraphNode("a", "input", (), 1.0, 2.0, "", "a", "2*a", is_input=True)
    with pytest.raises(AttributeError):
        defer_text(node, "formula", lambda: "x")  # not a formula field
    with pytest.raises(TypeError):
        GraphNode("a", "input", (), 1.0, 2.0, "", "a")  # type: ignore[call-arg]  # still required
