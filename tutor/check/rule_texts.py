"""The general rules, in symbols, that a learner needs for a second try (``GradeResult.rule``).

A rule says how the asked quantity is found, in the graph's own names where that helps
(``dL/da = dL/dz1 · ∂z1/∂a``) or in the textbook's letters (``d(uⁿ)/du = n·uⁿ⁻¹``), and never
holds a number of this instance: no input's value, no value worked out from them. Constants
that belong to the rule itself (the 1 of ``1 − y²``, ``∂(u + v)/∂u = 1``) and the program's
own formulas (``z1 = a*b``) may appear.
"""

from __future__ import annotations

from tutor.check.ask_kinds import Ask
from tutor.check.problem import Problem

CHAIN_WORDS = "the gradient from above times the local derivative"
CHAIN_PATHS = "a node that feeds several others gets one such product per path, added"
COMPOSITE = "the chain rule: d f(g(x))/dx = f′(g(x))·g′(x), the outer derivative times the inner one"
SECOND = ("d²L/dx² = d/dx (dL/dx): differentiate the first derivative once more, using the product rule "
          "(d(u·v)/dx = u′·v + u·v′) and the chain rule on every factor")
SIGN = "every subtraction, negation and quotient along the way flips the sign of what passes through it"


def op_rule(problem: Problem, target: str, slot: int) -> str:
    """The textbook rule for ∂target/∂(operand ``slot``) of one node, by its operation."""
    node = problem.graph.nodes[target]
    op = node.op
    if op == "add":
        return "∂(u + v)/∂u = ∂(u + v)/∂v = 1: a sum passes the gradient on unchanged"
    if op == "sub":
        return "∂(u − v)/∂u = 1 and ∂(u − v)/∂v = −1: what is subtracted gets a minus sign"
    if op == "neg":
        return "∂(−u)/∂u = −1"
    if op == "mul":
        return "∂(u·v)/∂u = v and ∂(u·v)/∂v = u: a product's derivative with respect to one factor is the other factor"
    if op == "div":
        return "∂(u/v)/∂u = 1/v and ∂(u/v)/∂v = −u/v² (the quotient rule, d(u/v) = (u′·v − u·v′)/v², with its minus sign)"
    if op == "pow":
        base_is_node = node.operands[0].is_node
        exponent_is_node = node.operands[1].is_node
        if base_is_node and exponent_is_node:
            return "∂(uᵛ)/∂u = v·uᵛ⁻¹ and ∂(uᵛ)/∂v = uᵛ·log(u)"
        if exponent_is_node:
            return ("d(aᵘ)/du = aᵘ·log(a) for a constant base a: the power rule needs a constant exponent, "
                    "so it does not apply here")
        return "d(uⁿ)/du = n·uⁿ⁻¹ for a constant n: the exponent comes down as a factor and drops by one"
    if op == "tanh":
        return "d tanh(u)/du = 1 − tanh²(u): with the output y = tanh(u), it is 1 − y², not y and not 1 + y²"
    if op == "sigmoid":
        return "dσ(u)/du = σ(u)·(1 − σ(u)): with the output s = σ(u), it is s·(1 − s), not s and not s·(1 + s)"
    if op == "relu":
        return "d relu(u)/du is 1 where u > 0 and 0 where u < 0: relu passes the gradient or stops it, by the input's sign"
    if op == "exp":
        return "d exp(u)/du = exp(u): exp is its own derivative, the node's own value (it is not a power of u)"
    if op == "log":
        return "d log(u)/du = 1/u"
    return "differentiate the node's formula with respect to this input, holding the other inputs fixed"


def local_ask_rule(problem: Problem, ask: Ask) -> str:
    """For ``local:NODE/INPUT``: the node's rule, taken with respect to that input alone."""
    target, source = ask.node, ask.operand or ""
    slots = [edge.slot for edge in problem.edges_into[target] if edge.source == source]
    text = f"{problem.label(ask)}: {op_rule(problem, target, slots[0] if slots else 0)}"
    if len(slots) > 1:
        text += f"; {source} appears more than once, so add one such term per appearance"
    return text + "."


def chain_symbols(problem: Problem, node: str) -> str:
    """dL/dz1 · ∂z1/∂a (+ one product per other path): the chain rule for ``node``, in symbols."""
    symbols = []
    edges = problem.edges_out[node]
    for edge in edges[:MAX_SHOWN_PATHS]:
        if edge.target == problem.output:  # dL/dL = 1 needs no writing out
            symbols.append(f"∂{edge.target}/∂{node}")
        else:
            symbols.append(f"d{problem.output}/d{edge.target} · ∂{edge.target}/∂{node}")
    return " + ".join(symbols) + more_paths(len(edges))


# A node feeding thousands of others would make a rule or worked line of thousands of products.
MAX_SHOWN_PATHS = 8


def more_paths(count: int) -> str:
    """' + ... (992 more products, one per path)' past MAX_SHOWN_PATHS, else ''."""
    return f" + ... ({count - MAX_SHOWN_PATHS:,} more products, one per path)" if count > MAX_SHOWN_PATHS else ""


def chain_rule(problem: Problem, ask: Ask) -> str:
    """The chain rule for a gradient (``grad:`` or ``derivative:``), in this graph's names."""
    node = ask.node
    label = problem.label(ask) if ask.kind in ("grad", "derivative") else f"d{problem.output}/d{node}"
    if node == problem.output:
        return f"{label} = 1: the backward pass starts with the output's gradient with respect to itself."
    paths = len(problem.edges_out[node])
    if ask.kind == "derivative":  # no graph is shown with a formula ask: no node names, only the rule
        text = f"{label}: {COMPOSITE}"
        if paths > 1:
            text += f"; {node} appears more than once in the program, so add the derivative through each appearance"
        return text + "."
    text = f"{label} = {chain_symbols(problem, node)}: {CHAIN_WORDS}"
    if paths > 1:
        text += ", one product per path, added"
    return text + "."


def value_rule(problem: Problem, node: str) -> str:
    graph_node = problem.graph.nodes[node]
    if graph_node.is_input:
        return f"{node} is an input: its value is given with the problem."
    return f"{node} = {graph_node.formula}: a node's value is its formula applied to its inputs' forward values."


def ask_rule(problem: Problem, ask: Ask) -> str:
    """The general rule for an ask, when no particular mistake is named (or as the base of one)."""
    if ask.kind == "value":
        return value_rule(problem, ask.node)
    if ask.kind == "local":
        return local_ask_rule(problem, ask)
    if ask.kind == "derivative2":
        return SECOND + "."
    return chain_rule(problem, ask)


def with_chain(problem: Problem, ask: Ask, first: str) -> str:
    """``first`` (a local rule) followed by how it enters the asked gradient, unless the ask is that local."""
    direct = all(edge.target == problem.output for edge in problem.edges_out.get(ask.node, []))
    if ask.kind in ("local", "value", "derivative2") or (direct and len(problem.edges_out[ask.node]) == 1):
        return first if first.endswith(".") else first + "."
    return f"{first.rstrip('.')}. Then {chain_rule(problem, ask)}"
