"""The replay a leech earns (issue 16 §3), decided without Textual: which entry, which steps, what is worked."""

from __future__ import annotations

import pytest

from tutor.graph import build_graph
from tutor.practice.generate import generate
from tutor.practice.replay import WrongEntry, choose_entry, leech_replay, replay_for, worked_lines

PROGRAM = "L = (a*b + c)^2"
AT = {"a": 2, "b": 3, "c": 1}


def test_the_entry_is_the_latest_wrong_one_with_the_leechs_diagnosis():
    wrong = [WrongEntry("grad:z1", "missing-upstream", "1"), WrongEntry("grad:a", "sign-flip", "-42"),
             WrongEntry("grad:b", "missing-upstream", "2"), WrongEntry("grad:c", None, "5")]
    assert choose_entry(wrong, "missing-upstream") == wrong[2]
    assert choose_entry(wrong, "sign-flip") == wrong[1]
    assert choose_entry(wrong, "missing-path") is None
    # Only graph entries can be replayed: a formula ask or a layer entry has no step of its own.
    assert choose_entry([WrongEntry("derivative:x", "missing-upstream", "x")], "missing-upstream") is None
    assert choose_entry([WrongEntry("layer:dW1", "missing-upstream", "x")], "missing-upstream") is None


def test_a_gradient_entry_replays_the_backward_pass_from_the_seed_to_its_step():
    replay = leech_replay(PROGRAM, AT, [WrongEntry("grad:a", "missing-upstream", "3")],
                          diagnosis="missing-upstream", skill="upstream")
    assert replay is not None
    assert (replay.ask, replay.node_id, replay.label, replay.answer, replay.expected) == (
        "grad:a", "a", "∂L/∂a", "3", 42.0)
    assert replay.stage == "backward"
    stages = [step.stage for step in replay.steps]
    assert stages[0] == "seed" and set(stages[1:]) == {"backward"}
    last = replay.entry_step
    assert last.edge is not None and last.edge.source == "a"
    assert last.state.caption == "Your entry: dL/da = dL/dz1 · ∂z1/∂a = 14 · 3 = 42"
    assert last.state.grads["a"] == 42.0 and last.state.active_node == "a"
    # The learner's node is marked as the mistake in every frame; b (after a) is not reached.
    assert all("a" in step.state.flagged_nodes for step in replay.steps)
    assert "b" not in last.state.grads
    # The worked arithmetic: the product, and where each factor comes from.
    assert replay.worked == ("dL/da = dL/dz1 · ∂z1/∂a = 14 · 3 = 42",
                             "  upstream dL/dz1 = 14, local ∂z1/∂a = b = 3")


def test_the_replay_does_not_change_the_animation_it_reuses():
    from tutor.render import animation_steps

    graph = build_graph(PROGRAM, AT)
    replay = replay_for(graph, WrongEntry("grad:a", "missing-upstream", "3"), skill="upstream",
                        diagnosis="missing-upstream")
    assert replay is not None
    plain = animation_steps(graph)
    assert [step.narration for step in replay.steps] == [step.narration for step in plain[4:9]]
    assert all(not step.state.flagged_nodes for step in plain)


def test_a_fan_out_entry_works_every_path_and_their_sum():
    lines = worked_lines(build_graph("y = x*x + x", {"x": 3}), "grad:x")
    assert lines[0] == "dy/dx = dy/dy · ∂y/∂x = 1 · 1 = 1"
    assert lines[1] == "  upstream dy/dy = 1, local ∂y/∂x = 1"  # no "1 = 1"
    assert lines[-1] == "dy/dx = 1 + 3 + 3 = 7  (one term per path)"
    assert len(lines) == 7  # three paths, two lines each, and the sum


def test_a_value_entry_replays_the_forward_pass_up_to_its_node():
    replay = leech_replay(PROGRAM, AT, [WrongEntry("value:z2", "wrong-operand", "5")], diagnosis="wrong-operand",
                          skill="forward")
    assert replay is not None and replay.stage == "forward"
    assert [step.stage for step in replay.steps] == ["start", "forward", "forward"]
    assert replay.worked == ("z2 = z1 + c = 6 + 1 = 7",)
    assert replay.expected == 7.0


def test_no_replay_without_a_graph_entry_of_that_diagnosis():
    wrong = [WrongEntry("grad:a", "sign-flip", "-42")]
    assert leech_replay(PROGRAM, AT, wrong, diagnosis="missing-upstream", skill="upstream") is None
    assert leech_replay("", {}, wrong, diagnosis="sign-flip", skill="local-sub") is None  # a layer problem
    assert leech_replay(PROGRAM, AT, [WrongEntry("grad:nope", "sign-flip", "1")], diagnosis="sign-flip",
                        skill="local-sub") is None
    assert leech_replay(PROGRAM, AT, [WrongEntry("value:a", "sign-flip", "1")], diagnosis="sign-flip",
                        skill="local-sub") is None  # an input: nothing computes it
    assert leech_replay("L = (a", AT, wrong, diagnosis="sign-flip", skill="local-sub") is None  # no traceback


@pytest.mark.parametrize("level", [1, 3, 5])
def test_on_generated_graphs_every_gradient_entry_ends_on_its_own_finished_gradient(level):
    for seed in range(3):
        generated = generate("upstream", level, seed)
        graph = build_graph(generated.program, generated.at)
        for node_id in graph.order:
            if node_id == graph.output:
                continue
            replay = replay_for(graph, WrongEntry(f"grad:{node_id}", "missing-upstream", "0"), skill="upstream",
                                diagnosis="missing-upstream")
            assert replay is not None
            assert replay.entry_step.state.grads[node_id] == pytest.approx(graph.nodes[node_id].grad)
            assert replay.entry_step.state.caption.startswith("Your entry: ")
