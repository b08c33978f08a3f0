"""Known wrong rules, applied to the learner's own graph, so a wrong answer can be named.

For each ask we list what a learner who made one specific mistake would have answered:
the backward pass re-run with one rule broken (a local derivative swapped for a typical wrong
one, an edge left out, the chain stopped early), or a confusion such as the forward value in
place of the gradient. Each :class:`WrongRule` computes its wrong answer at *any* point (the
given one for numbers, several random ones for ``derivative:`` formulas) and explains itself in
terms of this graph's node names. An explanation comes in three parts: the message names the
mistake and where, with the learner's own number or formula but no number or formula that is (or
gives in one step) the right answer, so it can be shown at once; the rule is the general rule in
symbols (:mod:`tutor.check.rule_texts`), with no number of this instance, for a second try; the
detail holds this point's numbers, which may give the right answer away (a tutor shows it with
the worked answer, once the learner has had their tries).

The grader reports the first rule whose answer matches the learner's and differs from the
right answer, so a rule that happens to give the right number (b = 1) never fires.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from tutor.check.ask_kinds import Ask
from tutor.check.numbers import Num, add, apply_function, describe, div, equals_sign, factor, mul, neg, power, sub
from tutor.check.problem import ACTIVATIONS, PointState, Problem
from tutor.check.rule_texts import (
    CHAIN_PATHS,
    CHAIN_WORDS,
    COMPOSITE,
    SIGN,
    chain_rule,
    local_ask_rule,
    op_rule,
    value_rule,
    with_chain,
)
from tutor.graph import Edge
from tutor.graph.build import FORMULA_TOO_LARGE

MAX_RULES_PER_DIAGNOSIS = 12
INNER = "an inner expression"  # a part of the program too long to quote in a formula message
_ONE = Fraction(1)
_ZERO = Fraction(0)


# (message, rule, detail): the message names the mistake without the right answer; the rule is general;
# the detail has the numbers.
Explanation = tuple[str, str, str]


@dataclass(frozen=True)
class WrongRule:
    diagnosis: str  # one of models.DIAGNOSES
    compute: Callable[[PointState], Num]  # the wrong answer at a point (may raise EvaluationError)
    explain: Callable[[Num, Num], Explanation]  # (wrong, right) at the given point -> (message, rule, detail)


@dataclass(frozen=True)
class _EdgeVariant:
    """A wrong local derivative for one edge."""

    diagnosis: str
    wrong_local: Callable[..., Num]  # called with a PointState (loop variables bound as defaults, see add)
    sentence: str  # the mistake, in words and formulas (true at every point), without the right local derivative
    rule: str  # the general rule for this node's local derivative (rule_texts.op_rule)
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
        self.counts: dict[str, int] = {}
        # The general rules (GradeResult.rule), with no number of this point.
        self.chain = chain_rule(problem, ask) if ask.kind in ("grad", "derivative") else ""
        self.local_rule = local_ask_rule(problem, ask) if ask.kind == "local" else ""

    # -------------------------------------------------------------- helpers

    # The rules below are lambdas that bind loop variables as default arguments (lambda s, m=later: ...),
    # which mypy cannot match against a fixed signature; hence Callable[..., ...] where they are passed in.
    def add(self, diagnosis: str, compute: Callable[..., Num], explain: Callable[..., Explanation]) -> None:
        self.rules.append(WrongRule(diagnosis, compute, explain))
        self.counts[diagnosis] = self.counts.get(diagnosis, 0) + 1

    def made(self, diagnosis: str) -> int:
        return self.counts.get(diagnosis, 0)

    def grad(self, node: str) -> str:
        return f"d{self.output}/d{self.d_name(node)}"

    # A formula ask (derivative:) shows no graph: its messages speak of the program's own text (x^3*3, u),
    # never of the generated node names z1, z2, ... the learner has not seen. Number asks name the graph's nodes.
    def name(self, node: str) -> str:
        if not self.formula_mode:
            return node
        shown = self.problem.shown(node)
        return shown if shown is not None else INNER

    def d_name(self, node: str) -> str:
        """A node's name where it is differentiated by: z6 for a number ask, (x^3) for a formula ask."""
        name = self.name(node)
        return name if _is_atom(name) else f"({name})"

    def formula(self, node: str) -> str:
        if not self.formula_mode:
            return f"{node} = {self.graph.nodes[node].formula}"
        written = self.problem.written(node)
        if not self.problem.visible(node):
            return written or INNER
        return f"{node} = {written}" if written else node

    def names(self, nodes: list[str]) -> str:
        """A short list of nodes in words (the first few, then how many more)."""
        shown = [self.name(node) for node in nodes]
        if len(shown) > 4:
            return f"{', '.join(shown[:3])} and {len(shown) - 3} more"
        return _listed(shown)

    def consumers(self, node: str) -> list[str]:
        return list(dict.fromkeys(edge.target for edge in self.problem.edges_out[node]))

    def dominates(self, later: str, node: str) -> bool:
        """True when every path from ``node`` to the output passes through ``later``."""
        return later in self.problem.dominators(node)

    def passes_unchanged(self, node: str, states: list[PointState]) -> bool:
        """True when node feeds one node only, with local derivative exactly 1 everywhere (z1 in z1 + 1)."""
        out_edges = self.problem.edges_out[node]
        if len(out_edges) != 1 or out_edges[0].target == self.output:
            return False
        key = (out_edges[0].target, out_edges[0].slot)
        return all(state.locals[key] == 1 for state in states)

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
        order = _FORMULA_ORDER if self.formula_mode or self.ask.kind == "local" else _ORDER
        self.rules.sort(key=lambda rule: order[rule.diagnosis])
        kept: list[WrongRule] = []
        per_id: dict[str, int] = {}
        for rule in self.rules:  # a big graph keeps the nearest few of each kind, so every kind is tried
            per_id[rule.diagnosis] = per_id.get(rule.diagnosis, 0) + 1
            if per_id[rule.diagnosis] <= MAX_RULES_PER_DIAGNOSIS:
                kept.append(rule)
        return kept

    def value_rules(self) -> None:
        node = self.ask.node
        rule = value_rule(self.problem, node)
        self.add("value-for-grad", lambda s: s.grads[node],
                 lambda w, r: (f"You gave the gradient {self.grad(node)} = {describe(w)}; the question asks for "
                               f"the forward value of {node}, what the forward pass computes.", rule, ""))
        self.add("sign-flip", lambda s: neg(s.values[node]),
                 lambda w, r: (f"Check the sign of {node}: work out {self.value_rule(node)} again, minding each "
                               f"minus sign.", f"{rule} {SIGN[0].upper()}{SIGN[1:]}.", ""))

    def gradient_rules(self) -> None:
        node = self.ask.node
        descendants = self.problem.descendants(node)
        problem = self.problem
        if self.formula_mode:
            output = self.output
            self.add("value-for-grad", lambda s: s.values[output],
                     lambda w, r: (f"Your formula is {output} itself{self.in_inputs(output)}, not its derivative "
                                   f"with respect to {node}.", self.chain, ""))
        else:
            self.add("value-for-grad", lambda s: s.values[node],
                     lambda w, r: (f"You gave {node}'s forward value ({describe(w)}). The question asks for its "
                                   f"gradient {self.label}: how fast {self.output} changes as {node} changes.",
                                   self.chain, ""))
        # Stopping the chain where the factor left out is exactly 1 changes nothing, so such a
        # stop can't be what went wrong (x^2 + 3x answered 2x left out a path, not an upstream 1).
        # "Exactly 1" must hold on this graph as a function (at every test point), not by chance at
        # this point: a factor that is 1 only here is a real ambiguity that coinciding_mistakes reports.
        states = problem.random_states() or [self.state]
        for later in descendants:
            if later != self.output and any(state.grads[later] != 1 for state in states):
                self.add("missing-upstream", lambda s, m=later: problem.tangents(s, node).get(m, _ZERO),
                         lambda w, r, m=later: self.explain_missing_upstream(m, w, r))
        # For a formula, a constant outer derivative is not named where the variable has other paths: 3 for
        # L = x + x^2 + x^3*3 "is" dL/d(x^3), but that reading drops the other terms as well, and a constant
        # fits it by chance (a teacher would say the formula must change with x). Where every path passes
        # through the inner function, as 2 for (2x + 1)^3, it is the one slip and is named.
        inner_candidates = [later for later in descendants
                            if not self.formula_mode or self.dominates(later, node)
                            or len({state.grads[later] for state in states}) > 1]
        if self.formula_mode:
            # The outer derivative of 2*x inside 2*x + 1 is that of 2*x + 1: name the larger inner function.
            inner_candidates = [later for later in inner_candidates if not self.passes_unchanged(later, states)]
        for later in inner_candidates:
            if later != self.output and any(problem.tangents(state, node).get(later, 0) != 1 for state in states):
                self.add("missing-inner-derivative", lambda s, m=later: s.grads[m],
                         lambda w, r, m=later: self.explain_missing_inner(m, w, r))
        for fan_out in [node, *descendants]:
            self.missing_path_rules(fan_out)
        for edge in self.path_edges(node):
            # As for paths: once every kind this edge could add has its 12, build() would drop what it adds.
            if all(self.made(kind) >= MAX_RULES_PER_DIAGNOSIS
                   for kind in _VARIANT_KINDS.get(self.graph.nodes[edge.target].op, ())):
                continue
            for variant in self.edge_variants(edge):
                key = (edge.target, edge.slot)
                self.add(
                    variant.diagnosis,
                    lambda s, v=variant, k=key: problem.gradient_with(s, node, replace={k: v.wrong_local(s)}),
                    lambda w, r, v=variant, k=key: self.explain_variant(v, k, w, r),
                )
        self.add("sign-flip", lambda s: neg(s.grads[node]), self.explain_total_sign)

    def local_rules(self) -> None:
        target, source = self.ask.node, self.ask.operand or ""
        problem = self.problem
        self.add("value-for-grad", lambda s: s.values[target],
                 lambda w, r: (f"You gave {target}'s forward value ({describe(w)}); the question asks for the local "
                               f"derivative {self.label}: the derivative of {self.formula(target)} with respect to "
                               f"{source} alone.", self.local_rule, ""))
        edges = [edge for edge in problem.edges_into[target] if edge.source == source]
        if len(edges) > 1:
            for edge in edges:
                self.add("missing-path", lambda s, k=(target, edge.slot): s.locals[k],
                         lambda w, r: (f"{source} appears more than once in {self.formula(target)}, so "
                                       f"{self.label} has one term per appearance; your answer counts only one of "
                                       f"them.", self.local_rule, ""))
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
        # build() keeps the first MAX_RULES_PER_DIAGNOSIS of each kind in this order, so none past that is made:
        # x feeding 3,333 terms would otherwise make 3,333 rules each holding the other 3,332 edges (1.2 GB).
        for edge in out_edges:
            if self.made("missing-path") >= MAX_RULES_PER_DIAGNOSIS:
                return
            dropped = frozenset({(edge.target, edge.slot)})
            self.add("missing-path", lambda s, d=dropped: problem.gradient_with(s, node, drop=d),
                     lambda w, r, e=edge: self.explain_dropped_path(fan_out, e, w, r))
        if len(out_edges) >= 3:
            for edge in out_edges:
                if self.made("missing-path") >= MAX_RULES_PER_DIAGNOSIS:
                    return
                others = frozenset((other.target, other.slot) for other in out_edges if other is not edge)
                self.add("missing-path", lambda s, d=others: problem.gradient_with(s, node, drop=d),
                         lambda w, r, e=edge: self.explain_single_path(fan_out, e, w, r))

    def in_inputs(self, node: str) -> str:
        """' (a*b + c)': the node as a formula of the inputs, when that is short enough to quote."""
        expanded = self.graph.nodes[node].expanded_formula
        if expanded == FORMULA_TOO_LARGE or len(expanded) > 60:
            expanded = self.problem.written(node) or ""
        return f" ({expanded})" if expanded and expanded != node else ""

    def terms_text(self, edges: list[Edge]) -> str:
        state = self.state
        return " + ".join(f"{factor(state.grads[edge.target])}·{factor(state.locals[(edge.target, edge.slot)])}"
                          for edge in edges)

    def explain_dropped_path(self, fan_out: str, edge: Edge, wrong: Num, right: Num) -> Explanation:
        out_edges = self.problem.edges_out[fan_out]
        targets = self.consumers(fan_out)
        if self.formula_mode:
            where = (f"{self.name(fan_out)} appears more than once in {self.formula(edge.target)}" if len(targets) == 1
                     else f"{self.name(fan_out)} appears in {self.names(targets)}")
            which = "one of them" if len(targets) == 1 else f"the term through {self.name(edge.target)}"
            return (f"{where}, and the derivative adds one term for each appearance; your formula leaves out "
                    f"{which}.", self.chain, "")
        if len(targets) == 1:
            opening = (f"{fan_out} appears more than once in {self.formula(edge.target)}, so it gets one "
                       f"term per appearance")
            leaving = "leaves one of them out"
        else:
            opening = (f"{fan_out} feeds {_listed(targets)}, and its gradient adds one term per path")
            leaving = f"leaves out the path through {edge.target}"
        if len(targets) < len(out_edges):  # the same consumer twice: its terms would read alike
            rule = f"{self.grad(fan_out)} adds one term per appearance of {fan_out}: {CHAIN_PATHS}."
        else:
            rule = f"{self.grad(fan_out)} = {self.symbolic_terms(fan_out, out_edges)}: {CHAIN_PATHS}."
        if fan_out != self.ask.node:
            rule += f" Then {self.chain}"
        # For the asked node itself the worked answer already is this sum.
        detail = "" if fan_out == self.ask.node else \
            f"{self.grad(fan_out)} = {self.terms_text(out_edges)} = {describe(self.state.grads[fan_out])}."
        return f"{opening}. Your answer {leaving}.", rule, detail

    def explain_single_path(self, fan_out: str, edge: Edge, wrong: Num, right: Num) -> Explanation:
        others = [target for target in self.consumers(fan_out) if target != edge.target]
        out_edges = self.problem.edges_out[fan_out]
        if self.formula_mode:
            return (f"Your formula keeps only the term through {self.name(edge.target)}, but {self.name(fan_out)} "
                    f"also appears in {self.names(others)}; the derivative adds one term for each appearance.",
                    self.chain, "")
        return (f"Your answer keeps only the path through {edge.target}, but {fan_out} also feeds "
                f"{', '.join(others)}; the gradient adds every path.",
                f"{self.grad(fan_out)} = {self.symbolic_terms(fan_out, out_edges)}: {CHAIN_PATHS}.", "")

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
            inner = self.name(later)
            text = (f"Your formula is the derivative of the inner function {inner} with respect to {node} alone, "
                    f"without the outer one. Multiply it by how {self.output} changes with {inner}")
            grad_formula = self.graph.nodes[later].grad_formula
            shown = self.problem.visible(later) and grad_formula != FORMULA_TOO_LARGE and len(grad_formula) <= 80
            return (text + ("." if dominated else ", and add the other terms."), self.chain,
                    f"{self.grad(later)} = {grad_formula}." if shown else "")
        step = f"∂{later}/∂{node}" if direct else f"d{later}/d{node}"
        if direct:
            opening = f"You gave {step} = {describe(wrong)}, the local derivative only"
            if not only:
                opening += f" through {later}"
        else:
            opening = f"You gave {step} = {describe(wrong)}: the chain rule stopped at {later}"
        if dominated and (only or not direct):
            return (f"{opening}. Multiply it by the gradient arriving from above, {self.grad(later)}.",
                    f"{self.label} = {self.grad(later)} · {step}: {CHAIN_WORDS}.",
                    f"{self.label} = {self.grad(later)} · {step} = {factor(self.state.grads[later])} · "
                    f"{factor(wrong)} {equals_sign(self.state.grads[later], wrong, right)} {describe(right)}.")
        return (f"{opening}. Multiply it by the gradient arriving from above, {self.grad(later)}, and add the "
                f"other paths.", self.chain, "")

    def explain_missing_inner(self, later: str, wrong: Num, right: Num) -> Explanation:
        node = self.ask.node
        if self.formula_mode:
            inner = self.name(later)
            return (f"Your formula is the outer derivative only: how {self.output} changes with the inner function "
                    f"{inner}. {inner} depends on {node}, so multiply by its derivative with respect to {node} "
                    f"(the inner factor).",
                    f"{self.label} = {self.grad(later)} · d{self.d_name(later)}/d{node}: {COMPOSITE}.", "")
        if self.consumers(node) == [later]:
            local = self.problem.local_sum(self.state, later, node)
            return (f"You gave {self.grad(later)} = {describe(wrong)}, the gradient arriving from above, but left out "
                    f"the local derivative ∂{later}/∂{node} (from {self.formula(later)}).",
                    f"{self.label} = {self.grad(later)} · ∂{later}/∂{node}: {CHAIN_WORDS}.",
                    f"{self.label} = {self.grad(later)} · ∂{later}/∂{node} = {factor(wrong)} · {factor(local)} "
                    f"{equals_sign(wrong, local, right)} {describe(right)}.")
        if self.dominates(later, node):
            step = self.problem.backward(self.state, seed=later)[node]
            return (f"You gave {self.grad(later)} = {describe(wrong)}, the gradient at {later}; {node} reaches "
                    f"{later} through more steps, so multiply by d{later}/d{node}.",
                    f"{self.label} = {self.grad(later)} · d{later}/d{node}: {CHAIN_WORDS}.",
                    f"{self.label} = {self.grad(later)} · d{later}/d{node} = {factor(wrong)} · {factor(step)} "
                    f"{equals_sign(wrong, step, right)} {describe(right)}.")
        return (f"You gave {self.grad(later)} = {describe(wrong)}, the gradient at {later}, without the derivatives "
                f"between {node} and {later}.", self.chain, "")

    # -------------------------------------------------------------- wrong local derivatives

    def explain_variant(self, variant: _EdgeVariant, key: tuple[str, int], wrong: Num, right: Num) -> Explanation:
        rule = with_chain(self.problem, self.ask, variant.rule)
        if self.formula_mode:
            return variant.sentence, rule, ""
        return variant.sentence, rule, variant.numbers(variant.wrong_local(self.state), self.state.locals[key])

    def explain_total_sign(self, wrong: Num, right: Num) -> Explanation:
        rule = f"{self.chain or self.local_rule} {SIGN[0].upper()}{SIGN[1:]}."
        if self.formula_mode:
            return f"Your formula has the wrong sign: it is −{self.label}.", rule, ""
        return f"Check the sign of {self.label}: count the minus signs along the way again.", rule, ""

    def edge_variants(self, edge: Edge) -> list[_EdgeVariant]:
        target, source, slot = edge.target, edge.source, edge.slot
        sn = self.d_name(source)
        op = self.graph.nodes[target].op
        variants: list[_EdgeVariant] = []
        here = self.numbers_sentence(target, source)
        rule = op_rule(self.problem, target, slot)
        d = f"∂{self.d_name(target)}/∂{self.d_name(source)}"
        if op == "mul":
            other_value = self.state.arguments[target][1 - slot]
            variants.append(_EdgeVariant(
                "wrong-operand", lambda s: s.values[source],
                f"For the product {self.formula(target)}, your {d} uses {sn} itself; the derivative with "
                f"respect to one factor does not contain that factor's own value.",
                rule,
                lambda w, r: f"Here {d} = {self.problem.operand_text(target, 1 - slot)} = {describe(other_value)}, "
                             f"not {describe(w)}.",
            ))
        elif op == "pow":
            variants.extend(self.power_variants(target, source, slot, here, rule))
        elif op in ACTIVATIONS:
            variants.extend(self.activation_variants(op, target, source, here, rule))
        if (op == "sub" and slot == 1) or op == "neg":
            verb = "subtracts" if op == "sub" else "negates"
            variants.append(_EdgeVariant(
                "sign-flip", lambda s: _ONE,
                f"{self.formula(target)} {verb} {sn}, but your {d} has the sign of an addition.",
                rule,
                lambda w, r: "",
            ))
        if op == "div":
            key = (target, slot)
            if slot == 1:
                variants.append(_EdgeVariant(
                    "sign-flip", lambda s, k=key: neg(s.locals[k]),
                    f"For the quotient {self.formula(target)}, your {d} has lost the quotient rule's minus sign.",
                    rule, here,
                ))
            # The other input's derivative given for this one: 1/b for the denominator, −a/b² for the numerator.
            # Only when the other input is a variable too: 1/x for the slope of 1/x is its own value, not this.
            if self.graph.nodes[target].operands[1 - slot].is_node:
                variants.append(_EdgeVariant(
                    "wrong-operand", lambda s, t=target, sl=slot: _quotient_other(s, t, sl),
                    f"For the quotient {self.formula(target)}, your {d} is the rule for the "
                    f"{'numerator' if slot == 1 else 'denominator'}, not for {sn}, the "
                    f"{'denominator' if slot == 1 else 'numerator'}.",
                    rule, here,
                ))
        return variants

    def numbers_sentence(self, target: str, source: str) -> Callable[[Num, Num], str]:
        return lambda w, r: f"Here ∂{target}/∂{source} = {describe(r)}, not {describe(w)}."

    def power_variants(self, target: str, source: str, slot: int, here: Callable[[Num, Num], str],
                       rule: str) -> list[_EdgeVariant]:
        node_formula = self.formula(target)
        sn = self.d_name(source)
        d = f"∂{self.d_name(target)}/∂{self.d_name(source)}"
        if slot == 1:
            def exponent_as_power(s: PointState) -> Num:
                base, exponent = s.arguments[target]
                return mul(exponent, power(base, sub(exponent, _ONE)))

            return [_EdgeVariant(
                "power-rule", exponent_as_power,
                f"For {node_formula}, the variable {sn} is in the exponent, but your {d} uses the power rule, "
                f"which holds only for a constant exponent.",
                rule, here,
            )]
        n_text = self.problem.operand_text(target, 1)

        def n_times_power(s: PointState) -> Num:
            base, exponent = s.arguments[target]
            return mul(exponent, power(base, exponent))

        def power_without_factor(s: PointState) -> Num:
            base, exponent = s.arguments[target]
            return power(base, sub(exponent, _ONE))

        return [
            _EdgeVariant(
                "power-rule", n_times_power,
                f"For {node_formula}, your {d} brings the exponent down as a factor but keeps it on {sn} "
                f"as well: your answer uses {n_text}·{sn}^{_bracketed(n_text)}, and the power rule lowers the "
                f"exponent.",
                rule, here,
            ),
            _EdgeVariant(
                "power-rule", power_without_factor,
                f"For {node_formula}, your {d} lowers the exponent but leaves out the factor that the power rule "
                f"brings down in front.",
                rule, here,
            ),
        ]

    def activation_variants(self, op: str, target: str, source: str, here: Callable[[Num, Num], str],
                            rule: str) -> list[_EdgeVariant]:
        node_formula = self.formula(target)
        tn, sn = self.d_name(target), self.d_name(source)
        d = f"∂{self.d_name(target)}/∂{self.d_name(source)}"
        # Each variant is the slope a learner writes by a known slip; the messages quote the slip, never the slope.
        if op == "tanh":
            return [
                _EdgeVariant("activation-derivative", lambda s: sub(_ONE, mul(s.arguments[target][0], s.arguments[target][0])),
                             f"For {node_formula}, your {d} puts the input {sn} where tanh's slope uses the "
                             f"output {tn}: your answer uses 1 − {sn}^2.", rule, here),
                _EdgeVariant("activation-derivative", lambda s: sub(_ONE, s.values[target]),
                             f"For {node_formula}, your {d} uses 1 − {tn}: the output is not squared.", rule, here),
                _EdgeVariant("activation-derivative", lambda s: s.values[target],
                             f"For {node_formula}, your {d} is tanh's own output {tn}, not its slope.", rule, here),
                _EdgeVariant("activation-derivative", lambda s: add(_ONE, mul(s.values[target], s.values[target])),
                             f"For {node_formula}, your {d} uses 1 + {tn}^2: the sign inside tanh's slope is "
                             f"wrong.", rule, here),
            ]
        if op == "sigmoid":
            return [
                _EdgeVariant("activation-derivative",
                             lambda s: mul(s.arguments[target][0], sub(_ONE, s.arguments[target][0])),
                             f"For {node_formula}, your {d} puts the input {sn} where σ's slope uses the output "
                             f"{tn}: your answer uses {sn}·(1 − {sn}).", rule, here),
                _EdgeVariant("activation-derivative", lambda s: s.values[target],
                             f"For {node_formula}, your {d} is σ's own output {tn} alone, not its slope.", rule,
                             here),
                _EdgeVariant("activation-derivative", lambda s: sub(_ONE, s.values[target]),
                             f"For {node_formula}, your {d} uses (1 − {tn}) alone: half of σ's slope.", rule,
                             here),
                _EdgeVariant("activation-derivative", lambda s: mul(s.values[target], add(_ONE, s.values[target])),
                             f"For {node_formula}, your {d} uses {tn}·(1 + {tn}): the sign inside σ's slope "
                             f"is wrong.", rule, here),
            ]
        if op == "relu":
            key = (target, 0)
            return [
                _EdgeVariant("activation-derivative", lambda s: sub(_ONE, s.locals[key]),
                             f"Your {d} has relu's slope the wrong way round: look again at the sign of its input "
                             f"{sn}.", rule, here),
                _EdgeVariant("activation-derivative", lambda s: s.arguments[target][0],
                             f"Your {d} is relu's input {sn} itself; relu's slope is not its input.", rule, here),
            ]
        if op == "exp":
            return [
                _EdgeVariant("activation-derivative",
                             lambda s: mul(s.arguments[target][0], apply_function("exp", sub(s.arguments[target][0], _ONE))),
                             f"For {node_formula}, your {d} treats exp({sn}) as a power of {sn} "
                             f"({sn}·exp({sn} − 1)); e^x is not a power of x.", rule, here),
                _EdgeVariant("activation-derivative", lambda s: s.arguments[target][0],
                             f"For {node_formula}, your {d} is the input {sn} itself.", rule, here),
            ]
        # log
        return [
            _EdgeVariant("activation-derivative", lambda s: s.values[target],
                         f"For {node_formula}, your {d} is log({sn}) itself, the node's own value, not its slope.",
                         rule, here),
            _EdgeVariant("activation-derivative", lambda s: s.arguments[target][0],
                         f"For {node_formula}, your {d} is the input {sn} itself, not a slope of log.", rule,
                         here),
        ]


