"""`backprop-tutor trace PROGRAM --at a=2,b=3,c=1`: the forward and backward pass of a program."""

from __future__ import annotations

import argparse
import json
import sys
from fractions import Fraction


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("program", help="e.g. 'L = (a*b + c)^2' or 'z1 = a*b; z2 = z1 + c; L = z2^2'; '-' reads it from standard input")
    parser.add_argument("--at", default="", metavar="NAME=VALUE,...",
                        help="input values, e.g. a=2,b=3,c=1 (values may be fractions like 1/2)")
    parser.add_argument("--format", choices=["table", "json", "dot", "text"], default="table", dest="output_format",
                        help="table (default), json, Graphviz dot, or text (the graph drawn with values and gradients)")
    drawing = parser.add_mutually_exclusive_group()
    drawing.add_argument("--animate", action="store_true",
                         help="play the forward then the backward pass as an animated graph")
    drawing.add_argument("--steps", action="store_true",
                         help="print the drawn graph after every step, one frame after another")
    parser.add_argument("--speed", type=_speed, default=1.0, metavar="STEPS_PER_SECOND",
                        help="animation speed for --animate (default 1 step per second)")
    parser.add_argument("--ascii", action="store_true", help="draw with -|+> only, for terminals without Unicode")


def _speed(text: str) -> float:
    from tutor.render.play import SPEED_LIMITS

    low, high = SPEED_LIMITS
    try:
        speed = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of steps per second") from None
    if not low <= speed <= high:
        raise argparse.ArgumentTypeError(f"{text} is outside {low:g} to {high:g} steps per second")
    return speed


class UsageProblem(ValueError):
    pass


def parse_assignments(text: str) -> dict[str, float]:
    """Read 'a=2,b=3,c=1/2' into numbers, with errors that say which piece is wrong."""
    values: dict[str, float] = {}
    if not text.strip():
        return values
    for piece in text.split(","):
        name, separator, value_text = piece.partition("=")
        name, value_text = name.strip(), value_text.strip()
        if not separator or not name or not value_text:
            raise UsageProblem(f"--at: '{piece.strip()}' should look like name=value")
        if not (name.isidentifier() and name.isascii()):
            raise UsageProblem(f"--at: '{name}' is not a name")
        if name in values:
            raise UsageProblem(f"--at: {name} is given twice")
        try:
            number = float(Fraction(value_text.replace("−", "-")))
        except (ValueError, ZeroDivisionError):
            raise UsageProblem(f"--at: the value of {name}, '{value_text}', is not a number") from None
        values[name] = number
    return values


def build_from_arguments(program_text: str, at_text: str):
    """Parse --at and build the graph; returns (graph, None) or (None, one-line error)."""
    from tutor.expr import ParseError
    from tutor.graph import GraphBuildError, build_graph

    try:
        values = parse_assignments(at_text)
        return build_graph(program_text, values), None
    except UsageProblem as problem:
        return None, str(problem)
    except ParseError as error:
        return None, f"error in program: {error}\n{error.pretty()}"
    except GraphBuildError as error:
        return None, f"error: {error}"


def run(args: argparse.Namespace) -> int:
    drawing = getattr(args, "animate", False) or getattr(args, "steps", False)
    if drawing and args.output_format not in ("table", "text"):
        flag = "--animate" if args.animate else "--steps"
        print(f"backprop-tutor trace: {flag} draws the graph; it cannot be combined with --format "
              f"{args.output_format}", file=sys.stderr)
        return 2
    # A 10,000-step program does not fit on a command line, so '-' reads it from standard input.
    program_text = sys.stdin.read() if args.program == "-" else args.program
    graph, problem = build_from_arguments(program_text, args.at)
    if graph is None:
        print(f"backprop-tutor trace: {problem}", file=sys.stderr)
        return 2
    if drawing or args.output_format == "text":
        return _draw(graph, args)
    if args.output_format == "json":
        print(json.dumps(graph_to_json(graph), indent=2))
    elif args.output_format == "dot":
        print(graph_to_dot(graph))
    else:
        from rich.console import Console

        Console().print(graph_table(graph))
    return 0


def _draw(graph, args: argparse.Namespace) -> int:
    """--animate, --steps and --format text: the graph drawn by tutor.render."""
    from rich.console import Console

    from tutor.render import FrameOptions
    from tutor.render.play import play_animation, print_finished, print_steps

    console = Console()
    options = FrameOptions(ascii_only=args.ascii)
    if args.animate:
        play_animation(graph, console, options, speed=args.speed)
    elif args.steps:
        print_steps(graph, console, options)
    else:
        print_finished(graph, console, options)
    return 0


def _json_number(number: float) -> float | str:
    # JSON has no inf/nan; write them as strings so every consumer can still parse the file.
    if number != number or number in (float("inf"), float("-inf")):
        return str(number)
    return number


def graph_to_json(graph) -> dict:
    return {
        "program": graph.program_text,
        "output": graph.output,
        "inputs": {name: _json_number(value) for name, value in graph.input_values.items()},
        "nodes": [
            {
                "id": node.id,
                "op": node.op,
                "inputs": list(node.inputs),
                "formula": node.formula,
                "value": _json_number(node.value),
                "grad": _json_number(node.grad),
                "expr": node.expanded_formula,
                "grad_expr": node.grad_formula,
            }
            for node in (graph.nodes[node_id] for node_id in graph.order)
        ],
        "edges": [
            {"from": edge.source, "to": edge.target, "slot": edge.slot, "local_grad": _json_number(edge.local_grad),
             "local_grad_expr": edge.local_grad_formula}
            for edge in graph.edges
        ],
    }


def graph_to_dot(graph) -> str:
    from tutor.graph import format_number
    from tutor.graph.model import OP_SYMBOLS

    def quote(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = ["digraph backprop {", "  rankdir=LR;", '  node [shape=record, fontname="monospace"];']
    for node_id in graph.order:
        node = graph.nodes[node_id]
        title = node_id if node.is_input else f"{node_id} = {node.formula}"
        label = f"{{ {title} | value {format_number(node.value)} | grad {format_number(node.grad)} }}"
        label = label.replace("<", "\\<").replace(">", "\\>")
        lines.append(f"  {quote(node_id)} [label={quote(label)}];")
    for edge in graph.edges:
        symbol = OP_SYMBOLS.get(graph.nodes[edge.target].op, "")
        lines.append(f"  {quote(edge.source)} -> {quote(edge.target)} "
                     f"[label={quote(f'{symbol} ∂={format_number(edge.local_grad)}')}];")
    lines.append("}")
    return "\n".join(lines)


def graph_table(graph):
    from rich.table import Table

    from tutor.graph import format_number

    output = graph.output
    table = Table(title=f"{graph.program_text.strip()}   at " +
                  ", ".join(f"{name}={format_number(value)}" for name, value in graph.input_values.items()))
    table.add_column("node", style="bold")
    table.add_column("computed as")
    table.add_column("value", justify="right")
    table.add_column(f"d{output}/d(node)", justify="right")
    table.add_column("as a formula")
    for node_id in graph.order:
        node = graph.nodes[node_id]
        table.add_row(node_id, "input" if node.is_input else node.formula, format_number(node.value),
                      format_number(node.grad), node.grad_formula)
    return table
