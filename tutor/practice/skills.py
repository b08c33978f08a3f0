"""The gradient skills: a small vocabulary of rules a learner can get wrong.

Each skill is one rule of backpropagation (the local derivative of one op, multiplying by the
upstream gradient, summing over paths at a fan-out, a layer's δxᵀ ...). Two maps tie the
checker to it:

* :func:`skills_for_diagnosis` — every diagnosis id the checker can produce (the graph
  diagnoses of :data:`tutor.diagnosis_ids.BUILTIN_DIAGNOSES` and the layer ones of
  :data:`tutor.diagnosis_ids.ALL_LAYER_DIAGNOSES`) maps to the skill it reveals. Some ids are
  shared by several rules (``activation-derivative`` is the same mistake for tanh, sigmoid,
  relu, exp and log), so :data:`DIAGNOSIS_SKILLS` lists the candidates and
  :func:`skill_for_diagnosis` picks the one the learner's own graph points at.
* :func:`entry_skills` — every entry of a trace (``value:z1``, ``grad:a``, ``local:z1/a``,
  ``derivative:x``, ``layer:dL/dW1``) maps to the skills a right answer to it exercises.

This module imports nothing heavy: it reads graphs and layer traces the caller already has.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tutor.diagnosis_ids import ALL_LAYER_DIAGNOSES, BUILTIN_DIAGNOSES


@dataclass(frozen=True)
class Skill:
    id: str
    title: str
    rule: str  # the rule in one line, as the tutor states it to a learner
    kind: str  # "trace" (a scalar graph) or "layer" (matrices): what the generator makes for it
    lesson: str  # the built-in lesson that teaches it (pack lesson id prefix), for "go back and read"


SKILLS: tuple[Skill, ...] = (
    Skill("forward", "Forward values", "Evaluate each node from its operands, inputs first.", "trace", "02"),
    Skill("value-vs-gradient", "Value versus gradient",
          "A gradient dL/dx says how fast L changes with x; it is not x's value.", "trace", "02"),
    Skill("local-add", "Add", "∂(a + b)/∂a = 1 and ∂(a + b)/∂b = 1: a sum copies the gradient.", "trace", "03"),
    Skill("local-sub", "Subtract and negate", "∂(a − b)/∂a = 1, ∂(a − b)/∂b = −1, ∂(−a)/∂a = −1.", "trace", "03"),
    Skill("local-mul", "Multiply", "∂(a·b)/∂a = b: the other factor.", "trace", "03"),
    Skill("local-div", "Divide", "∂(a/b)/∂a = 1/b and ∂(a/b)/∂b = −a/b².", "trace", "03"),
    Skill("local-pow", "Power", "∂(xⁿ)/∂x = n·xⁿ⁻¹ for a constant n.", "trace", "03"),
    Skill("local-exp", "Exp", "∂exp(x)/∂x = exp(x), the node's own value.", "trace", "03"),
    Skill("local-log", "Log", "∂log(x)/∂x = 1/x.", "trace", "03"),
    Skill("local-tanh", "Tanh", "∂tanh(x)/∂x = 1 − t² with t = tanh(x), the output.", "trace", "04"),
    Skill("local-sigmoid", "Sigmoid", "∂σ(x)/∂x = s·(1 − s) with s = σ(x), the output.", "trace", "04"),
    Skill("local-relu", "ReLU", "∂relu(x)/∂x is 1 when x > 0 and 0 otherwise.", "trace", "04"),
    Skill("upstream", "Multiply by the upstream gradient",
          "dL/dx = dL/dz · ∂z/∂x: the local derivative times the gradient arriving from above.", "trace", "02"),
    Skill("local-factor", "Multiply by the local derivative",
          "Passing dL/dz down to x needs the factor ∂z/∂x; the upstream gradient alone is not enough.",
          "trace", "02"),
    Skill("fan-out", "Sum over paths", "A node that feeds several nodes gets one term per path: grad +=.",
          "trace", "05"),
    Skill("repeated-operand", "A variable used twice in one op",
          "x·x has two slots holding x: ∂(x·x)/∂x = x + x, one term per slot.", "trace", "05"),
    Skill("signs", "Signs", "Count every minus sign on the way back: subtraction, negation, a/b².", "trace", "03"),
    Skill("neuron", "A neuron", "z = w·x + b, a = f(z): dL/dw = dL/dz · x and dL/db = dL/dz.", "trace", "04"),
    Skill("loss-mse", "Squared error", "L = (y − t)²: dL/dy = 2(y − t).", "trace", "06"),
    Skill("loss-bce", "Binary cross-entropy", "L = −log(p) with p = σ(z): dL/dz = p − t.", "trace", "06"),
    Skill("loss-softmax-ce", "Softmax cross-entropy", "L = −log softmax(s)_t: dL/ds = p − onehot(t).", "trace", "06"),
    Skill("layer-dw", "Weight gradient of a layer", "dL/dW = δ · xᵀ: the layer's delta times its input, transposed.",
          "layer", "06b"),
    Skill("layer-dx", "Gradient into a layer's input", "dL/dx = Wᵀ · δ: back through the transpose of W.",
          "layer", "06b"),
    Skill("layer-relu-mask", "The ReLU mask", "dL/dz = dL/da ⊙ [z > 0]: the gradient stops where z ≤ 0.",
          "layer", "06b"),
    Skill("layer-bias", "Bias gradient", "dL/db = δ: the bias gets the layer's delta unchanged.", "layer", "06b"),
    Skill("layer-shapes", "Shapes", "A gradient has the shape of what it is the gradient of (dL/dW is W's shape).",
          "layer", "06b"),
)
SKILL_IDS: tuple[str, ...] = tuple(skill.id for skill in SKILLS)
SKILLS_BY_ID: dict[str, Skill] = {skill.id: skill for skill in SKILLS}

# The local-derivative skill of each graph op (neg is a subtraction from 0).
OP_SKILLS: dict[str, str] = {
    "add": "local-add", "sub": "local-sub", "neg": "local-sub", "mul": "local-mul", "div": "local-div",
    "pow": "local-pow", "exp": "local-exp", "log": "local-log", "tanh": "local-tanh", "sigmoid": "local-sigmoid",
    "relu": "local-relu",
}

# Diagnosis id -> the skills it may reveal, most likely first. The graph ids and the layer ids
# share some names (missing-upstream, wrong-operand, ...), so the layer meaning is kept apart.
DIAGNOSIS_SKILLS: dict[str, tuple[str, ...]] = {
    "value-for-grad": ("value-vs-gradient",),
    "missing-upstream": ("upstream",),
    "missing-inner-derivative": ("local-factor",),
    "missing-path": ("fan-out", "repeated-operand"),
    "wrong-operand": ("local-mul",),
    "power-rule": ("local-pow",),
    "activation-derivative": ("local-tanh", "local-sigmoid", "local-relu", "local-exp", "local-log"),
    "sign-flip": ("signs", "local-sub", "local-div", "forward"),
}
LAYER_DIAGNOSIS_SKILLS: dict[str, tuple[str, ...]] = {
    "missing-relu-mask": ("layer-relu-mask",),
    "missing-upstream": ("upstream", "loss-softmax-ce"),
    "wrong-operand": ("layer-dw", "layer-dx"),
    "activation-derivative": ("local-tanh", "local-sigmoid"),
    "sign-flip": ("signs",),
    "transposed": ("layer-shapes",),
    "wrong-shape": ("layer-shapes",),
    "batch-not-summed": ("layer-dw", "layer-bias"),
    "missing-batch-mean": ("upstream",),
    "sum-for-mean": ("layer-dw", "layer-bias"),
    "mean-for-sum": ("layer-dw", "layer-bias"),
}


# The code exercises' diagnoses (tutor.exercises: the mutant engines' ids, then the checker's own)
# -> the skill the bug reveals. A backward that assigns instead of adding loses a path at every
# fan-out, x*x included; a topological sort that lists a node twice runs its rule twice, the same
# sum over paths gone wrong; no seed is dL/dL = 1 forgotten; a backward not run in reverse order
# uses an upstream gradient before it is complete. Four ids are not a gradient rule at all (the
# file did not run; clipping, a gradient check's relative error, an XOR training that did not get
# there): no skill is in the vocabulary for them, so they map to none and give no events.
# "wrong-gradient" is a difference no mutant explains: counted against the exercise's skills.
CODE_DIAGNOSIS_SKILLS: dict[str, tuple[str, ...]] = {
    **{f"assign-{op}": ("fan-out",) for op in OP_SKILLS},
    **{f"missing-upstream-{op}": ("upstream",) for op in OP_SKILLS},
    "mul-own-value": ("local-mul",),
    "tanh-from-input": ("local-tanh",),
    "pow-without-n": ("local-pow",),
    "pow-without-n-minus-1": ("local-pow",),
    "sub-sign": ("local-sub",),
    "div-sign": ("local-div",),
    "neg-sign": ("local-sub",),
    "topo-visits-twice": ("fan-out",),
    "no-seed": ("value-vs-gradient",),
    "not-reversed": ("upstream",),
    "wrong-gradient": (),
    "runtime-error": (),
    "clipping-wrong": (),
    "gradcheck-wrong": (),
    "xor-wrong": (),
}
CODE_UNDIAGNOSED = "wrong-gradient"


def code_exercise_skills(ops: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """The skills a code exercise checking ``ops`` on graphs exercises (its checks pass values through
    every op, multiply by out.grad and add at fan-outs); none for the exercises that are not graphs."""
    if not ops:
        return ()
    return tuple(dict.fromkeys([*(OP_SKILLS[op] for op in ops if op in OP_SKILLS), "upstream", "fan-out"]))


def code_run_skills(diagnosis: str | None, ops: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """The skills a failed code run with ``diagnosis`` counts against (empty: it says nothing about one)."""
    if diagnosis == CODE_UNDIAGNOSED:
        return code_exercise_skills(ops)
    return CODE_DIAGNOSIS_SKILLS.get(diagnosis or "", ())


class UnknownSkill(ValueError):
    """A skill id that is not in :data:`SKILL_IDS`."""


def skill(skill_id: str) -> Skill:
    if skill_id not in SKILLS_BY_ID:
        from difflib import get_close_matches

        close = get_close_matches(skill_id, SKILL_IDS, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise UnknownSkill(f"no skill {skill_id!r}{hint}; the skills are: {', '.join(SKILL_IDS)}")
    return SKILLS_BY_ID[skill_id]


def skills_for_diagnosis(diagnosis: str | None, layer: bool = False) -> tuple[str, ...]:
    """Every skill ``diagnosis`` may reveal (empty for an author's own mistake id or None)."""
    table = LAYER_DIAGNOSIS_SKILLS if layer or diagnosis in ("missing-relu-mask", "transposed", "wrong-shape") \
        else DIAGNOSIS_SKILLS
    return table.get(diagnosis or "", ())


# ---------------------------------------------------------------------------- graph entries


def _ask_parts(ask: str) -> tuple[str, str, str | None]:
    kind, _, rest = ask.partition(":")
    if kind == "layer":
        return kind, rest, None  # a layer quantity's name has its own slash: dL/dW1
    node, _, operand = rest.partition("/")
    return kind, node, operand or None


def _reachable(graph: Any, node: str) -> list[str]:
    """``node`` and every node computed from it, nearest first."""
    seen = [node]
    index = 0
    while index < len(seen):
        for edge in graph.edges_out_of(seen[index]):
            if edge.target not in seen:
                seen.append(edge.target)
        index += 1
    return seen


def _path_edges(graph: Any, node: str) -> list[Any]:
    return [edge for source in _reachable(graph, node) for edge in graph.edges_out_of(source)]


def _fan_out_skills(graph: Any, sources: list[str]) -> set[str]:
    found: set[str] = set()
    for source in sources:
        targets = [edge.target for edge in graph.edges_out_of(source)]
        if len(set(targets)) > 1:
            found.add("fan-out")
        if len(set(targets)) < len(targets):
            found.add("repeated-operand")
    return found


def _sign_skills(graph: Any, edges: list[Any]) -> list[str]:
    found = []
    for edge in edges:
        op = graph.nodes[edge.target].op
        if op == "neg" or (op == "sub" and edge.slot == 1):
            found.append("local-sub")
        elif op == "div" and edge.slot == 1:
            found.append("local-div")
    return found


def entry_skills(graph: Any, ask: str) -> tuple[str, ...]:
    """The skills a right answer to ``ask`` on ``graph`` (a ComputationalGraph) exercises, in a stable order."""
    kind, node, operand = _ask_parts(ask)
    if kind == "value":
        return ("forward",)
    found: list[str] = []
    if kind == "local":
        edges = [edge for edge in graph.edges_into(node) if edge.source == operand]
        found.append(OP_SKILLS[graph.nodes[node].op])
        if len(edges) > 1:
            found.append("repeated-operand")
        found += _sign_skills(graph, edges)
        return tuple(dict.fromkeys(found))
    # grad: and derivative: follow every path from the node to the output.
    if node == graph.output:
        return ("value-vs-gradient",)
    edges = _path_edges(graph, node)
    found.append("value-vs-gradient")
    found += [OP_SKILLS[graph.nodes[edge.target].op] for edge in edges]
    if any(edge.target != graph.output for edge in graph.edges_out_of(node)) or kind == "derivative":
        found += ["upstream", "local-factor"]
    found += sorted(_fan_out_skills(graph, _reachable(graph, node)))
    if _sign_skills(graph, edges):
        found.append("signs")
    return tuple(skill_id for skill_id in dict.fromkeys(found) if skill_id in SKILLS_BY_ID)


def skill_for_diagnosis(diagnosis: str | None, ask: str, graph: Any | None = None,
                        activation: str | None = None) -> str | None:
    """The one skill a wrong answer with ``diagnosis`` to ``ask`` reveals, read off the learner's own graph.

    ``graph`` is the ComputationalGraph for graph asks; for ``layer:`` asks pass ``graph=None`` and
    the network's hidden ``activation`` (relu, tanh, sigmoid or None). None for an author's mistake id.
    """
    kind, node, operand = _ask_parts(ask)
    if kind == "layer":
        return _layer_skill_for_diagnosis(diagnosis, node, activation)
    candidates = skills_for_diagnosis(diagnosis)
    if not candidates:
        return None
    if graph is None or len(candidates) == 1:
        return candidates[0]
    if kind == "local":
        edges = [edge for edge in graph.edges_into(node) if edge.source == operand]
    else:
        edges = _path_edges(graph, node)
    if diagnosis == "missing-path":
        if kind == "local":
            return "repeated-operand"
        found = _fan_out_skills(graph, _reachable(graph, node))
        return "fan-out" if "fan-out" in found or not found else "repeated-operand"
    if diagnosis == "activation-derivative":
        for edge in edges:  # the activation nearest the asked node is the first the learner applies
            op_skill = OP_SKILLS[graph.nodes[edge.target].op]
            if op_skill in candidates:
                return op_skill
        return candidates[0]
    # sign-flip
    if kind == "value":
        return "forward"
    signs = _sign_skills(graph, edges)
    return signs[0] if len(set(signs)) == 1 else "signs"


def _layer_skill_for_diagnosis(diagnosis: str | None, name: str, activation: str | None) -> str | None:
    candidates = skills_for_diagnosis(diagnosis, layer=True)
    if not candidates:
        return None
    if diagnosis == "wrong-operand":
        return "layer-dw" if name.startswith("dL/dW") else "layer-dx"
    if diagnosis == "missing-upstream":
        return "upstream"
    if diagnosis == "activation-derivative":
        return "local-sigmoid" if activation == "sigmoid" else "local-tanh"
    return candidates[0]


def layer_entry_skills(name: str, activation: str | None = None, loss: str = "mse",
                       last_gradient: str | None = None) -> tuple[str, ...]:
    """The skills a layer quantity (``z1``, ``dL/dW1``, ...) exercises.

    ``last_gradient`` is the name of the output's gradient (``dL/dz2``), which is the loss rule.
    """
    if not name.startswith("dL/d"):
        return ("forward",)
    found = ["layer-shapes"]
    if name == last_gradient:
        found.append("loss-softmax-ce" if loss == "softmax_ce" else "loss-mse")
    elif name.startswith("dL/dW"):
        found += ["layer-dw", "upstream"]
    elif name.startswith("dL/db"):
        found.append("layer-bias")
    elif name.startswith("dL/dz"):
        found += [{"relu": "layer-relu-mask", "tanh": "local-tanh", "sigmoid": "local-sigmoid"}.get(
            activation or "", "upstream"), "upstream"]
    else:
        found += ["layer-dx", "upstream"]
    return tuple(dict.fromkeys(found))


def all_diagnosis_ids() -> tuple[str, ...]:
    """Every diagnosis id the checker can produce (graph and layer)."""
    return tuple(dict.fromkeys(BUILTIN_DIAGNOSES + ALL_LAYER_DIAGNOSES))
