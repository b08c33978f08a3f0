"""The compact node style (issue 15 §1): the same graph in less room, with everything a learner reads.

The workspace switches a graph to this style when the normal drawing does not fit its pane. It must
draw the same nodes and edges (checked with the layout's soundness rules), be no larger than the
normal drawing and smaller on real graphs, and keep each node's name, op, value, gradient and the
``?`` of an asked cell readable.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from tests.test_render_layout import assert_grid_model_sound, random_graphs
from tutor.formatting import format_number
from tutor.graph import build_graph
from tutor.graph.model import ComputationalGraph
from tutor.render import FrameOptions, compute_layout, exercise_state, finished_state, layout_for, render_frame
from tutor.render.labels import COMPACT, NORMAL, node_title

NEURON = "z1 = w1*x1; z2 = w2*x2; s = z1 + z2 + b; L = tanh(s)"
NEURON_AT = {"w1": 0.5, "x1": 2, "w2": -1.5, "x2": 1, "b": 0.25}


def box_text(frame, layout, node_id: str) -> list[str]:
    box = layout.boxes[node_id]
    lines = frame.plain.split("\n")
    return [lines[frame.graph_first_line + row].ljust(box.right + 1)[box.left:box.right + 1]
            for row in range(box.top, box.bottom + 1)]


def test_the_compact_neuron_is_narrower_and_shorter_with_the_same_nodes_and_edges() -> None:
    graph = build_graph(NEURON, NEURON_AT)
    normal, compact = compute_layout(graph), compute_layout(graph, COMPACT)
    assert normal.style is NORMAL and compact.style is COMPACT
    assert compact.width < normal.width and compact.height < normal.height
    assert set(compact.boxes) == set(normal.boxes) == set(graph.order)
    assert set(compact.routes) == set(normal.routes)
    assert compact.layers == normal.layers  # the same columns, in the same order
    assert_grid_model_sound(graph, compact)


def test_compact_boxes_keep_the_name_op_value_gradient_and_asked_marks() -> None:
    graph = build_graph(NEURON, NEURON_AT)
    layout = layout_for(graph, COMPACT)
    done = render_frame(graph, finished_state(graph), FrameOptions(legend=False), layout=layout)
    for node_id in graph.order:
        node = graph.nodes[node_id]
        title, value, grad = box_text(done, layout, node_id)[:3]
        assert node_title(node) in title
        assert "=" + format_number(node.value) in value
        assert "∂" + format_number(node.grad) in grad
    asked = exercise_state(graph, revealed_values=graph.order, asked_grads=["w2"], asked_values=["L"])
    frame = render_frame(graph, asked, FrameOptions(legend=False), layout=layout)
    assert "∂?" in box_text(frame, layout, "w2")[2]
    assert "=?" in box_text(frame, layout, "L")[1]
    ascii_frame = render_frame(graph, finished_state(graph), FrameOptions(legend=False, ascii_only=True),
                               layout=layout)
    assert "d" + format_number(graph.nodes["w2"].grad) in box_text(ascii_frame, layout, "w2")[2]


def test_normal_and_compact_layouts_are_cached_apart() -> None:
    graph = build_graph(NEURON, NEURON_AT)
    assert layout_for(graph) is layout_for(graph) and layout_for(graph).style is NORMAL
    assert layout_for(graph, COMPACT) is layout_for(graph, COMPACT) and layout_for(graph, COMPACT).style is COMPACT


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(random_graphs(max_nodes=30))
def test_random_compact_layouts_are_sound_and_never_larger(graph: ComputationalGraph) -> None:
    normal, compact = compute_layout(graph), compute_layout(graph, COMPACT)
    assert_grid_model_sound(graph, compact)
    assert compact.width <= normal.width and compact.height <= normal.height
    for ascii_only in (False, True):
        frame = render_frame(graph, finished_state(graph), FrameOptions(ascii_only=ascii_only), layout=compact)
        lines = frame.plain.split("\n")
        assert len(lines) == compact.height + 1
        assert max(len(line) for line in lines[:-1]) <= compact.width
