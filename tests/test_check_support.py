"""Shared helpers for the checker tests (no tests here): does a message give the right answer away?

A wrong answer's ``GradeResult.message`` is shown at once, so it must not contain the right
answer; the arithmetic that reveals it goes to ``GradeResult.worked``. What is checked, exactly:

* numbers (``value:``, ``grad:``, ``local:`` and numeric problems): no number written in the
  message equals the right value (exactly, or within 1e-3 relative for decimals such as 0.7616),
  except numbers the learner wrote or their answer's own value (the message may quote them),
  constants written in the program or in the graph's node formulas (``z2^2``, and ``z2^(1/2)``
  for ``sqrt``, may be quoted as formulas), constants inside a formula, i.e. joined by an operator
  to a name (the 1 of ``1 − z^2`` or ``z1 − 1``, the 2 of ``2·z2``), and the two statements
  of relu's slope ("1 when z > 0 and 0 otherwise"), which hold at every point and leave the
  learner to decide which case applies;
* formulas (``derivative:``, ``derivative2:``): the right formula's text, as a whole, is not in
  the message once the texts it may quote (the learner's answer, the program's formulas, the
  coordinates of a test point) are taken out.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

# A number as messages write it: 42, -3, 1/3, 0.7616, 1.235e-05, −2 (a Unicode minus). Digits inside
# names (z1, dL/dz2, W1) are not numbers: they follow a letter or a digit.
NUMBER = re.compile(r"(?<![\w.])([-−]?\d+(?:\.\d+)?(?:e[-+]?\d+)?(?:/\d+)?)(?![\w]|\.\d)")


_NAME_THEN_OPERATOR = re.compile(r"[A-Za-z_][\w]*\)?\s*[-−+·*/^]\s*\(?$")
_OPERATOR_THEN_NAME = re.compile(r"^\s*[-−+·*/^]\s*\(?[A-Za-z_]")


def is_formula_constant(text: str, start: int, end: int) -> bool:
    """The number at text[start:end] is joined by an operator to a name: a constant of a formula."""
    return bool(_NAME_THEN_OPERATOR.search(text[max(0, start - 40):start]) or _OPERATOR_THEN_NAME.match(text[end:]))


def numbers_in(text: str, values_only: bool = False) -> list[tuple[str, float]]:
    """The numbers written in ``text``; with ``values_only``, not the constants inside formulas."""
    found = []
    for match in NUMBER.finditer(text):
        if values_only and is_formula_constant(text, match.start(1), match.end(1)):
            continue
        token = match.group(1)
        try:
            value = float(Fraction(token.replace("−", "-")))
        except (ValueError, ZeroDivisionError, OverflowError):
            continue
        found.append((token, value))
    return found


def same_value(first: float, second: float) -> bool:
    if not (math.isfinite(first) and math.isfinite(second)):
        return False
    return abs(first - second) <= max(1e-9, 1e-3 * abs(second))


GENERAL_RULES = (
    re.compile(r"∂\S+ is 1 when \S+ > 0 and 0 otherwise"),
    re.compile(r"relu's slope is 1 \(input positive\) or 0 \(otherwise\)"),
)


def giveaway_numbers(message: str, right: float, allowed: list[float]) -> list[str]:
    """Numbers in ``message`` equal to ``right`` that are not also one of the ``allowed`` ones (quoting the
    learner's own number reveals nothing, even where it is within rounding of the right one)."""
    for rule in GENERAL_RULES:
        message = rule.sub("", message)
    return [token for token, value in numbers_in(message, values_only=True)
            if same_value(value, right) and not any(same_value(value, other) for other in allowed)]


def program_constants(graph) -> list[float]:
    """Constants of the program as written and as the graph writes its nodes (sqrt(x) is z^(1/2))."""
    texts = [graph.program_text] + [graph.nodes[node_id].formula for node_id in graph.computed_ids]
    return [value for text in texts for _, value in numbers_in(text)]


def _squeezed(text: str) -> str:
    return " ".join(text.split())


def formula_given_away(message: str, expected_formula: str, quotable: list[str], inputs: tuple[str, ...] = ()) -> bool:
    """True when the right formula is in the message outside the ``quotable`` texts and the test points
    (``x = 1/2``: a value of an input, where the message compares the learner's formula)."""
    for name in inputs:
        message = re.sub(rf"(?<![\w.]){re.escape(name)} = [-−]?[\d./e+-]+", " ", message)
    rest = _squeezed(message)
    for text in sorted((_squeezed(text) for text in quotable if text.strip()), key=len, reverse=True):
        rest = re.sub(_whole(text), " ", rest)
    wanted = _squeezed(expected_formula)
    return bool(wanted) and re.search(_whole(wanted), rest) is not None


def _whole(formula: str) -> str:
    """A whole formula, not part of a longer one or of a number (the formula 1 is not in 1.01)."""
    return r"(?<!\w)(?<!\d\.)" + re.escape(formula) + r"(?![\w^(]|\.\d)"


def quotable_formulas(graph, answer: str) -> list[str]:
    """What a formula message may quote: the learner's answer and the program's formulas, as written and expanded."""
    texts = [answer]
    for node_id in graph.computed_ids:
        node = graph.nodes[node_id]
        texts += [node.formula, node.expanded_formula]
    return texts


# ---------------------------------------------------------------------------- the three levels (issue 14 §5)

RULE_CONSTANTS = (0.0, 1.0, -1.0)  # "= 1" (a sum's slope), "= −1" (of what is subtracted), relu's "0 where u < 0"


def instance_numbers_in_rule(rule: str, allowed: list[float]) -> list[str]:
    """Numbers in a ``rule`` that are not constants of a formula, of the rule itself (0, 1) or of the program
    (``allowed``): a general rule in symbols holds no number of this instance."""
    return [token for token, value in numbers_in(rule, values_only=True)
            if not any(same_value(value, other) for other in (*RULE_CONSTANTS, *allowed))]


def _normal(text: str) -> str:
    """A formula as plain ASCII without spaces, so 3·x^2, 3*x**2 and 3 * x^2 read alike."""
    return (text.replace("·", "*").replace("×", "*").replace("**", "^").replace("−", "-")
            .replace(" ", "").replace("(", "").replace(")", ""))


def local_formulas_given_away(message: str, graph, quotable: list[str]) -> list[str]:
    """The graph's local derivatives (``3*z2^2``, ``1 - tanh(z1)^2``, ``-a/b^2``) that a message states.

    A local derivative that is a single name (b, for z = a*b) or a number is not looked for: names and
    numbers are everywhere, and the numbers are checked as values. Texts the message may quote (the learner's
    answer, the program's formulas) are taken out first."""
    rest = _normal(message)
    for text in sorted((_normal(text) for text in quotable if text.strip()), key=len, reverse=True):
        rest = rest.replace(text, " ")
    found = []
    for edge in graph.edges:
        formula = _normal(edge.local_grad_formula)
        if re.fullmatch(r"-?[\w.]+", formula):
            continue
        if formula in rest:
            found.append(edge.local_grad_formula)
    return found
