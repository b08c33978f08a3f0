"""Generated practice problems: a fresh graph to trace for a skill at a level 1–5, from a seed.

``generate(skill, level, seed)`` returns a :class:`Generated` problem — a ``trace`` problem (a
scalar program and its input values), an ``ask`` problem (one formula ``derivative:x``, with
``kind="formula"``) or, for the layer skills, a ``layer`` problem (a small network) — that has
been checked before it is returned, with the machinery ``validate`` uses:

* the graph builds, so the engine and sympy agree on every value and local derivative;
* every value and gradient is finite and of hand-traceable size; inputs are pairwise distinct;
  no ReLU input is 0 (its slope is undefined there), no log of a number near 0, no division by a
  number near 0 (the builder only picks such ops when the operand allows them);
* no built-in diagnosis gives the right answer for any entry (``coinciding_mistakes``), so a
  learner who makes a known mistake is never marked right;
* the expected answer of every entry grades correct through :func:`tutor.packs.grading.grade_answer`,
  the one route lessons, reviews and ``validate`` use;
* at levels 1–3 the drawn graph fits beside the table in an 80×24 terminal.

The level sets the size and mix: one op on small integers at level 1; two or three ops at level 2;
activations, halves and a few more nodes at level 3; fan-out and decimals at level 4; up to about
25 nodes with fan-out, several activations and a loss at level 5.

A candidate that fails a check is dropped and the next sub-seed is tried; after
:data:`ATTEMPT_BUDGET` candidates :class:`GenerationFailed` is raised (never an endless loop).
Everything is deterministic: the same (skill, level, seed, kind) always gives the same problem.
"""

from __future__ import annotations

import gc
import math
import random
from dataclasses import dataclass, field
from typing import Any

from tutor.practice.skills import SKILL_IDS, SKILLS_BY_ID, skill

LEVELS = (1, 2, 3, 4, 5)
ATTEMPT_BUDGET = 100  # candidates; the float screen makes most rejections cost about a millisecond
MAX_MAGNITUDE = {1: 100, 2: 200, 3: 500, 4: 1000, 5: 2000}
# The trace workspace: the graph is drawn beside the table, so it gets part of an 80×24 screen.
WORKSPACE_WIDTH = 80
WORKSPACE_HEIGHT = 24


# How far apart a built-in mistake must be from the right answer and from any other mistake:
# ten times the default grading tolerance (rel 1e-3), so a value typed to four digits can't round across.
SEPARATION_REL = 1e-2
SEPARATION_ABS = 1e-6


# Smaller than any number a generated problem asks for: a value or gradient this close to 0 is a 0
# that float rounding hid.
_ZERO_NOISE = 1e-9


class GenerationFailed(RuntimeError):
    """No valid problem within the attempt budget (rare; counted by the benchmark)."""


class BadRequest(ValueError):
    """An unknown skill, a level out of range or a kind the skill has no generator for."""


