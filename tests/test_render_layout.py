"""The grid model behind every frame: boxes never overlap, every edge joins its two nodes,
different edges only cross at right angles. Checked on random graphs of up to 60 nodes."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tutor.graph.model import ComputationalGraph, Edge, GraphNode, Operand, format_number
from tutor.render import FrameOptions, animation_steps, compute_layout, finished_state, render_frame
from tutor.render.frames import FrameState, exercise_state
from tutor.render.layout import DOWN, LEFT, RIGHT, UP, GraphLayout, edge_key

NUMBERS = [0.0, 1.0, -2.5, 3.0, 0.001234, -123456.75, 1e-7, 7.0, 0.5, -0.4621]
BINARY = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "^"}


@st.composite
def random_graphs(draw, max_nodes: int = 60, min_nodes: int = 1) -> ComputationalGraph:
    """Any DAG the builder could plausibly produce, and stranger ones: repeated operands (x*x),
    constants, unused nodes, several unconnected parts, nodes feeding many consumers."""
    count = draw(st.integers(min_nodes, max_nodes))
    input_count = draw(st.integers(1, min(count, 12)))
    nodes: dict[str, GraphNode] = {}
    edges: list[Edge] = []
    order: list[str] = []
    for index in range(count):
        value = draw(st.sampled_from(NUMBERS))
        grad = draw(st.sampled_from(NUMBERS))
        if index < input_count:
            node_id = f"x{index}"
            nodes[node_id] = GraphNode(node_id, "input", (), value, grad, "", node_id, "0", is_input=True)
        else:
            node_id = f"z{index}"
            earlier = order[max(0, index - draw(st.integers(1, 20))):]
            if draw(st.booleans()):
                op = draw(st.sampled_from(["tanh", "relu", "exp", "neg", "sigmoid"]))
                operands = (Operand(node_id=draw(st.sampled_from(earlier))),)
            else:
                op = draw(st.sampled_from(sorted(BINARY)))
                first = Operand(node_id=draw(st.sampled_from(earlier)))
                if draw(st.integers(0, 4)) == 0:
                    second = Operand(constant=2.0, constant_text="2")
                else:
                    second = Operand(node_id=draw(st.sampled_from(earlier)))
                operands = (first, second) if draw(st.booleans()) else (second, first)
            formula = f" {BINARY.get(op, op)} ".join(operand.text() for operand in operands)
            nodes[node_id] = GraphNode(node_id, op, operands, value, grad, formula, formula, "0")
            for slot, operand in enumerate(operands):
                if operand.is_node:
                    edges.append(Edge(operand.node_id, node_id, slot, draw(st.sampled_from(NUMBERS)), "1"))
        order.append(node_id)
    return ComputationalGraph(
        program_text="(random)", output=order[-1], order=order, nodes=nodes, edges=edges,
        input_values={node_id: nodes[node_id].value for node_id in order if nodes[node_id].is_input},
    )


def assert_grid_model_sound(graph: ComputationalGraph, layout: GraphLayout) -> None:
    boxes = layout.boxes
    assert set(boxes) == set(graph.order), "every node gets a box"
    owner: dict[tuple[int, int], str] = {}
    for box in boxes.values():
        assert 0 <= box.top and box.bottom < layout.height and 0 <= box.left and box.right < layout.width
        for row in range(box.top, box.bottom + 1):
            for column in range(box.left, box.right + 1):
                assert (row, column) not in owner, f"boxes {owner[(row, column)]} and {box.node_id} overlap"
                owner[(row, column)] = box.node_id

    assert set(layout.routes) == {edge_key(edge) for edge in graph.edges}, "every edge is routed"
    for (source, target, slot), cells in layout.routes.items():
        source_box, target_box = boxes[source], boxes[target]
        assert cells[0] == (source_box.exit_row, source_box.right + 1), f"{source}->{target} leaves its source"
        assert cells[-1] == (target_box.entry_row(slot), target_box.left - 1), f"{source}->{target} reaches its target"
        assert len(set(cells)) == len(cells), f"{source}->{target} runs over itself"
        for (row, column), (next_row, next_column) in zip(cells, cells[1:]):
            assert abs(row - next_row) + abs(column - next_column) == 1, f"{source}->{target} is not continuous"
        for cell in cells:
            assert cell not in owner, f"{source}->{target} runs through box {owner.get(cell)}"
            assert 0 <= cell[0] < layout.height and 0 <= cell[1] < layout.width

    # Edges from different sources may share a cell only where one crosses the other straight on.
    for cell, per_source in layout.net_links().items():
        if len(per_source) > 1:
            directions = sorted(per_source.values())
            assert directions == [UP | DOWN, LEFT | RIGHT], f"edges of {sorted(per_source)} touch at {cell}"
    # Each entry row of a box receives exactly one arrow.
    arrow_cells = [cells[-1] for cells in layout.routes.values()]
    assert len(arrow_cells) == len(set(arrow_cells))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(random_graphs())
def test_random_graphs_rasterize_soundly(graph: ComputationalGraph) -> None:
    layout = compute_layout(graph)
    assert_grid_model_sound(graph, layout)
    for ascii_only in (False, True):
        frame = render_frame(graph, finished_state(graph), FrameOptions(ascii_only=ascii_only), layout=layout)
        lines = frame.plain.split("\n")
        assert len(lines) == layout.height + 1  # the graph, then the legend
        assert max(len(line) for line in lines[:-1]) <= layout.width


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(random_graphs(min_nodes=45))
def test_large_random_graphs_rasterize_soundly(graph: ComputationalGraph) -> None:
    # The general property test mostly draws small graphs; this one stays near the 60-node limit.
    assert len(graph.order) >= 45
    assert_grid_model_sound(graph, compute_layout(graph))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(random_graphs(max_nodes=25), st.data())
def test_frames_keep_their_size_whatever_the_state(graph: ComputationalGraph, data) -> None:
    layout = compute_layout(graph)
    subset = st.sets(st.sampled_from(graph.order))
    state = exercise_state(
        graph,
        revealed_values=data.draw(subset),
        revealed_grads=data.draw(subset),
        asked_values=data.draw(subset),
        asked_grads=data.draw(subset),
        active_node=data.draw(st.sampled_from([None, *graph.order])),
        active_edge=data.draw(st.sampled_from([None, *graph.edges])),
    )
    full = render_frame(graph, finished_state(graph), FrameOptions(legend=False), layout=layout)
    frame = render_frame(graph, state, FrameOptions(legend=False), layout=layout)
    assert len(frame.plain.split("\n")) == len(full.plain.split("\n"))
    # Lines, arrows and box corners stay where they are; only box interiors change.
    for row, column in layout.links:
        assert frame.plain.split("\n")[row][column] != " "


def _hand_graph(program: list[tuple[str, str, tuple[str, ...]]], values: dict[str, float]) -> ComputationalGraph:
    """A small graph written out by hand (ops with node operands only), grads left at zero."""
    nodes = {name: GraphNode(name, "input", (), value, 0.0, "", name, "0", is_input=True)
             for name, value in values.items()}
    order = list(values)
    edges = []
    for name, op, operands in program:
        nodes[name] = GraphNode(name, op, tuple(Operand(node_id=o) for o in operands), 1.0, 0.0, "", "", "0")
        edges.extend(Edge(o, name, slot, 1.0, "1") for slot, o in enumerate(operands))
        order.append(name)
    return ComputationalGraph("(hand)", order[-1], order, nodes, edges)


def test_square_of_a_node_draws_two_edges_into_two_entry_rows() -> None:
    graph = _hand_graph([("L", "mul", ("x", "x"))], {"x": 3.0})
    layout = compute_layout(graph)
    assert_grid_model_sound(graph, layout)
    first, second = layout.routes[("x", "L", 0)], layout.routes[("x", "L", 1)]
    assert first[-1] != second[-1]
    text = render_frame(graph, finished_state(graph), layout=layout).plain
    assert text.count("▶") == 2


def test_unconnected_parts_are_stacked_not_overlapping() -> None:
    graph = _hand_graph([("p", "tanh", ("a",)), ("q", "tanh", ("b",))], {"a": 1.0, "b": 2.0})
    layout = compute_layout(graph)
    assert_grid_model_sound(graph, layout)
    assert layout.boxes["b"].top > layout.boxes["p"].bottom


def test_ascii_frames_use_only_ascii() -> None:
    graph = _hand_graph([("z", "mul", ("a", "b")), ("y", "sigmoid", ("z",)), ("L", "add", ("y", "a"))],
                        {"a": 1.0, "b": -2.0})
    options = FrameOptions(ascii_only=True, max_width=10)
    frames = [render_frame(graph, step, options) for step in animation_steps(graph)]
    frames.append(render_frame(graph, FrameState(values={"z": -1.23456789e-300}, asked_grads=frozenset({"y"}),
                                                 active_node="y", caption="dL/dz += dL/dy · ∂y/∂z …"), options))
    for frame in frames:
        assert frame.plain.isascii(), frame.plain


def test_number_wider_than_its_box_is_cut_with_a_mark_not_spilled() -> None:
    graph = _hand_graph([("L", "tanh", ("a",))], {"a": 1.0})
    layout = compute_layout(graph)
    box = layout.boxes["L"]
    frame = render_frame(graph, FrameState(values={"L": -123456789.123456}), layout=layout)
    line = frame.plain.split("\n")[box.top + 1]
    assert line[box.right] == "│" and "…" in line[box.left:box.right]
    assert format_number(-123456789.123456) not in line


def test_too_wide_graph_says_so_on_one_line_and_is_not_wrapped() -> None:
    chain = [(f"h{i}", "tanh", (f"h{i - 1}" if i else "a",)) for i in range(12)]
    graph = _hand_graph(chain, {"a": 0.5})
    layout = compute_layout(graph)
    frame = render_frame(graph, finished_state(graph), FrameOptions(max_width=80))
    assert frame.too_wide and layout.width > 80
    lines = frame.plain.split("\n")
    assert str(layout.width) in lines[0] and "80" in lines[0]
    assert len(lines) == layout.height + 2  # notice, graph rows, legend: nothing wrapped onto extra lines
    assert max(len(line) for line in lines[1:-1]) > 80
    narrow_enough = render_frame(graph, finished_state(graph), FrameOptions(max_width=layout.width))
    assert not narrow_enough.too_wide


def test_routes_never_cross_boxes_in_a_wide_fan_out() -> None:
    # One input feeding eight consumers in different layers: the case that needs most tracks.
    program = [("h0", "tanh", ("a",))]
    for i in range(1, 8):
        program.append((f"h{i}", "mul", (f"h{i - 1}", "a")))
    graph = _hand_graph(program, {"a": 0.5})
    assert_grid_model_sound(graph, compute_layout(graph))


def test_following_the_active_node_keeps_it_in_view_on_a_narrow_screen() -> None:
    chain = [(f"h{i}", "tanh", (f"h{i - 1}" if i else "a",)) for i in range(12)]
    graph = _hand_graph(chain, {"a": 0.5})
    layout = compute_layout(graph)
    options = FrameOptions(max_width=60, follow_active=True, legend=False, caption=False)
    starts = set()
    for step in animation_steps(graph):
        frame = render_frame(graph, step, options, layout=layout)
        lines = frame.plain.split("\n")
        graph_lines = lines[frame.graph_first_line:]
        assert max(len(line) for line in graph_lines) <= 60
        starts.add(frame.first_column)
        if step.node_id is not None:
            box = layout.boxes[step.node_id]
            left = box.left - frame.first_column
            assert 0 <= left and box.right - frame.first_column < 60
            assert graph_lines[box.top][left] == "╔"  # the active node, whole, with its double border
    assert len(starts) > 1  # the view really moved along the chain
