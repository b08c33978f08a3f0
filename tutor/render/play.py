"""Show frames on a Rich console: every step one after another, or as an animation with Rich Live."""

from __future__ import annotations

import time
from dataclasses import replace

from rich.console import Console

from tutor.graph.model import ComputationalGraph
from tutor.render.animation import AnimationStep, animation_steps
from tutor.render.frames import Frame, FrameOptions, finished_state, render_frame
from tutor.render.layout import layout_for

SPEED_LIMITS = (0.05, 60.0)  # steps per second


def _options_for(console: Console, options: FrameOptions) -> FrameOptions:
    """On a terminal, frames know the width (and say when they are cut); elsewhere nothing is cut."""
    if console.is_terminal and options.max_width is None:
        return replace(options, max_width=console.width, too_wide_hint="widen the terminal for the rest")
    return options


def _emit(console: Console, frame: Frame) -> None:
    if console.is_terminal:
        console.print(frame.text)
    else:
        # Piped output keeps every column: no cropping to an assumed width, no styles.
        console.file.write(frame.plain + "\n")


def print_finished(graph: ComputationalGraph, console: Console, options: FrameOptions) -> None:
    """The graph after both passes, every value and gradient shown."""
    _emit(console, render_frame(graph, finished_state(graph), _options_for(console, options)))


def step_heading(step: AnimationStep, total: int) -> str:
    return f"── step {step.index + 1} of {total} ──"


def print_steps(graph: ComputationalGraph, console: Console, options: FrameOptions) -> None:
    """Every step's frame in order, separated by a heading line (for reading, piping and tests)."""
    options = replace(_options_for(console, options), follow_active=True)
    layout = layout_for(graph)
    steps = animation_steps(graph)
    for step in steps:
        heading = step_heading(step, len(steps))
        if options.ascii_only:
            heading = heading.replace("─", "-")
        if console.is_terminal:
            console.print(heading, style="dim", highlight=False)
        else:
            console.file.write(heading + "\n")
        _emit(console, render_frame(graph, step, options, layout=layout))


def play_animation(graph: ComputationalGraph, console: Console, options: FrameOptions, speed: float) -> None:
    """Play the forward then the backward pass at ``speed`` steps per second, then leave the last frame."""
    from rich.live import Live

    if not console.is_terminal:
        print_steps(graph, console, options)
        return
    # The caption goes first: Live cuts a frame taller than the screen at the bottom.
    # Too wide for the screen: the view follows the active node.
    options = replace(_options_for(console, options), caption_on_top=True, follow_active=True)
    layout = layout_for(graph)
    steps = animation_steps(graph)
    delay = 1.0 / speed
    frames = [render_frame(graph, step, options, layout=layout) for step in steps]
    with Live(frames[0].text, console=console, auto_refresh=False, transient=True,
              vertical_overflow="crop") as live:
        for frame in frames:
            live.update(frame.text, refresh=True)
            time.sleep(delay)
    console.print(frames[-1].text)
