"""Draw computational graphs in the terminal and animate their forward and backward passes.

This package produces Rich renderables and plain text; it never imports Textual, so the
command line (``backprop-tutor trace``) and the TUI share it.

Typical use::

    from tutor.graph import build_graph
    from tutor.render import layout_for, animation_steps, render_frame, FrameOptions

    graph = build_graph("L = (a*b + c)^2", {"a": 2, "b": 3, "c": 1})
    layout = layout_for(graph)              # grandalf Sugiyama layout + edge routing, cached per graph
    steps = animation_steps(graph)          # start, forward (one per node), seed, backward (one per edge), complete
    frame = render_frame(graph, steps[3], FrameOptions(max_width=120), layout=layout)
    console.print(frame.text)               # rich.text.Text, never wrapped
    print(frame.plain)                      # the same characters without styles

For the TUI
-----------
* ``layout_for(graph) -> GraphLayout`` — compute once per graph (it is cached anyway); it holds the
  grid model: ``width``, ``height``, ``boxes[node_id]`` (``NodeBox`` with top/left/width/height,
  ``exit_row``, ``entry_row(slot)``) and ``routes[(source, target, slot)]`` (the cells each edge runs through).
* ``layout_for(graph, COMPACT)`` (``tutor.render.labels.COMPACT``) — the same nodes and edges in less
  room: no blank space inside the boxes or around their titles, ``=2`` and ``∂-4`` instead of ``= 2`` and
  ``∂ -4``, no blank row between boxes stacked in a column, one column less of line before each channel.
  ``GraphLayout.style`` says which; ``render_frame`` draws a layout's boxes in its own style. The TUI
  switches to it when the normal drawing does not fit its pane.
* ``render_frame(graph, state, options, layout=None) -> Frame`` — a pure function. ``state`` is a
  ``FrameState`` (or an ``AnimationStep``, whose ``.state`` is used). ``Frame.text`` is a Rich ``Text``
  with ``no_wrap=True`` (put it in a horizontally scrolling container); ``Frame.plain`` is plain text;
  ``Frame.too_wide`` is True when the graph is wider than ``FrameOptions.max_width`` (the first line then
  says so). ``Frame.graph_first_line`` counts the notice/caption lines above the graph and
  ``Frame.focus`` is the active node's (top, left, height, width) in graph coordinates, so a scrolling
  widget can bring it into view. ``FrameOptions(follow_active=True)`` instead cuts a too-wide frame to
  ``max_width`` columns around the active node (``Frame.first_column`` says where the cut starts).
* ``FrameState`` fields: ``values`` and ``grads`` (node id -> number to print; running gradient sums are
  fine), ``asked_values`` / ``asked_grads`` (node ids drawn with ``?``: cells the learner must fill),
  ``active_node`` (double border), ``active_edges`` (set of ``(source, target, slot)``, highlighted),
  ``done_nodes``, ``flagged_nodes`` (drawn as mistakes), ``caption`` (a line under the graph).
* ``exercise_state(graph, revealed_values=..., revealed_grads=..., asked_values=..., asked_grads=...,
  active_node=..., active_edge=..., flagged_nodes=..., caption=...)`` builds a ``FrameState`` from the
  graph's own numbers; ``finished_state(graph)`` shows everything.
* ``animation_steps(graph) -> list[AnimationStep]`` — ``stage`` ("start", "forward", "seed", "backward",
  "complete"), ``position``/``stage_length``, ``node_id``, ``edge``, ``narration`` and ``state``. Step
  back and forth by index; each step's state is complete on its own.
* ``FrameOptions(ascii_only=False, max_width=None, color=True, legend=True, caption=True,
  caption_on_top=False, too_wide_hint=..., follow_active=False, palette=Palette())``.
  Colours come from Rich styles, so a Rich/Textual console with ``NO_COLOR`` set drops them; the active
  node keeps its double border and learner cells their reverse video without colour.

For the command line, :mod:`tutor.render.play` prints every step (``print_steps``) or plays them with
Rich Live (``play_animation``).
"""

from tutor.render.animation import STAGES, AnimationStep, animation_steps
from tutor.render.frames import (
    Frame,
    FrameOptions,
    FrameState,
    Palette,
    exercise_state,
    finished_state,
    render_frame,
)
from tutor.render.layout import EdgeKey, GraphLayout, NodeBox, compute_layout, edge_key, layout_for

__all__ = [
    "STAGES", "AnimationStep", "EdgeKey", "Frame", "FrameOptions", "FrameState", "GraphLayout", "NodeBox",
    "Palette", "animation_steps", "compute_layout", "edge_key", "exercise_state", "finished_state",
    "layout_for", "render_frame",
]
