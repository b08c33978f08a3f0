"""The UI's plain-Python parts: the trace exercise state, the playground's input parsing, grading glue."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tutor.graph import build_graph
from tutor.ui.screens.playground import build_playground_problem, parse_values
from tutor.ui.trace_state import CORRECT, INCORRECT, PENDING, REVEALED, TraceProgress, trace_entries

PROGRAMS = [
    ("L = (a*b + c)^2", {"a": 2, "b": 3, "c": 1}),
    ("y = x*x + x", {"x": 3}),  # x feeds three edges: its gradient accumulates
    ("z1 = w*x; z2 = tanh(z1); L = (z2 - t)^2", {"w": 0.5, "x": 2, "t": 1}),
    ("L = exp(a) / (1 + exp(a))", {"a": 0.3}),
]


@pytest.mark.parametrize("program, at", PROGRAMS)
def test_entries_go_forward_in_evaluation_order_then_backward_in_reverse(program, at):
    graph = build_graph(program, at)
    entries = trace_entries(graph)
    values = [entry.node_id for entry in entries if entry.kind == "value"]
    grads = [entry.node_id for entry in entries if entry.kind == "grad"]
    assert values == graph.computed_ids
    assert grads == list(reversed(graph.order))
    assert entries[: len(values)] == [entry for entry in entries if entry.kind == "value"]  # values first
    assert entries[len(values)].ask == f"grad:{graph.output}"


def test_author_chosen_entries_keep_the_table_order():
    graph = build_graph("L = (a*b + c)^2", {"a": 2, "b": 3, "c": 1})
    entries = trace_entries(graph, forward=["L", "z1"], backward=["a", "z2"])
    assert [entry.ask for entry in entries] == ["value:z1", "value:L", "grad:z2", "grad:a"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.booleans(), min_size=9, max_size=9))
def test_frame_state_shows_answered_numbers_and_asks_for_open_entries(right_or_wrong):
    graph = build_graph("L = (a*b + c)^2", {"a": 2, "b": 3, "c": 1})
    progress = TraceProgress(graph, trace_entries(graph))
    for entry, right in zip(progress.entries, right_or_wrong):
        progress.mark(entry.ask, right, "typed")
    state = progress.frame_state()
    for entry in progress.entries:
        shown = state.values if entry.kind == "value" else state.grads
        asked = state.asked_values if entry.kind == "value" else state.asked_grads
        if progress.status[entry.ask] == CORRECT:
            assert shown[entry.node_id] == progress.expected_text(entry)
            assert entry.node_id not in asked
        else:
            assert entry.node_id not in shown
            assert entry.node_id in asked
            assert entry.node_id in state.flagged_nodes
    assert progress.finished == all(right_or_wrong)
    for node_id in graph.input_ids:
        assert state.values[node_id] == graph.nodes[node_id].value  # inputs are given


def test_answering_out_of_order_keeps_the_graph_caption_from_quoting_open_entries():
    graph = build_graph("L = (a*b + c)^2", {"a": 2, "b": 3, "c": 1})
    progress = TraceProgress(graph, trace_entries(graph))
    progress.mark("value:z2", True, "7")  # z1 skipped: "z2 = z1 + c = 6 + 1 = 7" would give z1 away
    assert "6" not in progress.frame_state().caption
    progress.mark("value:z1", True, "6")
    progress.mark("value:z2", True, "7")  # now every number the step quotes is answered
    assert progress.frame_state().caption.endswith("z2 = z1 + c = 6 + 1 = 7")


@settings(max_examples=60, deadline=None)
@given(st.permutations(range(9)), st.integers(1, 9))
def test_the_graph_caption_never_shows_a_number_only_an_open_entry_has(order, answered):
    """Entries answered in any order: no number in the caption belongs only to an entry still open
    (numbers that are also inputs, answered entries or local derivatives are left out: they are shown anyway)."""
    from test_check_support import numbers_in

    from tutor.graph.model import format_number

    graph = build_graph("L = (a*b + c)^2", {"a": 2, "b": 3, "c": 1})
    progress = TraceProgress(graph, trace_entries(graph))
    for index in order[:answered]:
        entry = progress.entries[index]
        progress.mark(entry.ask, True, "typed")
    caption = progress.frame_state().caption
    text = lambda number: format_number(number)  # noqa: E731
    known = {text(graph.nodes[name].value) for name in graph.input_ids}
    known |= {text(progress.expected_text(entry)) for entry in progress.entries if not progress.is_open(entry.ask)}
    known |= {text(edge.local_grad) for edge in graph.edges}
    secret = {text(progress.expected_text(entry)) for entry in progress.open_entries} - known
    assert not secret & {token for token, _ in numbers_in(caption)}, (caption, secret)


def test_the_step_explaining_a_gradient_is_its_last_contribution():
    graph = build_graph("y = x*x + x", {"x": 3})
    progress = TraceProgress(graph, trace_entries(graph))
    step = progress.step_for("grad:x")
    assert step.stage == "backward" and step.edge.source == "x"
    assert step.state.grads["x"] == graph.nodes["x"].grad  # the running sum is complete at the last edge
    assert progress.step_for(f"grad:{graph.output}").stage == "seed"
    assert progress.step_for("value:z1").narration.startswith("z1 = x*x")


def test_replays_open_pass_by_pass_and_give_up_reveals_everything():
    graph = build_graph("L = (a*b + c)^2", {"a": 2, "b": 3, "c": 1})
    progress = TraceProgress(graph, trace_entries(graph))
    assert not progress.replay_allowed("forward")
    for entry in progress.entries[:3]:
        progress.mark(entry.ask, True, "x")
    assert progress.replay_allowed("forward") and not progress.replay_allowed("backward")
    assert [step.stage for step in progress.replay_steps("forward")] == ["start", "forward", "forward", "forward"]
    progress.give_up()
    assert progress.finished and not progress.solved
    assert {progress.status[entry.ask] for entry in progress.entries[3:]} == {REVEALED}
    lines = progress.solution_lines()
    assert lines[0] == "z1 = a*b = 2*3 = 6" or lines[0].startswith("z1 = a*b")
    assert any("dL/da" in line and "42" in line for line in lines)


def test_a_wrong_entry_stays_open():
    graph = build_graph("L = (a*b + c)^2", {"a": 2, "b": 3, "c": 1})
    progress = TraceProgress(graph, trace_entries(graph))
    progress.mark("value:z1", False, "5")
    assert progress.status["value:z1"] == INCORRECT and progress.is_open("value:z1")
    assert progress.next_open.ask == "value:z1"
    assert progress.status["value:z2"] == PENDING


def test_parse_values_reads_arithmetic_and_points_at_errors():
    assert parse_values("a = 2, b = -1/2; c=3*2") == {"a": 2.0, "b": -0.5, "c": 6.0}
    with pytest.raises(ValueError) as error:
        parse_values("a = 2, b 3")
    assert "name = value" in error.value.args[0] and error.value.args[1] == 7
    with pytest.raises(ValueError) as error:
        parse_values("a = 2*")
    assert "the value of a" in error.value.args[0]


def test_playground_problem_reports_each_kind_of_error():
    built = build_playground_problem("L = (a*b + c)^2", "a = 2, b = 3, c = 1")
    assert built.rendered is not None and built.rendered.at == {"a": 2.0, "b": 3.0, "c": 1.0}
    unreadable = build_playground_problem("L = (a*b + ", "a = 1")
    assert unreadable.rendered is None and unreadable.field == "program" and unreadable.error_column is not None
    missing = build_playground_problem("L = a*b", "a = 1")
    assert missing.field == "values" and "b = 1" in missing.error
    extra = build_playground_problem("L = a*b", "a = 1, b = 2, q = 3")
    assert "q is not an input" in extra.error
    domain = build_playground_problem("L = log(a)", "a = -1")
    assert domain.rendered is None and domain.error
