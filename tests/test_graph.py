"""The computational graph: the reference module's hand-worked numbers, and engine = sympy = finite differences."""

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tutor.expr import evaluate, names_in, parse_expression, parse_program
from tutor.graph import GraphBuildError, GraphConsistencyError, build_graph


def grads(program: str, **values: float) -> dict[str, float]:
    graph = build_graph(program, values)
    return {node_id: graph.nodes[node_id].grad for node_id in graph.order}


def test_reference_example_abc() -> None:
    graph = build_graph("L = (a*b + c)^2", {"a": 2, "b": 3, "c": 1})
    assert [graph.nodes[n].value for n in graph.order] == [2, 3, 1, 6, 7, 49]
    assert grads("L = (a*b + c)^2", a=2, b=3, c=1) == {"a": 42, "b": 28, "c": 14, "z1": 14, "z2": 14, "L": 1}
    assert graph.nodes["z2"].formula == "z1 + c"
    assert graph.nodes["a"].grad_formula == "2*b*(a*b + c)"


def test_reference_example_xwb_with_named_steps() -> None:
    graph = build_graph("z1 = x*w\nz2 = z1 + b\nL = z2^2", {"x": 2, "w": 3, "b": 1})
    assert (graph.nodes["x"].grad, graph.nodes["w"].grad, graph.nodes["b"].grad) == (42, 28, 14)
    assert all(graph.nodes[n].named_by_author for n in ("z1", "z2", "L"))


def test_chain_rule_example() -> None:
    graph = build_graph("y = (2x + 1)^3", {"x": 1})
    assert graph.nodes["y"].value == 27
    assert graph.nodes["x"].grad == 54
    assert graph.nodes["x"].grad_formula == "6*(2*x + 1)^2"


def test_tanh_neuron() -> None:
    graph = build_graph("o = tanh(x1*w1 + x2*w2 + b)", {"x1": 2, "w1": -3, "x2": 0, "w2": 1, "b": 6.8813735870195432})
    assert graph.nodes["o"].value == pytest.approx(0.7071, abs=1e-4)
    assert graph.nodes["w1"].grad == pytest.approx(1.0, abs=1e-4)  # 2 * (1 - 0.7071^2)
    assert graph.nodes["x1"].grad == pytest.approx(-1.5, abs=1e-4)


def test_log_and_sigmoid() -> None:
    assert grads("y = log(x)", x=2)["x"] == 0.5
    graph = build_graph("y = sigmoid(x)", {"x": 0})
    assert graph.nodes["y"].value == 0.5 and graph.nodes["x"].grad == 0.25


def test_two_paths_are_summed() -> None:
    graph = build_graph("a = 2*x; b = x^2; L = a*b", {"x": 3})  # L = 2x^3, dL/dx = 6x^2 = 54
    assert graph.nodes["x"].grad == 54
    steps = [step for step in graph.backward_steps() if step.edge.source == "x"]
    assert len(steps) == 2 and steps[1].is_accumulation and steps[1].grad_after == 54


def test_x_times_x_has_two_edges() -> None:
    graph = build_graph("L = x*x", {"x": 3})
    assert graph.nodes["x"].grad == 6
    assert [(edge.source, edge.slot) for edge in graph.edges] == [("x", 0), ("x", 1)]
    assert graph.nodes["L"].inputs == ("x", "x")


def test_generated_names_skip_author_names() -> None:
    graph = build_graph("z1 = a*b; L = z1^2 + c", {"a": 1, "b": 2, "c": 3})
    assert graph.order == ["a", "b", "c", "z1", "z2", "L"]
    assert graph.nodes["z2"].formula == "z1^2"


def test_forward_and_backward_narration() -> None:
    graph = build_graph("L = (a*b + c)^2", {"a": 2, "b": 3, "c": 1})
    assert [step.narration for step in graph.forward_steps()] == [
        "z1 = a*b = 2*3 = 6", "z2 = z1 + c = 6 + 1 = 7", "L = z2^2 = 7^2 = 49"]
    assert graph.backward_steps()[1].narration == "dL/dz1 = dL/dz2 · ∂z2/∂z1 = 14 · 1 = 14"


def test_local_derivative_formulas() -> None:
    graph = build_graph("L = (a*b + c)^2", {"a": 2, "b": 3, "c": 1})
    by_edge = {(edge.source, edge.target): edge for edge in graph.edges}
    assert by_edge[("z2", "L")].local_grad_formula == "2*z2" and by_edge[("z2", "L")].local_grad == 14
    assert by_edge[("a", "z1")].local_grad_formula == "b"