@dataclass
class Generated:
    skill: str
    level: int
    seed: int
    kind: str  # "trace" | "formula" | "layer"
    program: str = ""
    at: dict[str, float] = field(default_factory=dict)
    asks: list[str] = field(default_factory=list)
    network: dict[str, Any] | None = None
    attempts: int = 1  # candidates tried before this one passed (for the benchmark's rejection rate)
    # The builder's ops (node, op, operands), for the float screen before the graph is built; not part of
    # the problem (to_json leaves it out), and None for a problem made elsewhere.
    structure: list[tuple[str, str, list[Any]]] | None = field(default=None, repr=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        record: dict[str, Any] = {"skill": self.skill, "level": self.level, "seed": self.seed, "kind": self.kind,
                                  "program": self.program,
                                  # 3 rather than 3.0: the numbers a learner reads
                                  "at": {name: int(value) if float(value).is_integer() else value
                                         for name, value in self.at.items()},
                                  "asks": list(self.asks)}
        if self.network is not None:
            record["network"] = self.network
        return record

    def pack_problem(self) -> Any:
        """The problem as a lesson-pack problem model, so the UI and the grading route take it as is."""
        from tutor.packs.models import AskProblem, LayerProblem, TraceProblem

        base = {"id": f"practice-{self.skill}-{self.level}-{self.seed}", "title": SKILLS_BY_ID[self.skill].title,
                "prompt": _prompt(self), "tags": [self.skill]}
        if self.kind == "layer":
            return LayerProblem(kind="layer", network=self.network, **base)
        if self.kind == "formula":
            return AskProblem(kind="ask", program=self.program, at=dict(self.at), ask=self.asks[0], **base)
        return TraceProblem(kind="trace", program=self.program, at=dict(self.at), **base)

    def rendered(self) -> Any:
        from tutor.packs.variants import render_problem

        return render_problem(self.pack_problem(), 0)


def _prompt(problem: Generated) -> str:
    rule = SKILLS_BY_ID[problem.skill].rule
    if problem.kind == "layer":
        return f"Trace the network forward, then back. Rule in play: {rule}"
    if problem.kind == "formula":
        return f"Write the derivative as a formula of the inputs. Rule in play: {rule}"
    return f"Fill in the forward values, then the gradients. Rule in play: {rule}"


def kinds_for(skill_id: str) -> tuple[str, ...]:
    if SKILLS_BY_ID[skill_id].kind == "layer":
        return ("layer",)
    if skill_id == "local-relu":
        # relu's slope as a formula is a step function, which the answer language can't write and
        # the checker refuses (Problem._check_derivative_is_writable): relu is practised by tracing.
        return ("trace",)
    return ("trace", "formula")


def check_request(skill_id: str, level: int, kind: str | None = None) -> str:
    """The kind to generate; BadRequest with a clear message when the request is unusable."""
    try:
        skill(skill_id)
    except ValueError as error:
        raise BadRequest(str(error)) from None
    if isinstance(level, bool) or not isinstance(level, int) or level not in LEVELS:
        raise BadRequest(f"level must be a whole number from 1 to 5, not {level!r}")
    kinds = kinds_for(skill_id)
    chosen = kind or kinds[0]
    if chosen not in kinds:
        raise BadRequest(f"skill {skill_id} is practised as {' or '.join(kinds)}, not {chosen}")
    if chosen == "formula" and level > 3:
        raise BadRequest("formula asks go up to level 3 (a longer formula is a trace's job)")
    return chosen


def generate(skill_id: str, level: int, seed: int, kind: str | None = None,
             budget: int = ATTEMPT_BUDGET, symbolic: bool = False) -> Generated:
    """A checked problem for ``skill_id`` at ``level`` from ``seed``; GenerationFailed past the budget.

    ``symbolic=True`` also builds each candidate with sympy (see :func:`check_problem`): the same
    problem comes out, only slower; the command line uses it, the tutor builds it when it shows it.
    """
    chosen = check_request(skill_id, level, kind)
    # Each checked candidate leaves cyclic garbage (the checker's rules close over it). With the cycle
    # collector running, the allocations trigger collections mid-search, some of them full ones over
    # every object of the process (sympy's included), which were most of the slowest level-5 searches.
    # So it is paused for the search and the young generations are collected once at the end (timed
    # with the search by the benchmark): level 5 CPU p95 43 -> 29 ms, the same problems.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _search(skill_id, level, seed, chosen, budget, symbolic)
    finally:
        if collecting:
            gc.enable()
            gc.collect(1)


def _search(skill_id: str, level: int, seed: int, chosen: str, budget: int, symbolic: bool) -> Generated:
    reasons: dict[str, int] = {}
    for attempt in range(budget):
        rng = random.Random(f"{skill_id}:{level}:{seed}:{chosen}:{attempt}")
        try:
            if chosen == "layer":
                candidate = _layer_candidate(skill_id, level, seed, rng)
            else:
                candidate = _graph_candidate(skill_id, level, seed, chosen, rng)
        except _Reject as reject:
            reasons[reject.reason] = reasons.get(reject.reason, 0) + 1
            continue
        problem_reason = check_problem(candidate, symbolic)
        if problem_reason is None:
            candidate.attempts = attempt + 1
            return candidate
        reasons[problem_reason] = reasons.get(problem_reason, 0) + 1
    summary = ", ".join(f"{reason} ×{count}" for reason, count in sorted(reasons.items()))
    raise GenerationFailed(f"no valid {chosen} problem for {skill_id} at level {level} (seed {seed}) in "
                           f"{budget} tries: {summary}")


class _Reject(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# ---------------------------------------------------------------------------- numbers


def _number_pool(level: int) -> list[float]:
    integers = [n for n in range(-3, 4) if n != 0]
    if level <= 2:
        return [float(n) for n in integers]
    halves = [n / 2 for n in range(-6, 7) if n % 2 and n != 0]
    pool = [float(n) for n in integers] + halves
    if level >= 4:
        pool += [0.2, -0.4, 0.6, 1.2, -1.5, 2.5]
    return sorted(set(pool))


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


# ---------------------------------------------------------------------------- scalar graphs


_ACTIVATION_SKILLS = {"local-tanh": "tanh", "local-sigmoid": "sigmoid", "local-relu": "relu",
                      "local-exp": "exp", "local-log": "log"}
_BINARY_SKILLS = {"local-add": "+", "local-sub": "-", "local-mul": "*", "local-div": "/"}
_FILLER_OPS = {1: ("+", "*"), 2: ("+", "-", "*"), 3: ("+", "-", "*", "/", "^", "tanh", "relu", "sigmoid"),
               4: ("+", "-", "*", "/", "^", "tanh", "relu", "sigmoid", "exp"),
               5: ("+", "-", "*", "/", "^", "tanh", "relu", "sigmoid", "exp", "log")}
# How many ops the program has beyond its focus, per level (lowest, highest).
_EXTRA_OPS = {1: (0, 0), 2: (1, 2), 3: (1, 3), 4: (4, 7), 5: (7, 12)}


_OP_NAMES = {"+": "add", "-": "sub", "*": "mul", "/": "div"}


def _neg_log(operand: str) -> list[tuple[str, list[Any]]]:
    return [("log", [operand]), ("neg", [None])]


class _Builder:
    """Writes a program one statement at a time, tracking each name's value to keep ops in their domain."""

    def __init__(self, level: int, rng: random.Random, formula: bool = False) -> None:
        self.level = level
        self.formula = formula  # a formula ask: no relu anywhere (its slope can't be written as a formula)
        self.rng = rng
        self.values: dict[str, float] = {}
        self.inputs: dict[str, float] = {}
        self.statements: list[str] = []
        self.structure: list[tuple[str, str, list[Any]]] = []  # (node, op, operands) per op, for _float_screen
        self.used: dict[str, int] = {}
        self.depth: dict[str, int] = {}  # columns from the inputs: the drawn graph's width
        self.functions: dict[str, str] = {}  # name -> the function that made it, to avoid tanh(sigmoid(...))
        self.counter = 0
        # Single letters a learner reads easily; not e (the constant) and not the loss's own names.
        self.input_names = iter("abcdfghkmnpqruv")

    def new_input(self, name: str | None = None, positive: bool = False, value: float | None = None,
                  sign_of: float | None = None) -> str:
        """A new input; ``positive`` draws a value > 0, ``sign_of`` one with the sign of that number."""
        while name is None or name in self.values:
            name = next(self.input_names, None)
            if name is None:
                raise _Reject("out of input names")
        if value is None:
            pool = [v for v in _number_pool(self.level) if v not in self.inputs.values() and (v > 0 or not positive)
                    and (sign_of is None or v * sign_of > 0)]
            if not pool:
                raise _Reject("no distinct input value left")
            value = self.rng.choice(pool)
        self.inputs[name] = value
        self.values[name] = value
        self.depth[name] = 0
        return name

    def emit(self, text: str, value: float, operands: list[str], name: str | None = None, nodes: int = 1,
             structure: list[tuple[str, list[Any]]] | None = None) -> str:
        """One statement. ``structure`` is its ops for the float screen, innermost first: (op, operands) with
        a node name or a number per operand, and None for the previous op of the same statement."""
        if not math.isfinite(value) or abs(value) > MAX_MAGNITUDE[self.level]:
            raise _Reject("value too large")
        if value == 0:
            raise _Reject("a value is 0")  # "flip the sign" would give the right 0: the checker rejects it anyway
        if name is None:
            self.counter += 1
            name = f"z{self.counter}"
        self.statements.append(f"{name} = {text}")
        parts = structure or []
        for index, (op, arguments) in enumerate(parts):
            made = name if index == len(parts) - 1 else f"{name}.{index}"
            self.structure.append((made, op, [f"{name}.{index - 1}" if argument is None else argument
                                              for argument in arguments]))
        self.values[name] = value
        self.depth[name] = max(self.depth[operand] for operand in operands) + nodes
        for operand in operands:
            self.used[operand] = self.used.get(operand, 0) + 1
        return name

    def unary(self, function: str, operand: str) -> str:
        x = self.values[operand]
        if function == "relu":
            # A negative input makes relu's output 0, and a 0 is also what "flip the sign" gives, so a dead
            # relu can't be asked without a built-in mistake coinciding; its input stays clear of 0 too.
            if x < 0.25 or x == 1:
                raise _Reject("relu input not positive")  # or 1: "the slope is the input" would be right
            value = max(x, 0.0)
        elif function == "tanh":
            # A saturated tanh or sigmoid (0.99999...) is within the tolerance of 1, so "flip the sign"
            # would be read as "gave the value"; it is also no fun to trace by hand.
            if abs(x) > 3:
                raise _Reject("activation saturated")
            value = math.tanh(x)
        elif function == "sigmoid":
            if abs(x) > 4:
                raise _Reject("activation saturated")
            value = 1 / (1 + math.exp(-x))
        elif function == "exp":
            if x == 1:
                raise _Reject("exp input 1")  # x·exp(x − 1), the power-rule slip, equals exp(x) there
            if x > 3:
                raise _Reject("exp input too large")
            value = math.exp(x)
        elif function == "log":
            if x < 0.2:
                raise _Reject("log of a non-positive number")
            value = math.log(x)
        else:
            raise AssertionError(function)
        made = self.emit(f"{function}({operand})", value, [operand], structure=[(function, [operand])])
        self.functions[made] = function
        return made

    def binary(self, op: str, left: str, right: str) -> str:
        a, b = self.values[left], self.values[right]
        if op == "+":
            value = a + b
        elif op == "-":
            value = a - b
        elif op == "*":
            value = a * b
        elif op == "/":
            if abs(b) < 0.5:
                raise _Reject("division by a number near 0")
            value = a / b
        else:
            raise AssertionError(op)
        return self.emit(f"{left} {op} {right}", value, [left, right], structure=[(_OP_NAMES[op], [left, right])])

    def power(self, base: str, exponent: int) -> str:
        value = self.values[base] ** exponent
        return self.emit(f"{base}^{exponent}", value, [base], structure=[("pow", [base, float(exponent)])])

    def filler(self, op: str, pool: list[str]) -> str:
        """One more op on names from ``pool``; an op that would leave the domain (a 0, a division by
        almost 0, a dead relu) is swapped for another a few times before the candidate is dropped, so a
        long level-5 chain does not fail on one unlucky step."""
        for tries in range(4):
            saved = (dict(self.inputs), dict(self.values), dict(self.depth))
            try:
                return self._filler_once(op, pool)
            except _Reject:
                if tries == 3:
                    raise
                self.inputs, self.values, self.depth = saved  # forget an input the failed op drew
                op = self.rng.choice(_FILLER_OPS[self.level])
        raise AssertionError("unreachable")

    def _filler_once(self, op: str, pool: list[str]) -> str:
        """One more op on names from ``pool``, preferring the newest (a chain) and, at level 4+, an older one."""
        newest = pool[-1]
        if op == "relu" and (self.formula or self.values[newest] < 0.25):
            op = "tanh"
        if op in ("tanh", "relu", "sigmoid", "exp", "log") and newest in self.functions:
            op = self.rng.choice(("+", "-", "*"))  # one activation straight after another reads as noise
        if op in ("tanh", "relu", "sigmoid", "exp", "log"):
            return self.unary(op, newest)
        if op == "^":
            return self.power(newest, self.rng.choice((2, 2, 3)) if self.level >= 4 else 2)
        others = [name for name in pool if name != newest]
        if others and (self.level >= 4 or self.rng.random() < 0.5):
            other = self.rng.choice(others)
        else:
            other = self.new_input()
        left, right = (newest, other) if self.rng.random() < 0.6 else (other, newest)
        return self.binary(op, left, right)

    def finish(self, output: str) -> tuple[str, dict[str, float]]:
        """Rename the last node to L, after folding every node nobody uses into the output."""
        dangling = [name for name in self.values if name not in self.inputs and name != output
                    and not self.used.get(name)]
        for name in dangling:
            output = self.binary("+", output, name)
        if self.level <= 3 and max(self.depth.values()) > 4:
            raise _Reject("graph too big for 80x24")  # cheap, before building: at most five columns of boxes
        last = self.statements[-1]
        if not last.startswith(f"{output} = "):
            raise AssertionError("the output is the last statement")
        self.statements[-1] = "L = " + last.split(" = ", 1)[1]
        node, op, operands = self.structure[-1]
        self.structure[-1] = ("L", op, operands)
        return "; ".join(self.statements), dict(self.inputs)


def _focus(skill_id: str, builder: _Builder) -> list[str]:
    """The statements that exercise ``skill_id``; returns the names made (the newest last)."""
    rng = builder.rng
    level = builder.level
    if skill_id in _BINARY_SKILLS:
        op = _BINARY_SKILLS[skill_id]
        a, b = builder.new_input(), builder.new_input()
        return [builder.binary(op, a, b)]
    if skill_id == "local-pow":
        return [builder.power(builder.new_input(), rng.choice((2, 3)) if level >= 2 else 2)]
    if skill_id in _ACTIVATION_SKILLS:
        function = _ACTIVATION_SKILLS[skill_id]
        # relu is asked live only (a dead one makes "flip the sign" right), so its input is drawn positive:
        # a positive input at level 1, two factors of one sign after that. Drawn any sign, half the
        # candidates were dropped and a few seeds ran out of their budget (local-relu 2, seed 10).
        a = builder.new_input(positive=function in ("log", "relu") and level == 1 or function == "log")
        if level == 1:
            return [builder.unary(function, a)]
        b = builder.new_input(positive=function == "log",
                              sign_of=builder.values[a] if function == "relu" else None)
        inner = builder.binary("*" if function != "log" else "+", a, b)
        if function == "relu":
            # A live relu's output equals its input and its slope is 1, so dL/dz1 = dL/dz2 and "left out
            # relu's slope" would be right unless z1 has a second path; a product or difference of the two
            # makes other slips right (z1*z2: "used the operand itself"; z2 - z1 = 0). So the second path
            # is a sum: z3 = z2 + z1.
            live = builder.unary(function, inner)
            pair = (live, inner) if rng.random() < 0.5 else (inner, live)
            return [inner, live, builder.binary("+", *pair)]
        return [inner, builder.unary(function, inner)]
    if skill_id in ("upstream", "local-factor", "value-vs-gradient", "forward"):
        a, b = builder.new_input(), builder.new_input()
        first = builder.binary(rng.choice(("*", "+", "-")), a, b)
        return [first, builder.power(first, 2) if level <= 2 else builder.binary("*", first, builder.new_input())]
    if skill_id == "fan-out":
        a, b, c = builder.new_input(), builder.new_input(), builder.new_input()
        left = builder.binary("*", a, b)
        right = builder.binary(rng.choice(("+", "-")), a, c)
        return [left, right, builder.binary("*", left, right)]
    if skill_id == "repeated-operand":
        a = builder.new_input()
        square = builder.binary("*", a, a)
        if level == 1:
            return [square]
        return [square, builder.binary(rng.choice(("+", "*")), square, builder.new_input())]
    if skill_id == "signs":
        a, b = builder.new_input(), builder.new_input()
        difference = builder.binary("-", a, b)
        negated = builder.emit(f"-{difference}", -builder.values[difference], [difference],
                               structure=[("neg", [difference])])
        return [difference, negated]
    if skill_id == "neuron":
        x, w, bias = builder.new_input("x"), builder.new_input("w"), builder.new_input("b")
        product = builder.binary("*", w, x)
        if level >= 4:
            x2, w2 = builder.new_input("x2"), builder.new_input("w2")
            product = builder.binary("+", product, builder.binary("*", w2, x2))
        z = builder.binary("+", product, bias)
        activations = ("tanh", "sigmoid") if level < 3 or builder.formula else ("tanh", "sigmoid", "relu")
        # Only an activation that z's value allows (not saturated, relu live and not at 1): drawn blind, a
        # third of level-5 neurons were dropped here and a few seeds ran out of their budget (seed 32).
        value = builder.values[z]
        allowed = [name for name in activations
                   if (name == "tanh" and abs(value) <= 3) or (name == "sigmoid" and abs(value) <= 4)
                   or (name == "relu" and value >= 0.25 and value != 1)]
        return [z, builder.unary(rng.choice(allowed or activations), z)]
    if skill_id == "loss-mse":
        y, t = builder.new_input("y"), builder.new_input("t")
        if level >= 2:
            w = builder.new_input("w")
            y = builder.binary("*", w, y)
        error = builder.binary("-", y, t)
        return [error, builder.power(error, 2)]
    if skill_id == "loss-bce":
        z = builder.new_input("z")
        if level >= 2:
            z = builder.binary("*", builder.new_input("w"), z)
        p = builder.unary("sigmoid", z)
        if rng.random() < 0.5:
            return [p, builder.emit(f"-log({p})", -math.log(builder.values[p]), [p], nodes=2,
                                    structure=_neg_log(p))]
        complement = builder.emit(f"1 - {p}", 1 - builder.values[p], [p], structure=[("sub", [1.0, p])])
        return [p, complement, builder.emit(f"-log({complement})", -math.log(builder.values[complement]),
                                            [complement], nodes=2, structure=_neg_log(complement))]
    if skill_id == "loss-softmax-ce" and level <= 3:
        # Two classes: softmax(s)_1 = σ(s1 − s2), so the loss fits an 80-column screen; the gradient is still p − t.
        s1, s2 = builder.new_input("s1"), builder.new_input("s2")
        difference = builder.binary("-", s1, s2) if rng.random() < 0.5 else builder.binary("-", s2, s1)
        p = builder.unary("sigmoid", difference)
        return [difference, p, builder.emit(f"-log({p})", -math.log(builder.values[p]), [p], nodes=2,
                                            structure=_neg_log(p))]
    if skill_id == "loss-softmax-ce":
        count = 2 if level <= 3 else 3
        logits = [builder.new_input(f"s{index + 1}") for index in range(count)]
        if level >= 3:
            x = builder.new_input("x")
            logits = [builder.binary("*", logit, x) for logit in logits]
        exps = [builder.unary("exp", logit) for logit in logits]
        total = exps[0]
        for other in exps[1:]:
            total = builder.binary("+", total, other)
        picked = exps[rng.randrange(count)]
        p = builder.binary("/", picked, total)
        return [*logits, *exps, p, builder.emit(f"-log({p})", -math.log(builder.values[p]), [p], nodes=2,
                                                structure=_neg_log(p))]
    raise AssertionError(f"no graph focus for {skill_id}")


def _graph_candidate(skill_id: str, level: int, seed: int, kind: str, rng: random.Random) -> Generated:
    builder = _Builder(level, rng, formula=kind == "formula")
    made = _focus(skill_id, builder)
    low, high = _EXTRA_OPS[level]
    if skill_id.startswith("loss-"):
        high = max(low, high - 4)  # the loss is already several nodes
    extra = rng.randint(low, high)
    if skill_id == "neuron" and level <= 3:
        extra = 0  # the neuron is already three or four ops wide
    if kind == "formula":
        extra = min(extra, 1)
    pool = list(made)
    ops = _FILLER_OPS[level]
    for _ in range(extra):
        if skill_id.startswith("loss-"):
            break  # the loss is the output: filler goes before it, which the focus already built
        pool.append(builder.filler(rng.choice(ops), pool))
    if level == 5 and not skill_id.startswith("loss-") and len(builder.statements) < 20:
        # Level 5 ends in a loss: squared error against a target of 1.
        pool.append(builder.emit(f"({pool[-1]} - 1)^2", (builder.values[pool[-1]] - 1) ** 2, [pool[-1]], nodes=2,
                                 structure=[("sub", [pool[-1], 1.0]), ("pow", [None, 2.0])]))
    program, at = builder.finish(pool[-1])
    problem = Generated(skill_id, level, seed, kind, program, at, structure=builder.structure)
    if kind == "formula":
        variable = rng.choice(sorted(at))
        problem.asks = [f"derivative:{variable}"]
    return problem


# ---------------------------------------------------------------------------- layers


def _layer_candidate(skill_id: str, level: int, seed: int, rng: random.Random) -> Generated:
    pool = [n for n in _number_pool(min(level, 3))]
    small = [-2, -1, 1, 2] if level <= 2 else pool

    def matrix(rows: int, columns: int) -> list[list[float]]:
        return [[rng.choice(small) for _ in range(columns)] for _ in range(rows)]

    inputs = 2 if level <= 3 else 3
    hidden = 2 if level <= 2 else 3
    layers: list[dict[str, Any]] = []
    activation = "relu" if skill_id == "layer-relu-mask" or level <= 2 else rng.choice(("relu", "tanh", "sigmoid"))
    if level == 1 and skill_id not in ("layer-relu-mask", "layer-dx"):
        layers.append({"linear": {"W": matrix(1, inputs), "b": [rng.choice(small)]}})
    else:
        layers.append({"linear": {"W": matrix(hidden, inputs), "b": [rng.choice(small) for _ in range(hidden)]}})
        layers.append({"activation": activation})
        layers.append({"linear": {"W": matrix(1 if level <= 3 else 2, hidden), "b": [0]}})
        if level > 3:
            layers[-1]["linear"]["b"] = [0, 0]
    x = rng.sample(small, inputs)
    outputs = len(layers[-1]["linear"]["W"])
    loss = "softmax_ce" if outputs > 1 and rng.random() < 0.5 else "mse"
    target: Any = rng.randrange(outputs) if loss == "softmax_ce" else [rng.choice(small) for _ in range(outputs)]
    network = {"layers": layers, "x": x, "target": target, "loss": loss}
    return Generated(skill_id, level, seed, "layer", network=network)


# ---------------------------------------------------------------------------- checking


def check_problem(problem: Generated, symbolic: bool = False) -> str | None:
    """None when ``problem`` passes every check (module docstring), else the first failing check's reason.

    ``symbolic=True`` also builds the graph with sympy (the build the tutor does when it shows the
    problem), so the engine, the checker's exact numbers and sympy are all compared.
    """
    if problem.kind == "layer":
        return _check_layer(problem)
    return _check_graph(problem, symbolic)


def _check_graph(problem: Generated, symbolic: bool = False) -> str | None:
    from tutor.check import RequestError, Tolerance, grade_answer, prepare_problem
    from tutor.check.asks import implementation
    from tutor.graph import GraphBuildError, build_graph
    from tutor.packs.grading import trace_entries

    if len(set(problem.at.values())) != len(problem.at):
        return "inputs not distinct"
    suspects: list[str] = []
    if problem.kind == "trace" and problem.structure is not None:
        # Before the graph is built (the build is most of a rejected candidate's cost).
        screened = _float_graph(problem.structure, problem.at)
        if screened is not None:
            certain, suspects = _float_screen(screened)
            if certain:
                return "a built-in mistake gives the right answer"
    # Formula asks need sympy's derivative, so they take the full (cached) build; a trace is
    # screened on the engine-only graph, whose numbers the checker recomputes exactly anyway.
    full = symbolic or problem.kind == "formula"
    try:
        if full:
            checker = prepare_problem(problem.program, problem.at)
            graph = checker.graph
        else:
            graph = build_graph(problem.program, problem.at, symbolic=False)
    except (RequestError, GraphBuildError, ValueError, RuntimeError):
        return "graph does not build"
    limit = MAX_MAGNITUDE[problem.level]
    for node in graph.nodes.values():
        if not (math.isfinite(node.value) and math.isfinite(node.grad)) or max(abs(node.value), abs(node.grad)) > limit:
            return "value or gradient too large"
        relu_input = node.operands[0].node_id if node.op == "relu" else None
        if node.op == "relu" and abs(graph.nodes[relu_input].value if relu_input is not None
                                     else node.operands[0].constant or 0) < 0.25:
            return "relu input at 0"
    # A 0 in floats or float noise around one (L = z2/z1 with z2 = z1*c: dL/db is 0 for every b, and the
    # engine's pass gives 1e-17): "flip the sign" would give the right answer, and a formula ask would be 0.
    if any(abs(node.value) < _ZERO_NOISE or (abs(node.grad) < _ZERO_NOISE and node_id != graph.output)
           for node_id, node in graph.nodes.items()):
        return "a value or gradient is 0"
    if problem.kind == "trace" and any(node.value == node.grad for node_id, node in graph.nodes.items()
                                       if node_id != graph.output):
        return "a value equals its gradient"
    if problem.kind == "trace" and _likely_coincidence(graph):
        return "a built-in mistake gives the right answer"
    if problem.level <= 3 and problem.kind == "trace":
        from tutor.render.layout import layout_for

        layout = layout_for(graph)
        if layout.width > WORKSPACE_WIDTH or layout.height > WORKSPACE_HEIGHT - 4:
            return "graph too big for 80x24"
    if not full:
        from tutor.practice.shared import SharedBackwardProblem

        try:
            checker = SharedBackwardProblem(graph)
        except (RuntimeError, ValueError):
            return "graph does not build"
    asks = problem.asks or trace_entries(problem.rendered(), graph)
    separation = Tolerance(rel=SEPARATION_REL, abs=SEPARATION_ABS)
    # Most rejected candidates fail on the gradient of an early node (many paths and edges, so many
    # wrong rules): those entries are checked first, so a candidate that fails is dropped sooner, and
    # before them the entries the float screen found a near coincidence on. The verdict does not
    # depend on the order (every entry must pass); only the time to a rejection does.
    ordered = [ask for ask in suspects if ask in asks]
    ordered += [ask for ask in reversed(asks) if ask not in ordered]
    for ask in ordered:
        try:
            parsed = checker.parse_ask(ask)
            if parsed.kind.value == "derivative":
                # Graded by the algebra worker: the property tests grade every formula's answer.
                if implementation(parsed.kind).coinciding(checker, parsed, separation, []):
                    return "a built-in mistake gives the right answer"
                continue
            reason = _number_ask_reason(checker, parsed, separation)
            if reason is not None:
                if reason == _NEEDS_GRADER:
                    expected = grade_answer(checker, ask, "0").expected
                    if grade_answer(checker, ask, expected).verdict == "correct":
                        continue
                    reason = "the expected answer does not grade correct"
                return reason
        except RequestError:
            return "the checker cannot grade an entry"
    problem.asks = list(asks)
    return None


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= max(SEPARATION_REL * max(abs(a), abs(b)), SEPARATION_ABS)


def _likely_coincidence(graph: Any) -> bool:
    """A float screen, before the checker, for the two commonest coincidences of large graphs (about half
    of the rejected level-5 candidates): a node's gradient within 1% of (but not equal to) a later node's
    ("left out the inner derivative" would be right), or a tanh/σ slope slip within 1% of its slope, on an
    operand used by that activation alone (its gradient would take the slip). Either is what the full check rejects; caught here it costs
    microseconds instead of building every wrong rule of every entry first."""
    children: dict[str, list[str]] = {node_id: [] for node_id in graph.nodes}
    for node_id, node in graph.nodes.items():
        for operand in node.inputs:
            children[operand].append(node_id)
    later: dict[str, set[str]] = {}
    for node_id in reversed(graph.order):
        found: set[str] = set()
        for child in children[node_id]:
            found.add(child)
            found |= later[child]
        later[node_id] = found
    for node_id, descendants in later.items():
        grad = graph.nodes[node_id].grad
        for other in descendants:
            other_grad = graph.nodes[other].grad
            # Equal up to float noise is a path whose derivative is exactly 1 (z2/z1 with z2 = z1*c): no slip there.
            if other != graph.output and _close(other_grad, grad) and not math.isclose(other_grad, grad, rel_tol=1e-9):
                return True
    for node in graph.nodes.values():
        if node.op not in ("tanh", "sigmoid") or not node.operands[0].is_node:
            continue
        if len(children[node.operands[0].node_id]) != 1:
            continue  # another path adds to the operand's gradient: the slip may be told apart there
        x, y = graph.nodes[node.operands[0].node_id].value, node.value
        if node.op == "tanh":
            slope, slips = 1 - y * y, (1 - x * x, 1 - y, y, 1 + y * y)
        else:
            slope, slips = y * (1 - y), (x * (1 - x), y, 1 - y, y * (1 + y))
        if any(_close(slip, slope) for slip in slips):
            return True
    return False


# The float screen's margins around the separation window (see _float_screen).
_CERTAIN_FRACTION = 0.9  # within 90% of the window: the exact numbers are inside it too
_SUSPECT_FRACTION = 1.5  # within 150%: maybe inside; that entry is checked exactly first
_IDENTITY_REL = 1e-7  # closer than this is the same function (an exact tie), left to the exact check


@dataclass
class _FloatOperand:
    node_id: str | None
    constant: float | None = None

    @property
    def is_node(self) -> bool:
        return self.node_id is not None


@dataclass
class _FloatNode:
    op: str
    operands: tuple[_FloatOperand, ...]
    value: float
    grad: float = 0.0
    is_input: bool = False


@dataclass
class _FloatEdge:
    source: str
    target: str
    slot: int
    local_grad: float


@dataclass
class _FloatGraph:
    """The builder's program as a graph of floats: the attributes of tutor.graph's graph the screen reads."""

    nodes: dict[str, _FloatNode]
    order: list[str]
    edges: list[_FloatEdge]
    output: str


def _float_graph(structure: list[tuple[str, str, list[Any]]], inputs: dict[str, float]) -> _FloatGraph | None:
    """Values, local derivatives and gradients in floats from the builder's ops (None off a domain).

    The numbers are the engine's own (tutor.engine.Value: its ops, local derivatives and backward pass),
    only without parsing a program or building the checked graph.
    """
    from tutor.engine import Value

    values: dict[str, Any] = {name: Value(float(value)) for name, value in inputs.items()}
    nodes: dict[str, _FloatNode] = {name: _FloatNode("input", (), float(value), is_input=True)
                                    for name, value in inputs.items()}
    order = list(inputs)
    edges: list[_FloatEdge] = []
    try:
        for name, op, arguments in structure:
            operands = tuple(_FloatOperand(argument) if isinstance(argument, str) else
                             _FloatOperand(None, float(argument)) for argument in arguments)
            made = _ENGINE_OPS[op](*(values[operand.node_id] if operand.node_id is not None
                                     else float(operand.constant or 0.0) for operand in operands))
            values[name] = made
            nodes[name] = _FloatNode(op, operands, made.data)
            order.append(name)
            # A number operand the engine kept as a child still has its slot; a number exponent has none.
            edges += [_FloatEdge(operand.node_id, name, slot, made.local_grads[slot])
                      for slot, operand in enumerate(operands) if operand.node_id is not None]
        output = order[-1]
        if not all(math.isfinite(node.value) for node in nodes.values()):
            return None  # an overflow (the engine's exp gives inf where math.exp raises)
        values[output].backward()
    except (ArithmeticError, ValueError, KeyError):
        return None
    for name, node in nodes.items():
        node.grad = values[name].grad
    return _FloatGraph(nodes, order, edges, output)


_ENGINE_OPS: dict[str, Any] = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b, "div": lambda a, b: a / b,
    "pow": lambda a, b: a ** b, "neg": lambda a: -a, "tanh": lambda a: a.tanh(), "sigmoid": lambda a: a.sigmoid(),
    "relu": lambda a: a.relu(), "exp": lambda a: a.exp(), "log": lambda a: a.log(),
}


def _float_screen(graph: Any) -> tuple[bool, list[str]]:
    """The checker's commonest wrong rules for every entry, in floats on the engine's numbers.

    For ``value:`` and ``grad:`` entries it computes what ``tutor.check.rules`` would: the value for
    the gradient and back, the chain stopped at a later node (missing-upstream), a later gradient given
    (missing-inner-derivative), a path left out or kept alone at a fan-out (missing-path), and every
    edge's local-derivative slips (wrong-operand, power-rule, activation-derivative, sign-flip), each as
    a closed form on the backward pass (the pass is linear in each edge's local derivative). Returns
    (certain, suspects): certain when a rule the checker surely tries (among the first
    MAX_RULES_PER_DIAGNOSIS of its kind, counting every candidate, not a chain factor of 1 here) lands
    well inside the separation window but is not the same number; suspects are the entries with a rule
    near the window, for the exact check to take first. A float screen in front of the exact one: about
    a millisecond against about ten for building and running every rule of a rejected candidate exactly.
    """
    from tutor.check.rules import MAX_RULES_PER_DIAGNOSIS

    nodes = graph.nodes
    order = graph.order
    output = graph.output
    position = {node_id: index for index, node_id in enumerate(order)}
    edges_into: dict[str, list[Any]] = {node_id: [] for node_id in order}
    edges_out: dict[str, list[Any]] = {node_id: [] for node_id in order}
    for edge in graph.edges:
        edges_into[edge.target].append(edge)
        edges_out[edge.source].append(edge)
    value = {node_id: float(node.value) for node_id, node in nodes.items()}
    grad = {node_id: float(node.grad) for node_id, node in nodes.items()}
    local = {(edge.target, edge.slot): float(edge.local_grad) for edge in graph.edges}
    # chain[f][n] = df/dn over every path (1 for n = f), by a float backward pass from each node.
    chain: dict[str, dict[str, float]] = {}
    for start in order:
        passing = {start: 1.0}
        for target in reversed(order[: position[start] + 1]):
            upstream = passing.get(target)
            if not upstream:
                continue
            for edge in edges_into[target]:
                passing[edge.source] = passing.get(edge.source, 0.0) + upstream * local[(edge.target, edge.slot)]
        chain[start] = passing
    descendants = {node_id: sorted((other for other in order if other != node_id and node_id in chain[other]),
                                   key=position.__getitem__) for node_id in order}

    def arguments(node_id: str) -> list[float]:
        return [value[operand.node_id] if operand.node_id is not None else float(operand.constant or 0.0)
                for operand in nodes[node_id].operands]

    def slips(edge: Any) -> list[tuple[str, float]]:
        """(diagnosis, wrong local derivative) of one edge, in rules.edge_variants' order."""
        target, slot = edge.target, edge.slot
        op = nodes[target].op
        args = arguments(target)
        y = value[target]
        found: list[tuple[str, float]] = []
        try:
            if op == "mul":
                found.append(("wrong-operand", value[edge.source]))
            elif op == "pow":
                base, exponent = args
                if slot == 1:
                    found.append(("power-rule", exponent * base ** (exponent - 1)))
                else:
                    found += [("power-rule", exponent * base ** exponent), ("power-rule", base ** (exponent - 1))]
            elif op == "tanh":
                x = args[0]
                found += [("activation-derivative", 1 - x * x), ("activation-derivative", 1 - y),
                          ("activation-derivative", y), ("activation-derivative", 1 + y * y)]
            elif op == "sigmoid":
                x = args[0]
                found += [("activation-derivative", x * (1 - x)), ("activation-derivative", y),
                          ("activation-derivative", 1 - y), ("activation-derivative", y * (1 + y))]
            elif op == "relu":
                found += [("activation-derivative", 1 - local[(target, 0)]), ("activation-derivative", args[0])]
            elif op == "exp":
                x = args[0]
                found += [("activation-derivative", x * math.exp(x - 1)), ("activation-derivative", x)]
            elif op == "log":
                found += [("activation-derivative", y), ("activation-derivative", args[0])]
            if (op == "sub" and slot == 1) or op == "neg":
                found.append(("sign-flip", 1.0))
            if op == "div":
                if slot == 1:
                    found.append(("sign-flip", -local[(target, slot)]))
                if nodes[target].operands[1 - slot].is_node:
                    numerator, denominator = args
                    found.append(("wrong-operand", -numerator / (denominator * denominator) if slot == 0
                                  else 1 / denominator))
        except (ArithmeticError, ValueError):
            pass
        return [(diagnosis, slip) for diagnosis, slip in found if math.isfinite(slip)]

    def window(right: float) -> float:
        return max(SEPARATION_ABS, SEPARATION_REL * abs(right))

    certain = False
    suspects: list[str] = []

    def judge(ask: str, right: float, candidates: list[tuple[str, float, bool]]) -> None:
        """candidates: (diagnosis, wrong, surely tried when the index allows)."""
        nonlocal certain
        index: dict[str, int] = {}
        suspect = False
        for diagnosis, wrong, surely in candidates:
            index[diagnosis] = index.get(diagnosis, 0) + 1
            if not math.isfinite(wrong):
                continue
            distance = abs(wrong - right)
            if distance <= _SUSPECT_FRACTION * window(right):
                suspect = True
                # An exact tie is left to the exact check: it is a coincidence only if the rule differs from
                # the right answer at other points, which floats at this one point can't tell.
                if (surely and index[diagnosis] <= MAX_RULES_PER_DIAGNOSIS
                        and distance <= _CERTAIN_FRACTION * window(right)
                        and distance > _IDENTITY_REL * max(abs(right), abs(wrong), SEPARATION_ABS)):
                    certain = True
                    return
        if suspect:
            suspects.append(ask)

    def not_one(number: float) -> bool:
        return abs(number - 1) > 1e-6

    for node_id in order:
        if certain:
            break
        if not nodes[node_id].is_input:
            judge(f"value:{node_id}", value[node_id],
                  [("value-for-grad", grad[node_id], True), ("sign-flip", -value[node_id], True)])
        right = grad[node_id]
        later = [other for other in descendants[node_id] if other != output]
        # The two chain rules are tried only where their factor is not 1 at every point: a factor that is
        # not 1 here surely is not.
        candidates: list[tuple[str, float, bool]] = [("value-for-grad", value[node_id], True)]
        candidates += [("missing-upstream", chain[other][node_id], not_one(grad[other])) for other in later]
        candidates += [("missing-inner-derivative", grad[other], not_one(chain[other][node_id])) for other in later]
        for fan_out in [node_id, *descendants[node_id]]:
            out = edges_out[fan_out]
            if fan_out == output or len(out) < 2:
                continue
            through = chain[fan_out][node_id]
            shares = [grad[edge.target] * local[(edge.target, edge.slot)] * through for edge in out]
            candidates += [("missing-path", right - share, True) for share in shares]
            if len(out) >= 3:
                total = sum(shares)
                candidates += [("missing-path", right - (total - share), True) for share in shares]
        for source in [node_id, *descendants[node_id]]:
            through = chain[source][node_id]
            for edge in edges_out[source]:
                upstream = grad[edge.target] * through
                right_local = local[(edge.target, edge.slot)]
                candidates += [(diagnosis, right + upstream * (slip - right_local), True)
                               for diagnosis, slip in slips(edge)]
        candidates.append(("sign-flip", -right, True))
        # The checker tries the rules grouped by kind in this order (a stable sort), each kind nearest first.
        candidates.sort(key=lambda candidate: _SCREEN_ORDER[candidate[0]])
        judge(f"grad:{node_id}", right, candidates)
    return certain, suspects


_SCREEN_ORDER = {
    "value-for-grad": 0, "missing-upstream": 1, "missing-inner-derivative": 2, "missing-path": 3,
    "wrong-operand": 4, "power-rule": 5, "activation-derivative": 6, "sign-flip": 7,
}


_NEEDS_GRADER = "needs the grader"
# Wider than the grading tolerance (rel 1e-3): the window in which two wrong answers are compared exactly.
_CONFUSION_WINDOW = 2e-3


def _typed(text: str) -> Any:
    """The number the answer language reads from ``text`` (a decimal or p/q, read exactly), or None."""
    from fractions import Fraction

    try:
        return Fraction(text)
    except (ValueError, ZeroDivisionError):
        return None


def _number_ask_reason(checker: Any, ask: Any, separation: Any) -> str | None:
    """The checks of one value/grad/local entry, with each wrong rule computed once.

    The same decisions as ``coinciding_number_mistakes`` (a rule within ``separation`` of the right
    answer that is not right everywhere) and as the grader on the expected answer, without running
    the grader per entry (its worked text and second pass over the rules are most of the cost). And
    one the grader makes but the coinciding check does not: when the learner types a mistake's
    answer, the first rule the grader finds for that number must be that mistake (or one giving the
    same number), not a different mistake whose answer rounds to it (seed 106 of forward level 4:
    sign-flip's −5.464 was named power-rule, −5.463872). Returns _NEEDS_GRADER when the expected
    answer's text is not a plain number, so the caller grades it the slow way.
    """
    from tutor.check.compare import WRONG, compare_numbers, matches, number_text
    from tutor.check.number_asks import RULE_ERRORS, _differs_somewhere
    from tutor.check.numbers import is_finite, to_float
    from tutor.check.rules import wrong_rules

    state = checker.state
    right = checker.right_value(ask, state)
    answers: list[tuple[str, Any, float]] = []  # the grader's candidates, in its order
    for rule in wrong_rules(checker, ask):
        try:
            wrong = rule.compute(state)
        except RULE_ERRORS:
            continue
        if not is_finite(wrong):
            continue
        if matches(wrong, right, separation):
            if _differs_somewhere(checker, ask, rule):
                return "a built-in mistake gives the right answer"
            if matches(wrong, right, None):
                continue  # right at every point of this graph: the grader leaves it out too
        answers.append((rule.diagnosis, wrong, to_float(wrong)))
    typed_right = _typed(number_text(right))
    if typed_right is None:
        return _NEEDS_GRADER
    if compare_numbers(typed_right, right, None) == WRONG:
        return "the expected answer does not grade correct"
    # Only answers with a neighbour within the window can be confused: found in one pass over the sorted numbers.
    order = sorted(range(len(answers)), key=lambda index: answers[index][2])
    near: dict[int, list[int]] = {}
    for position, index in enumerate(order):
        number = answers[index][2]
        for other_index in order[position + 1:]:
            other_number = answers[other_index][2]
            if other_number - number > _CONFUSION_WINDOW * max(abs(number), abs(other_number), 1e-6):
                break
            if answers[other_index][0] != answers[index][0]:
                near.setdefault(index, [index]).append(other_index)
                near.setdefault(other_index, [other_index]).append(index)
    for index, neighbours in near.items():
        diagnosis, wrong, _ = answers[index]
        typed = _typed(number_text(wrong))
        if typed is None:
            continue  # too large for one literal: not a number a learner types
        for other_index in sorted(neighbours):  # the grader's order: the first rule the typed number fits
            other_diagnosis, other, _ = answers[other_index]
            if not matches(typed, other, None):
                continue
            if other_diagnosis != diagnosis and not matches(other, wrong, None):
                return "two built-in mistakes too close to tell apart"
            break
    return None


def _check_layer(problem: Generated) -> str | None:
    from tutor.check import RequestError
    from tutor.check.matrix import coinciding_layer_mistakes, expected_text, layer_quantity
    from tutor.packs.grading import grade_answer, layer_entries, layer_trace_of

    network = problem.network or {}
    if len(set(network.get("x", []))) != len(network.get("x", [])):
        return "inputs not distinct"
    try:
        rendered = problem.rendered()
        trace = layer_trace_of(rendered)
    except (RequestError, ValueError):
        return "network does not build"
    asks = layer_entries(rendered, trace)
    problem.asks = asks
    limit = MAX_MAGNITUDE[problem.level]
    for ask in asks:
        quantity = layer_quantity(trace, ask)
        flat = [float(v) for v in _flatten(quantity.value)]
        if any(not math.isfinite(v) or abs(v) > limit for v in flat):
            return "value or gradient too large"
        # The generated networks have one activation, after the first linear layer: z1 is relu's input.
        if ask == "layer:z1" and any(abs(v) < 0.25 for v in flat) and _has_relu(network):
            return "relu input at 0"
        if coinciding_layer_mistakes(quantity):
            return "a built-in mistake gives the right answer"
        if grade_answer(rendered, expected_text(quantity), ask).verdict != "correct":
            return "the expected answer does not grade correct"
    if problem.skill == "layer-relu-mask":
        z1 = [float(v) for v in _flatten(layer_quantity(trace, "layer:z1").value)]
        if not (any(v < 0 for v in z1) and any(v > 0 for v in z1)):
            return "the ReLU mask is not mixed"
    return None


def _has_relu(network: dict[str, Any]) -> bool:
    return any(layer.get("activation") == "relu" for layer in network.get("layers", []))


def _flatten(value: Any) -> list[Any]:
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return [item for part in value for item in _flatten(part)]
    return [value]


def all_requests() -> list[tuple[str, int, str]]:
    """Every (skill, level, kind) the generator serves."""
    requests = []
    for skill_id in SKILL_IDS:
        for kind in kinds_for(skill_id):
            for level in LEVELS:
                if kind == "formula" and level > 3:
                    continue
                requests.append((skill_id, level, kind))
    return requests
