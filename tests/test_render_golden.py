"""Golden frames of the animation for the graphs every lesson starts with.

The golden files hold every step's frame (Unicode), the finished graph in ASCII and a frame too
wide for its terminal. To accept a deliberate change of the drawing, rerun with
BACKPROP_TUTOR_UPDATE_GOLDEN=1 and read the diff before committing it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from rich.console import Console

from tutor.graph import build_graph, format_number
from tutor.render import FrameOptions, animation_steps, finished_state, layout_for, render_frame

GOLDEN_DIR = Path(__file__).parent / "golden"
REPO_ROOT = Path(__file__).resolve().parents[1]

GRAPHS = {
    "abc_squared": ("L = (a*b + c)^2", {"a": 2, "b": 3, "c": 1}),
    "xwb_squared": ("L = (x*w + b)^2", {"x": 2, "w": -3, "b": 1}),
    "tanh_neuron": ("y = tanh(x*w + b)", {"x": 0.5, "w": -1.5, "b": 0.25}),
    "x_times_x": ("L = x*x", {"x": 3}),
    "shared_input": ("z1 = a*b; z2 = a + c; L = z1*z2", {"a": 2, "b": 3, "c": 1}),
}


def golden_text(name: str) -> str:
    program, values = GRAPHS[name]
    graph = build_graph(program, values)
    parts = [f"# {program}   at {values}"]
    steps = animation_steps(graph)
    for step in steps:
        parts.append(f"## step {step.index + 1}/{len(steps)} ({step.stage})")
        parts.append(render_frame(graph, step).plain)
    parts.append("## finished, ascii")
    parts.append(render_frame(graph, finished_state(graph), FrameOptions(ascii_only=True)).plain)
    parts.append("## finished, 30 columns available")
    parts.append(render_frame(graph, finished_state(graph), FrameOptions(max_width=30, legend=False)).plain)
    return "\n".join(parts) + "\n"


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_frames_match_golden_file(name: str) -> None:
    path = GOLDEN_DIR / f"render_{name}.txt"
    actual = golden_text(name)
    if os.environ.get("BACKPROP_TUTOR_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"missing {path}; create it with BACKPROP_TUTOR_UPDATE_GOLDEN=1"
    assert actual == path.read_text(encoding="utf-8")


def test_frames_are_identical_across_processes_and_hash_seeds() -> None:
    script = (
        "import sys; sys.path.insert(0, 'tests'); from test_render_golden import golden_text, GRAPHS; "
        "sys.stdout.write(''.join(golden_text(name) for name in sorted(GRAPHS)))"
    )
    outputs = set()
    for seed in ("1", "2", "12345"):
        environment = dict(os.environ, PYTHONHASHSEED=seed, PYTHONIOENCODING="utf-8")
        result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, encoding="utf-8",
                                cwd=REPO_ROOT, env=environment, check=True)
        outputs.add(result.stdout)
    assert len(outputs) == 1
    assert outputs.pop() == "".join(golden_text(name) for name in sorted(GRAPHS))


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_every_node_and_edge_appears_in_the_finished_frame(name: str) -> None:
    graph = build_graph(*GRAPHS[name])
    layout = layout_for(graph)
    lines = render_frame(graph, finished_state(graph), layout=layout).plain.split("\n")
    for node_id in graph.order:
        box = layout.boxes[node_id]
        assert lines[box.top][box.left + 2 :].startswith(node_id), f"{node_id} is named on its box"
        assert f"= {format_number(graph.nodes[node_id].value)}" in lines[box.top + 1][box.left : box.right]
        assert f"∂ {format_number(graph.nodes[node_id].grad)}" in lines[box.top + 2][box.left : box.right]
    for edge in graph.edges:
        cells = layout.routes[(edge.source, edge.target, edge.slot)]
        assert all(lines[row][column] in "─│┌┐└┘├┤┬┴┼" for row, column in cells[:-1])
        row, column = cells[-1]
        assert lines[row][column] == "▶" and lines[row][column + 1] == "│"


def test_x_times_x_has_two_arrows_into_one_box() -> None:
    graph = build_graph(*GRAPHS["x_times_x"])
    assert len(graph.edges) == 2
    assert render_frame(graph, finished_state(graph)).plain.count("▶") == 2


def test_accumulation_at_a_shared_input_shows_the_running_sum() -> None:
    graph = build_graph(*GRAPHS["shared_input"])
    visits = [step for step in animation_steps(graph) if step.stage == "backward" and step.node_id == "a"]
    assert len(visits) == 2, "a feeds z1 and z2, so two contributions arrive"
    first, second = visits
    contributions = [step for step in graph.backward_steps() if step.edge.source == "a"]
    assert first.state.grads["a"] == contributions[0].contribution  # the first part of the sum only
    assert first.state.grads["a"] != graph.nodes["a"].grad
    assert second.state.grads["a"] == contributions[0].contribution + contributions[1].contribution
    assert second.state.grads["a"] == graph.nodes["a"].grad
    assert "+=" in second.narration and "+=" not in first.narration
    assert "a" not in second.state.done_nodes  # active, drawn with a double border
    later = animation_steps(graph)[second.index + 1]
    assert "a" in later.state.done_nodes


def test_active_node_has_double_border_and_pending_nodes_are_blank() -> None:
    graph = build_graph(*GRAPHS["abc_squared"])
    layout = layout_for(graph)
    step = next(step for step in animation_steps(graph) if step.stage == "forward" and step.node_id == "z2")
    lines = render_frame(graph, step, layout=layout).plain.split("\n")
    z2, final = layout.boxes["z2"], layout.boxes["L"]
    assert lines[z2.top][z2.left] == "╔" and lines[z2.bottom][z2.right] == "╝"
    assert lines[final.top + 1][final.left + 1 : final.right].strip() == ""


def test_no_color_keeps_emphasis_but_drops_colours(monkeypatch) -> None:
    graph = build_graph(*GRAPHS["abc_squared"])
    step = animation_steps(graph)[2]

    def rendered() -> str:
        output = StringIO()
        Console(file=output, force_terminal=True, color_system="truecolor", width=200).print(
            render_frame(graph, step).text)
        return output.getvalue()

    monkeypatch.delenv("NO_COLOR", raising=False)
    coloured = rendered()
    monkeypatch.setenv("NO_COLOR", "1")
    plain = rendered()
    assert "\x1b[33m" in coloured or "\x1b[1;33m" in coloured
    assert "33m" not in plain and "36m" not in plain and "\x1b[1m" in plain