def _quotient_other(state: PointState, target: str, slot: int) -> Num:
    """The quotient's local derivative for the *other* operand: −a/b² given for ∂/∂a, 1/b for ∂/∂b."""
    numerator, denominator = state.arguments[target]
    if slot == 0:
        return neg(div(numerator, mul(denominator, denominator)))
    return div(_ONE, denominator)


# The diagnoses edge_variants can give for an edge into a node of each op (add gives none).
_VARIANT_KINDS: dict[str, tuple[str, ...]] = {
    "mul": ("wrong-operand",), "pow": ("power-rule",), "sub": ("sign-flip",), "neg": ("sign-flip",),
    "div": ("sign-flip", "wrong-operand"), **{op: ("activation-derivative",) for op in ACTIVATIONS},
}

_ORDER = {
    "value-for-grad": 0, "missing-upstream": 1, "missing-inner-derivative": 2, "missing-path": 3,
    "wrong-operand": 4, "power-rule": 5, "activation-derivative": 6, "sign-flip": 7,
}


# For a formula, "you gave the output itself" is the least specific reading: exp(2*x) for the derivative of
# y = exp(2*x) is the outer derivative alone (the chain-rule slip), and tanh(n) for y = tanh(n) is tanh's own
# output given as its slope; a teacher names those first, so value-for-grad comes after them. The same holds for
# local: asks (o for ∂o/∂n of o = tanh(n) is tanh's own output as its slope).
_FORMULA_ORDER: dict[str, float] = {**_ORDER, "value-for-grad": 6.5}

