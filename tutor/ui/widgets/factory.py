"""The widget for a rendered problem, by its kind.

Its own module so that the problem widgets and the workspaces need not import each other.
"""

from __future__ import annotations

from tutor.ui.widgets.code_view import CodeProblemView
from tutor.ui.widgets.layer_view import LayerProblemView
from tutor.ui.widgets.problems import AnswerProblemView, ChoiceProblemView, LabProblemView, ProblemView
from tutor.ui.widgets.trace_view import TraceProblemView


def problem_view_for(rendered, *, graph_interval: float = 0.8, id: str | None = None) -> ProblemView:
    kind = rendered.problem.kind
    if kind == "trace":
        return TraceProblemView(rendered, graph_interval=graph_interval, id=id)
    if kind in ("ask", "numeric"):
        return AnswerProblemView(rendered, graph_interval=graph_interval, id=id)
    if kind == "choice":
        return ChoiceProblemView(rendered, graph_interval=graph_interval, id=id)
    if kind == "layer":
        return LayerProblemView(rendered, graph_interval=graph_interval, id=id)
    if kind == "code":
        return CodeProblemView(rendered, graph_interval=graph_interval, id=id)
    return LabProblemView(rendered, graph_interval=graph_interval, id=id)
