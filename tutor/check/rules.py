"""Known wrong rules, applied to the learner's own graph, so a wrong answer can be named.

For each ask we list what a learner who made one specific mistake would have answered:
the backward pass re-run with one rule broken (a local derivative swapped for a typical wrong
one, an edge left out, the chain stopped early), or a confusion such as the forward value in
place of the gradient. Each :class:`WrongRule` computes its wrong answer at *any* point (the
given one for numbers, several random ones for ``derivative:`` formulas) and explains itself in
terms of this graph's node names. An explanation comes in two parts: the message says what
went wrong and which rule applies, using only formulas and the learner's own number, so it can be
shown at once; the detail holds this point's numbers, which may give the right answer away (a
tutor shows it with the worked answer, once the learner has had their tries).

The grader reports the first rule whose answer matches the learner's and differs from the
right answer, so a rule that happens to give the right number (b = 1) never fires.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from tutor.check.ask_kinds import Ask
from tutor.check.numbers import Num, add, apply_function, describe, factor, mul, neg, power, sub
from tutor.check.problem import ACTIVATIONS, PointState, Problem
from tutor.graph import Edge

MAX_RULES_PER_DIAGNOSIS = 12
_ONE = Fraction(1)


# (message, detail): the message names the mistake without the right answer; the detail has the numbers.
Explanation = tuple[str, str]


@dataclass(frozen=True)
class WrongRule:
    diagnosis: str  # one of models.DIAGNOSES
    compute: Callable[[PointState], Num]  # the wrong answer at a point (may raise EvaluationError)
    explain: Callable[[Num, Num], Explanation]  # (wrong, right) at the given point -> (message, detail)


@dataclass(frozen=True)
class _EdgeVariant:
    """A wrong local derivative for one edge."""

    diagnosis: str
    wrong_local: Callable[..., Num]  # called with a PointState (loop variables bound as defaults, see add)
    sentence: str  # the rule, in words and formulas (true at every point)
    numbers: Callable[..., str]  # (wrong local, right local) at the given point -> "Here ..." (a detail)


def wrong_rules(problem: Problem, ask: Ask) -> list[WrongRule]:
    """The wrong rules for ``ask``, in the order they are tried (cached per problem)."""
    key = ("rules", ask)
    if key not in problem.memo:
        builder = _RuleBuilder(problem, ask)
        problem.memo[key] = builder.build()
    return problem.memo[key]


class _RuleBuilder:
    def __init__(self, problem: Problem, ask: Ask) -> None:
        self.problem = problem
        self.ask = ask
        self.state = problem.state
        self.formula_mode = ask.kind == "derivative"
        self.label = problem.label(ask)
        self.output = problem.output
        self.graph = problem.graph
        self.rules: list[WrongRule] = []

    # -------------------------------------------------------------- helpers

    # The rules below are lambdas that bind loop variables as default arguments (lambda s, m=later: ...),
    # which mypy cannot match against a fixed signature; hence Callable[..., ...] where they are passed in.
    def add(self, diagnosis: str, compute: Callable[..., Num], explain: Callable[..., Explanation]) -> None:
        self.rules.append(WrongRule(diagnosis, compute, explain))

    def grad(self, node: str) -> str:
        return f"d{self.output}/d{node}"

    def formula(self, node: str) -> str:
        return f"{node} = {self.graph.nodes[node].formula}"

    def consumers(self, node: str) -> list[str]:
        return list(dict.fromkeys(edge.target for edge in self.problem.edges_out[node]))

    def dominates(self, later: str, node: str) -> bool:
        """True when every path from ``node`` to the output passes through ``later``."""
        seen = {node}
        stack = [node]
        while stack:
            for edge in self.problem.edges_out[stack.pop()]:
                if edge.target == later or edge.target in seen:
                    continue
                if edge.target == self.output:
                    return False
                seen.add(edge.target)
                stack.append(edge.target)
        return True

    def path_edges(self, node: str) -> list[Edge]:
        """Edges on some path from ``node`` to the output, nearest first."""
        sources = [node, *self.problem.descendants(node)]
        return [edge for source in sources for edge in self.problem.edges_out[source]]

    # -------------------------------------------------------------- per ask kind

    def build(self) -> list[WrongRule]:
        if self.ask.kind == "value":
            self.value_rules()
        elif self.ask.kind == "local":
            self.local_rules()
        else:
            self.gradient_rules()
        # Stable: the ids in their documented order, nearest part of the graph first within each id.
        self.rules.sort(key=lambda rule: _ORDER[rule.diagnosis])
        kept: list[WrongRule] = []
        per_id: dict[str, int] = {}
        for rule in self.rules:  # a big graph keeps the nearest few of each kind, so every kind is tried
            per_id[rule.diagnosis] = per_id.get(rule.diagnosis, 0) + 1
            if per_id[rule.diagnosis] <= MAX_RULES_PER_DIAGNOSIS:
                kept.append(rule)
        return kept

    def value_rules(self) -> None:
        node = self.ask.node
        self.add("value-for-grad", lambda s: s.grads[node],
                 lambda w, r: (f"You gave the gradient {self.grad(node)} = {describe(w)}; the question asks for "
                               f"the forward value of {node}, what the forward pass computes.", ""))
        self.add("sign-flip", lambda s: neg(s.values[node]),
                 lambda w, r: (f"Check the sign of {node}: work out {self.value_rule(node)} again, minding each "
                               f"minus sign.", ""))

    def gradient_rules(self) -> None:
        node = self.ask.node
        descendants = self.problem.descendants(node)
        problem = self.problem
        if self.formula_mode:
            output = self.output
            self.add("value-for-grad", lambda s: s.values[output],
                     lambda w, r: (f"Your formula is {output} itself ({self.graph.nodes[output].expanded_formula}), "
                                   f"not its derivative with respect to {node}.", ""))
        else:
            self.add("value-for-grad", lambda s: s.values[node],
                     lambda w, r: (f"You gave {node}'s forward value ({describe(w)}). The question asks for its "
                                   f"gradient {self.label}: how fast {self.output} changes as {node} changes.", ""))
        # Stopping the chain where the factor left out is exactly 1 changes nothing, so such a
        # stop can't be what went wrong (x^2 + 3x answered 2x left out a path, not an upstream 1).
        # "Exactly 1" must hold on this graph as a function (at every test point), not by chance at
        # this point: a factor that is 1 only here is a real ambiguity that coinciding_mistakes reports.
        states = problem.random_states() or [self.state]
        for later in descendants:
            if later != self.output and any(state.grads[later] != 1 for state in states):
                self.add("missing-upstream", lambda s, m=later: problem.backward(s, seed=m)[node],
                         lambda w, r, m=later: self.explain_missing_upstream(m, w, r))
        for later in descendants:
            if later != self.output and any(problem.backward(state, seed=later)[node] != 1 for state in states):
                self.add("missing-inner-derivative", lambda s, m=later: s.grads[m],
                         lambda w, r, m=later: self.explain_missing_inner(m, w, r))
        for fan_out in [node, *descendants]:
            self.missing_path_rules(fan_out)
        for edge in self.path_edges(node):
            for variant in self.edge_variants(edge):
                key = (edge.target, edge.slot)
                self.add(
                    variant.diagnosis,
                    lambda s, v=variant, k=key: problem.backward(s, replace={k: v.wrong_local(s)})[node],
                    lambda w, r, v=variant, k=key: self.explain_variant(v, k, w, r),
                )
        self.add("sign-flip", lambda s: neg(s.grads[node]), self.explain_total_sign)

    def local_rules(self) -> None:
        target, source = self.ask.node, self.ask.operand or ""
        problem = self.problem
        self.add("value-for-grad", lambda s: s.values[target],
                 lambda w, r: (f"You gave {target}'s forward value ({describe(w)}); the question asks for the local "
                               f"derivative {self.label}: the derivative of {self.formula(target)} with respect to "
                               f"{source} alone.", ""))
        edges = [edge for edge in problem.edges_into[target] if edge.source == source]
        if len(edges) > 1:
            for edge in edges:
                self.add("missing-path", lambda s, k=(target, edge.slot): s.locals[k],
                         lambda w, r: (f"{source} appears more than once in {self.formula(target)}, so "
                                       f"{self.label} has one term per appearance; your answer counts only one of "
                                       f"them.", ""))
        for edge in edges:
            for variant in self.edge_variants(edge):
                key = (edge.target, edge.slot)
                self.add(
                    variant.diagnosis,
                    lambda s, v=variant, k=key: problem.local_sum(s, target, source, replace={k: v.wrong_local(s)}),
                    lambda w, r, v=variant, k=key: self.explain_variant(v, k, w, r),
                )
        self.add("sign-flip", lambda s: neg(problem.local_sum(s, target, source)), self.explain_total_sign)

    # -------------------------------------------------------------- missing paths

    def missing_path_rules(self, fan_out: str) -> None:
        if fan_out == self.output:
            return
        out_edges = self.problem.edges_out[fan_out]
        if len(out_edges) < 2:
            return
        node = self.ask.node
        problem = self.problem
        for edge in out_edges:
            dropped = frozenset({(edge.target, edge.slot)})
            self.add("missing-path", lambda s, d=dropped: problem.backward(s, drop=d)[node],
                     lambda w, r, e=edge: self.explain_dropped_path(fan_out, e, w, r))
        if len(out_edges) >= 3:
            for edge in out_edges:
                others = frozenset((other.target, other.slot) for other in out_edges if other is not edge)
                self.add("missing-path", lambda s, d=others: problem.backward(s, drop=d)[node],
                         lambda w, r, e=edge: self.explain_single_path(fan_out, e, w, r))

    def terms_text(self, edges: list[Edge]) -> str:
        state = self.state
        return " + ".join(f"{factor(state.grads[edge.target])}·{factor(state.locals[(edge.target, edge.slot)])}"
                          for edge in edges)

    def explain_dropped_path(self, fan_out: str, edge: Edge, wrong: Num, right: Num) -> Explanation:
        out_edges = self.problem.edges_out[fan_out]
        targets = self.consumers(fan_out)
        if len(targets) == 1:
            opening = (f"{fan_out} appears more than once in {self.formula(edge.target)}, so it gets one "
                       f"term per appearance")
            leaving = "leaves one of them out"
        else:
            opening = (f"{fan_out} feeds {_listed(targets)}, and its gradient adds one term per path")
            leaving = f"leaves out the path through {edge.target}"
        if self.formula_mode:
            return f"{opening}; your formula {leaving}.", ""
        # For the asked node itself the worked answer already is this sum.
        detail = "" if fan_out == self.ask.node else \
            f"{self.grad(fan_out)} = {self.terms_text(out_edges)} = {describe(self.state.grads[fan_out])}."
        if len(targets) < len(out_edges):  # the same consumer twice: its terms would read alike
            return f"{opening}. Your answer {leaving}.", detail
        return (f"{opening}: {self.grad(fan_out)} = {self.symbolic_terms(fan_out, out_edges)}. Your answer {leaving}.",
                detail)

    def explain_single_path(self, fan_out: str, edge: Edge, wrong: Num, right: Num) -> Explanation:
        others = [target for target in self.consumers(fan_out) if target != edge.target]
        return (f"Your answer keeps only the path through {edge.target}, but {fan_out} also feeds "
                f"{', '.join(others)}; the gradient adds every path.", "")

    def symbolic_terms(self, node: str, edges: list[Edge]) -> str:
        """The sum over paths as symbols: dL/dz1 · ∂z1/∂a + dL/dz2 · ∂z2/∂a."""
        terms = []
        for edge in edges:
            local = f"∂{edge.target}/∂{node}"
            terms.append(local if edge.target == self.output else f"{self.grad(edge.target)} · {local}")
        return " + ".join(terms)

    def value_rule(self, node: str) -> str:
        return self.formula(node) if not self.graph.nodes[node].is_input else f"the input {node}"

    # -------------------------------------------------------------- chain stopped early

    def explain_missing_upstream(self, later: str, wrong: Num, right: Num) -> Explanation:
        node = self.ask.node
        direct = later in self.consumers(node)
        only = self.consumers(node) == [later]
        dominated = self.dominates(later, node)
        if self.formula_mode:
            text = (f"Your formula is the derivative of {later} = {self.graph.nodes[later].expanded_formula} with "
                    f"respect to {node}, without the gradient arriving from above. Multiply it by {self.grad(later)}")
            return (text + ("." if dominated else ", and add the other paths."),
                    f"{self.grad(later)} = {self.graph.nodes[later].grad_formula}.")
        step = f"∂{later}/∂{node}" if direct else f"d{later}/d{node}"
        if direct:
            opening = f"You gave {step} = {describe(wrong)}, the local derivative only"
            if not only:
                opening += f" through {later}"
        else:
            opening = f"You gave {step} = {describe(wrong)}: the chain rule stopped at {later}"
        if dominated and (only or not direct):
            return (f"{opening}. Multiply it by the gradient arriving from above, {self.grad(later)}.",
                    f"{self.label} = {self.grad(later)} · {step} = {factor(self.state.grads[later])} · "
                    f"{factor(wrong)} = {describe(right)}.")
        return (f"{opening}. Multiply it by the gradient arriving from above, {self.grad(later)}, and add the "
                f"other paths.", "")

    def explain_missing_inner(self, later: str, wrong: Num, right: Num) -> Explanation:
        node = self.ask.node
        if self.formula_mode:
            return (f"Your formula is {self.grad(later)} = {self.graph.nodes[later].grad_formula}, the outer "
                    f"derivative only. {later} = {self.graph.nodes[later].expanded_formula} depends on {node}, so "
                    f"multiply by its derivative with respect to {node} (the inner factor).", "")
        if self.consumers(node) == [later]:
            local = self.problem.local_sum(self.state, later, node)
            return (f"You gave {self.grad(later)} = {describe(wrong)}, the gradient arriving from above, but left out "
                    f"the local derivative ∂{later}/∂{node} (from {self.formula(later)}).",
                    f"{self.label} = {self.grad(later)} · ∂{later}/∂{node} = {factor(wrong)} · {factor(local)} = "
                    f"{describe(right)}.")
        if self.dominates(later, node):
            inner = self.problem.backward(self.state, seed=later)[node]
            return (f"You gave {self.grad(later)} = {describe(wrong)}, the gradient at {later}; {node} reaches "
                    f"{later} through more steps, so multiply by d{later}/d{node}.",
                    f"{self.label} = {self.grad(later)} · d{later}/d{node} = {factor(wrong)} · {factor(inner)} = "
                    f"{describe(right)}.")
        return (f"You gave {self.grad(later)} = {describe(wrong)}, the gradient at {later}, without the derivatives "
                f"between {node} and {later}.", "")

    # -------------------------------------------------------------- wrong local derivatives

    def explain_variant(self, variant: _EdgeVariant, key: tuple[str, int], wrong: Num, right: Num) -> Explanation:
        if self.formula_mode:
            return variant.sentence, ""
        return variant.sentence, variant.numbers(variant.wrong_local(self.state), self.state.locals[key])

    def explain_total_sign(self, wrong: Num, right: Num) -> Explanation:
        if self.formula_mode:
            return f"Your formula has the wrong sign: it is −{self.label}.", ""
        return f"Check the sign of {self.label}: count the minus signs along the way again.", ""

    def edge_variants(self, edge: Edge) -> list[_EdgeVariant]:
        target, source, slot = edge.target, edge.source, edge.slot
        op = self.graph.nodes[target].op
        variants: list[_EdgeVariant] = []
        here = self.numbers_sentence(target, source)
        if op == "mul":
            other_text = self.problem.operand_text(target, 1 - slot)
            other_value = self.state.arguments[target][1 - slot]
            variants.append(_EdgeVariant(
                "wrong-operand", lambda s: s.values[source],
                f"For the product {self.formula(target)}, ∂{target}/∂{source} is the other factor, {other_text}, "
                f"not {source} itself.",
                lambda w, r: f"Here ∂{target}/∂{source} = {other_text} = {describe(other_value)}, not {describe(w)}.",
            ))
        elif op == "pow":
            variants.extend(self.power_variants(target, source, slot, here))
        elif op in ACTIVATIONS:
            variants.extend(self.activation_variants(op, target, source, here))
        if (op == "sub" and slot == 1) or op == "neg":
            verb = "subtracts" if op == "sub" else "negates"
            variants.append(_EdgeVariant(
                "sign-flip", lambda s: _ONE,
                f"{self.formula(target)} {verb} {source}, so ∂{target}/∂{source} is negative; your answer has it "
                f"positive.",
                lambda w, r: "",
            ))
        if op == "div" and slot == 1:
            key = (target, slot)
            numerator = self.problem.operand_text(target, 0)
            variants.append(_EdgeVariant(
                "sign-flip", lambda s, k=key: neg(s.locals[k]),
                f"For {self.formula(target)}, ∂{target}/∂{source} = −{numerator}/{source}^2 carries a minus sign; "
                f"your answer drops it.",
                here,
            ))
        return variants

    def numbers_sentence(self, target: str, source: str) -> Callable[[Num, Num], str]:
        return lambda w, r: f"Here ∂{target}/∂{source} = {describe(r)}, not {describe(w)}."

    def power_variants(self, target: str, source: str, slot: int, here: Callable[[Num, Num], str]) -> list[_EdgeVariant]:
        node_formula = self.formula(target)
        if slot == 1:
            base_text = self.problem.operand_text(target, 0)

            def exponent_as_power(s: PointState) -> Num:
                base, exponent = s.arguments[target]
                return mul(exponent, power(base, sub(exponent, _ONE)))

            return [_EdgeVariant(
                "power-rule", exponent_as_power,
                f"For {node_formula}, the variable is in the exponent: ∂{target}/∂{source} = "
                f"{base_text}^{source}·log({base_text}). The power rule n·x^(n−1) only applies to a constant exponent.",
                here,
            )]
        exponent_is_node = self.graph.nodes[target].operands[1].is_node
        n_text = self.problem.operand_text(target, 1)
        if exponent_is_node:
            lowered_power = f"{source}^({n_text} − 1)"
        else:
            lowered_power = _power_text(source, add(self.state.arguments[target][1], Fraction(-1)))

        def n_times_power(s: PointState) -> Num:
            base, exponent = s.arguments[target]
            return mul(exponent, power(base, exponent))

        def power_without_factor(s: PointState) -> Num:
            base, exponent = s.arguments[target]
            return power(base, sub(exponent, _ONE))

        return [
            _EdgeVariant(
                "power-rule", n_times_power,
                f"For {node_formula}, the power rule gives ∂{target}/∂{source} = {n_text}·{lowered_power}; "
                f"your answer uses {n_text}·{source}^{_bracketed(n_text)}: the exponent must drop by one.",
                here,
            ),
            _EdgeVariant(
                "power-rule", power_without_factor,
                f"For {node_formula}, the power rule gives ∂{target}/∂{source} = {n_text}·{lowered_power}; "
                f"your answer uses {lowered_power}, without the factor {n_text}.",
                here,
            ),
        ]

    def activation_variants(self, op: str, target: str, source: str,
                            here: Callable[[Num, Num], str]) -> list[_EdgeVariant]:
        node_formula = self.formula(target)
        d = f"∂{target}/∂{source}"
        if op == "tanh":
            return [
                _EdgeVariant("activation-derivative", lambda s: sub(_ONE, mul(s.arguments[target][0], s.arguments[target][0])),
                             f"For {node_formula}, {d} = 1 − {target}^2, with the output {target}; your answer uses "
                             f"the input instead, 1 − {source}^2.", here),
                _EdgeVariant("activation-derivative", lambda s: sub(_ONE, s.values[target]),
                             f"For {node_formula}, {d} = 1 − {target}^2; your answer uses 1 − {target}, "
                             f"without the square.", here),
            ]
        if op == "sigmoid":
            return [
                _EdgeVariant("activation-derivative",
                             lambda s: mul(s.arguments[target][0], sub(_ONE, s.arguments[target][0])),
                             f"For {node_formula}, {d} = {target}·(1 − {target}), with the output {target}; your "
                             f"answer uses the input instead, {source}·(1 − {source}).", here),
                _EdgeVariant("activation-derivative", lambda s: s.values[target],
                             f"For {node_formula}, {d} = {target}·(1 − {target}); your answer uses {target} alone.",
                             here),
                _EdgeVariant("activation-derivative", lambda s: sub(_ONE, s.values[target]),
                             f"For {node_formula}, {d} = {target}·(1 − {target}); your answer uses (1 − {target}) "
                             f"alone.", here),
            ]
        if op == "relu":
            key = (target, 0)
            return [
                _EdgeVariant("activation-derivative", lambda s: sub(_ONE, s.locals[key]),
                             f"relu passes the gradient only where its input is positive: {d} is 1 when "
                             f"{source} > 0 and 0 otherwise.", here),
                _EdgeVariant("activation-derivative", lambda s: s.arguments[target][0],
                             f"relu's slope is 1 (input positive) or 0 (otherwise), not the input {source} itself.",
                             here),
            ]
        if op == "exp":
            return [
                _EdgeVariant("activation-derivative",
                             lambda s: mul(s.arguments[target][0], apply_function("exp", sub(s.arguments[target][0], _ONE))),
                             f"e^x is not a power of x: for {node_formula}, {d} = exp({source}) = {target}, not "
                             f"{source}·exp({source} − 1).", here),
                _EdgeVariant("activation-derivative", lambda s: s.arguments[target][0],
                             f"For {node_formula}, {d} = exp({source}), the node's own value {target}; your answer "
                             f"uses the input {source}.", here),
            ]
        # log
        return [
            _EdgeVariant("activation-derivative", lambda s: s.values[target],
                         f"For {node_formula}, {d} = 1/{source}; your answer uses log({source}) itself.", here),
            _EdgeVariant("activation-derivative", lambda s: s.arguments[target][0],
                         f"For {node_formula}, {d} = 1/{source}; your answer uses {source} instead of 1/{source}.",
                         here),
        ]


_ORDER = {
    "value-for-grad": 0, "missing-upstream": 1, "missing-inner-derivative": 2, "missing-path": 3,
    "wrong-operand": 4, "power-rule": 5, "activation-derivative": 6, "sign-flip": 7,
}


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _power_text(base: str, exponent: Num) -> str:
    if exponent == 1:
        return base
    text = describe(exponent)
    return f"{base}^({text})" if text.startswith("-") or "/" in text else f"{base}^{text}"


def _bracketed(text: str) -> str:
    return text if text.replace(".", "").isalnum() else f"({text})"
