"""The computational graph: nodes with values, gradients, local derivatives and formulas."""

from tutor.formatting import format_number
from tutor.graph.build import GraphBuildError, GraphConsistencyError, build_graph
from tutor.graph.model import ComputationalGraph, Edge, GraphNode, Operand
from tutor.graph.steps import BackwardStep, ForwardStep

__all__ = [
    "BackwardStep", "ComputationalGraph", "Edge", "ForwardStep", "GraphBuildError", "GraphConsistencyError",
    "GraphNode", "Operand", "build_graph", "format_number",
]
