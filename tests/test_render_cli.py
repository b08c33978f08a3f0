"""`backprop-tutor trace` drawing flags: --steps, --animate, --format text, --ascii, --speed."""

from __future__ import annotations

from io import StringIO

import pytest
from rich.console import Console

from tutor.cli import main
from tutor.graph import build_graph
from tutor.render import FrameOptions, animation_steps, finished_state, render_frame
from tutor.render.play import play_animation

PROGRAM = "z1 = a*b; z2 = a + c; L = z1*z2"
AT = "a=2,b=3,c=1"
VALUES = {"a": 2, "b": 3, "c": 1}


def test_format_text_prints_the_finished_graph(capsys) -> None:
    assert main(["trace", PROGRAM, "--at", AT, "--format", "text"]) == 0
    graph = build_graph(PROGRAM, VALUES)
    assert capsys.readouterr().out == render_frame(graph, finished_state(graph)).plain + "\n"


def test_format_text_ascii_is_pure_ascii(capsys) -> None:
    assert main(["trace", PROGRAM, "--at", AT, "--format", "text", "--ascii"]) == 0
    output = capsys.readouterr().out
    assert output.isascii() and "dL/d(node)" in output


def test_steps_prints_every_frame_in_order(capsys) -> None:
    assert main(["trace", PROGRAM, "--at", AT, "--steps"]) == 0
    output = capsys.readouterr().out
    graph = build_graph(PROGRAM, VALUES)
    steps = animation_steps(graph)
    position = 0
    for step in steps:
        heading = f"── step {step.index + 1} of {len(steps)} ──"
        frame = render_frame(graph, step).plain
        position = output.index(heading + "\n" + frame + "\n", position)
    assert output.count("── step ") == len(steps)
    assert "dL/da += " in output  # the second contribution to a shared input


def test_animate_without_a_terminal_prints_the_steps_instead(capsys) -> None:
    assert main(["trace", PROGRAM, "--at", AT, "--animate", "--speed", "60"]) == 0
    assert capsys.readouterr().out.count("── step ") == len(animation_steps(build_graph(PROGRAM, VALUES)))


def test_animation_on_a_terminal_ends_on_the_finished_frame(monkeypatch) -> None:
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    output = StringIO()
    console = Console(file=output, force_terminal=True, width=100, color_system=None)
    graph = build_graph(PROGRAM, VALUES)
    play_animation(graph, console, FrameOptions(), speed=60)
    last = render_frame(graph, animation_steps(graph)[-1], FrameOptions(max_width=100, caption_on_top=True)).plain
    assert last.startswith("Done:")  # the caption leads, so a frame cut at the bottom keeps it
    final_text = output.getvalue()[output.getvalue().rindex("Done:"):]
    assert [line.rstrip() for line in final_text.splitlines()] == last.split("\n")


@pytest.mark.parametrize("speed", ["0", "-1", "fast", "1000"])
def test_bad_speed_is_refused_with_a_message(speed: str, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["trace", PROGRAM, "--at", AT, "--animate", "--speed", speed])
    assert exit_info.value.code == 2
    assert "--speed" in capsys.readouterr().err


def test_drawing_flags_refuse_machine_formats(capsys) -> None:
    assert main(["trace", PROGRAM, "--at", AT, "--steps", "--format", "json"]) == 2
    assert "--steps" in capsys.readouterr().err


def test_animate_and_steps_are_exclusive(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["trace", PROGRAM, "--at", AT, "--steps", "--animate"])
    assert "not allowed with" in capsys.readouterr().err
