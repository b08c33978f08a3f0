"""What goes inside a node's box: its title (name and op) and the value and gradient lines.

The layout sizes every box once, for the widest text that box will ever show during the
animation, so frames never change shape from one step to the next.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len

from tutor.formatting import format_number
from tutor.graph.model import OP_SYMBOLS, ComputationalGraph, GraphNode

# Spelled-out op names for terminals that cannot show "σ".
_ASCII_OP_SYMBOLS = {"sigmoid": "sig"}

VALUE_PREFIX = "= "
GRAD_PREFIX = {False: "∂ ", True: "d "}
ASKED = "?"
# Box interior: one space of padding each side inside the two border columns.
BOX_PADDING = 4
MIN_BOX_WIDTH = 7


@dataclass(frozen=True)
class NodeStyle:
    """How roomy a node's box is: the normal style, or the compact one for a pane short of space.

    The compact style keeps everything a learner reads in a box (the node's name and op, its value,
    its gradient, the ``?`` of an asked cell) and drops only blank space: no space inside the border
    columns or around the title, no space after ``=`` and ``∂``, and no blank row between two boxes
    stacked in one layer column, and one column less of line before an edge's first bend or arrowhead.
    """

    name: str
    margin: int  # blank columns between each side border and the text
    value_prefix: str
    grad_prefixes: tuple[str, str]  # (Unicode, ASCII)
    row_gap: int  # blank rows between two things stacked in one layer column
    min_width: int
    edge_lead: int  # columns of line from a layer column to the first track of the channel after it

    @property
    def padding(self) -> int:
        """Columns of a box that are not text: two borders and the margins."""
        return 2 + 2 * self.margin

    def grad_prefix(self, ascii_only: bool) -> str:
        return self.grad_prefixes[1 if ascii_only else 0]


NORMAL = NodeStyle("normal", margin=1, value_prefix=VALUE_PREFIX, grad_prefixes=(GRAD_PREFIX[False], GRAD_PREFIX[True]),
                   row_gap=1, min_width=MIN_BOX_WIDTH, edge_lead=2)
COMPACT = NodeStyle("compact", margin=0, value_prefix="=", grad_prefixes=("∂", "d"), row_gap=0, min_width=5,
                    edge_lead=1)


def op_symbol(op: str, ascii_only: bool) -> str:
    if ascii_only and op in _ASCII_OP_SYMBOLS:
        return _ASCII_OP_SYMBOLS[op]
    return OP_SYMBOLS.get(op, op)


def node_title(node: GraphNode, ascii_only: bool = False) -> str:
    """``"z2 +"`` for a computed node, ``"a"`` for an input, ``"L ^2"`` when an argument is a constant.

    Constants are not nodes, so the title is the only place a drawing can show the 2 of ``z^2``.
    """
    symbol = "" if node.is_input else op_symbol(node.op, ascii_only)
    if len(node.operands) == 2 and not all(operand.is_node for operand in node.operands):
        first, second = node.operands
        if first.is_node:
            symbol = f"{symbol}{second.text()}"
        elif second.is_node and node.op in ("add", "mul"):
            symbol = f"{symbol}{first.text()}"  # 2*a reads as "*2" like a*2
        else:
            symbol = f"{first.text()}{symbol}" + ("" if second.is_node else second.text())
    title = f"{node.id} {symbol}".strip()
    return to_ascii(title) if ascii_only else title


def value_line(number_text: str, style: NodeStyle = NORMAL) -> str:
    return style.value_prefix + number_text


def grad_line(number_text: str, ascii_only: bool = False, style: NodeStyle = NORMAL) -> str:
    return style.grad_prefix(ascii_only) + number_text


def fit(text: str, width: int, ascii_only: bool = False) -> str:
    """Cut ``text`` to ``width`` cells, marking the cut, so an unexpected long number never breaks a box."""
    if cell_len(text) <= width:
        return text
    if width <= 1:
        return text[:width]
    return text[: width - 1] + ("~" if ascii_only else "…")


_ASCII_REPLACEMENTS = str.maketrans({"∂": "d", "·": "*", "…": "~", "σ": "sig", "−": "-", "×": "*", "→": "->",
                                     "⇆": "<->", "─": "-", "—": "-", "–": "-"})


def to_ascii(text: str) -> str:
    """The narration and names with the few symbols we use spelled in ASCII; anything else becomes '?'."""
    text = text.translate(_ASCII_REPLACEMENTS)
    if text.isascii():
        return text
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char if char.isascii() else "?" for char in decomposed if not unicodedata.combining(char))


def box_width(graph: ComputationalGraph, node_id: str, grad_texts: list[str], style: NodeStyle = NORMAL) -> int:
    """Outer width of the node's box: fits its title and every number the animation shows in it."""
    node = graph.nodes[node_id]
    candidates = [
        cell_len(node_title(node, False)),
        cell_len(node_title(node, True)),
        cell_len(value_line(format_number(node.value), style)),
        cell_len(value_line(ASKED, style)),
        cell_len(grad_line(ASKED, style=style)),
    ]
    candidates.extend(cell_len(grad_line(text, style=style)) for text in grad_texts)
    return max(style.min_width, max(candidates) + style.padding)


def grad_texts_by_node(graph: ComputationalGraph) -> dict[str, list[str]]:
    """Every gradient a node shows during the backward pass: the running sums, then the total."""
    texts: dict[str, list[str]] = {node_id: [format_number(graph.nodes[node_id].grad)] for node_id in graph.order}
    for step in graph.backward_steps():
        texts[step.edge.source].append(format_number(step.grad_after))
    return texts
