"""What goes inside a node's box: its title (name and op) and the value and gradient lines.

The layout sizes every box once, for the widest text that box will ever show during the
animation, so frames never change shape from one step to the next.
"""

from __future__ import annotations

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


def value_line(number_text: str) -> str:
    return VALUE_PREFIX + number_text


def grad_line(number_text: str, ascii_only: bool = False) -> str:
    return GRAD_PREFIX[ascii_only] + number_text


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


def box_width(graph: ComputationalGraph, node_id: str, grad_texts: list[str]) -> int:
    """Outer width of the node's box: fits its title and every number the animation shows in it."""
    node = graph.nodes[node_id]
    candidates = [
        cell_len(node_title(node, False)),
        cell_len(node_title(node, True)),
        cell_len(value_line(format_number(node.value))),
        cell_len(value_line(ASKED)),
        cell_len(grad_line(ASKED)),
    ]
    candidates.extend(cell_len(grad_line(text)) for text in grad_texts)
    return max(MIN_BOX_WIDTH, max(candidates) + BOX_PADDING)


def grad_texts_by_node(graph: ComputationalGraph) -> dict[str, list[str]]:
    """Every gradient a node shows during the backward pass: the running sums, then the total."""
    texts: dict[str, list[str]] = {node_id: [format_number(graph.nodes[node_id].grad)] for node_id in graph.order}
    for step in graph.backward_steps():
        texts[step.edge.source].append(format_number(step.grad_after))
    return texts