# How a second reading that also fits is named in the message (no numbers, no formulas).
READINGS = {
    "value-for-grad": "a forward value given in place of the derivative",
    "missing-upstream": "the local derivative without the gradient arriving from above",
    "missing-inner-derivative": "the outer derivative without the inner factor",
    "missing-path": "a path left out",
    "wrong-operand": "the derivative with respect to the other operand",
    "power-rule": "a power-rule slip",
    "activation-derivative": "a slip in the activation's slope",
    "sign-flip": "a sign slip",
}


def also_fits(diagnosis: str, others: list[str]) -> str:
    """The sentence a message ends with when another built-in reading gives the same answer ("" when none)."""
    other = next((item for item in others if item != diagnosis and item in READINGS), None)
    return f" Another reading fits your answer too: {READINGS[other]}." if other else ""


def _is_atom(text: str) -> bool:
    """A name, a number or one call such as tanh(w*x): nothing an operator next to it could split."""
    if text.replace("_", "").replace(".", "").isalnum():
        return True
    head, bracket, _ = text.partition("(")
    if not (bracket and head.isalpha() and text.endswith(")")):
        return False
    depth = 0
    for index, character in enumerate(text):
        depth += {"(": 1, ")": -1}.get(character, 0)
        if depth == 0 and index >= len(head) and index < len(text) - 1:
            return False  # tanh(a)*exp(b): the first call closes before the end
    return True


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _bracketed(text: str) -> str:
    return text if text.replace(".", "").isalnum() else f"({text})"