@pytest.mark.parametrize(
    "program, values, words",
    [
        ("L = a*b", {"a": 1}, "no value given for b"),
        ("L = a*b", {"a": 1, "b": 2, "q": 3}, "not used"),
        ("L = log(a)", {"a": -1}, "has no value"),
        ("L = a/b", {"a": 1, "b": 0}, "has no value"),
        ("L = a*b", {"a": float("nan"), "b": 1}, "finite"),
        ("z = a*b; L = z + 1", {"a": 1, "b": 2, "z": 3}, "computed by the program"),
    ],
)
def test_build_errors(program: str, values: dict, words: str) -> None:
    with pytest.raises(GraphBuildError, match=words):
        build_graph(program, values)


# ---------------------------------------------------------------- property tests

NAMES = ["x", "y", "z"]


UNARY_TEMPLATES = ["-({})", "tanh({})", "sigmoid({})", "exp(tanh({}))", "log(({})^2 + 1)", "({})^2", "({})^3", "relu({})"]
BINARY_TEMPLATES = ["({}) + ({})", "({}) - ({})", "({}) * ({})", "({}) / (({})^2 + 1)", "(({})^2 + 1)^tanh({})"]


def _render(tree) -> str:
    if isinstance(tree, str):
        return tree
    template, children = tree
    return template.format(*(_render(child) for child in children))


def _expressions(allow_relu: bool):
    """Random programs over every op, in domains where each op is defined (log of a square plus one, ...)."""
    unary = UNARY_TEMPLATES if allow_relu else UNARY_TEMPLATES[:-1]
    leaves = st.one_of(st.sampled_from(NAMES), st.integers(1, 4).map(str))

    def extend(inner):
        return st.one_of(
            st.tuples(st.sampled_from(unary), st.tuples(inner)),
            st.tuples(st.sampled_from(BINARY_TEMPLATES), st.tuples(inner, inner)),
        )

    def uses_an_input_through_an_op(text: str) -> bool:
        return text not in NAMES and bool(names_in(parse_expression(text)))

    return st.recursive(leaves, extend, max_leaves=8).map(_render).filter(uses_an_input_through_an_op)


POINTS = st.fixed_dictionaries({name: st.floats(-2, 2, allow_nan=False).map(lambda v: round(v, 3)) for name in NAMES})


@settings(max_examples=60, deadline=None)
@given(_expressions(allow_relu=True), POINTS)
def test_engine_and_sympy_agree_on_random_programs(expression: str, point: dict) -> None:
    program = parse_program(f"L = {expression}")
    values = {name: point[name] for name in program.inputs}
    build_graph(program, values)  # raises GraphConsistencyError on any disagreement


@settings(max_examples=60, deadline=None)
@given(_expressions(allow_relu=False), POINTS)
def test_engine_gradients_match_central_differences(expression: str, point: dict) -> None:
    program = parse_program(f"L = {expression}")
    values = {name: point[name] for name in program.inputs}
    graph = build_graph(program, values)
    tree = program.assignments[0].expression
    assume(math.isfinite(graph.nodes["L"].value) and abs(graph.nodes["L"].value) < 1e6)
    step = 1e-5
    for name in program.inputs:
        up = evaluate(tree, {**values, name: values[name] + step})
        down = evaluate(tree, {**values, name: values[name] - step})
        numeric = (up - down) / (2 * step)
        assert graph.nodes[name].grad == pytest.approx(numeric, rel=1e-4, abs=1e-4), name


def test_cross_check_catches_a_wrong_local_derivative(monkeypatch) -> None:
    import tutor.graph.build as build_module

    real = build_module._slot_values

    def off_by_a_little(node, value):
        return [local * 1.001 for local in real(node, value)]

    monkeypatch.setattr(build_module, "_slot_values", off_by_a_little)
    with pytest.raises(GraphConsistencyError, match="local derivative"):
        build_graph("L = (a*b + c)^2", {"a": 2, "b": 3, "c": 1})


def test_deep_graphs_skip_printing_formulas_that_swell() -> None:
    # A 3-layer tanh network: gradients as formulas of the inputs would run to pages.
    lines, values = [], {"x0": 0.5, "x1": -0.25}
    previous = ["x0", "x1"]
    for layer in range(3):
        current = []
        for unit in range(4):
            terms = []
            for index, name in enumerate(previous):
                weight = f"w{layer}_{unit}_{index}"
                values[weight] = ((unit + index + layer) % 5 - 2) / 4
                terms.append(f"{weight}*{name}")
            lines.append(f"h{layer}_{unit} = tanh({' + '.join(terms)})")
            current.append(f"h{layer}_{unit}")
        previous = current
    lines.append(f"L = ({' + '.join(previous)} - 1)^2")
    graph = build_graph("\n".join(lines), values)
    assert graph.nodes["w0_0_0"].grad_formula == "(formula too large to show)"
    assert graph.nodes["L"].grad_formula == "1"
    assert len(graph.order) > 100
