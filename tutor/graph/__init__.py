"""The computational graph: nodes with values, gradients, local derivatives and formulas."""

from tutor.graph.build import GraphBuildError, GraphConsistencyError, build_graph
from tutor.graph.model import (
    BackwardStep,
    ComputationalGraph,
    Edge,
    ForwardStep,
    GraphNode,
    Operand,
    format_number,
)

__all__ = [
    "BackwardStep", "ComputationalGraph", "Edge", "ForwardStep", "GraphBuildError", "GraphConsistencyError",
    "GraphNode", "Operand", "build_graph", "format_number",
]
