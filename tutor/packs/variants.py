"""Parameterized problems: drawing a variant from a seed and filling in ``{name}`` placeholders.

A variant is fixed by one integer seed: ``random.Random(seed)`` draws each parameter in the order
the author wrote them, one ``choice`` among its allowed values. The same seed gives the same
variant on every machine and every Python version we support, so a learner's attempt can be
replayed from (problem id, seed) alone.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import Any, Union

from tutor.packs.models import (
    MAX_REQUIRE_DRAWS,
    PLACEHOLDER_PATTERN,
    REQUIRE_OPERATORS,
    AnswerTest,
    AskProblem,
    ChoiceOption,
    ChoiceProblem,
    ComputedParam,
    GraphProblemBase,
    LabProblem,
    LayerProblem,
    Mistake,
    NumericProblem,
    Problem,
    TraceProblem,
)

ParamValue = Union[int, float, str]

# Fields holding expressions in the expression language (placeholders are bracketed when negative),
# per problem model; and fields holding Markdown or plain text.
EXPRESSION_FIELDS = ("program", "answer")
TEXT_FIELDS = ("title", "prompt", "explanation")


class VariantError(ValueError):
    """A variant that cannot be built; ``field_path`` is relative to the problem's YAML mapping."""

    def __init__(self, message: str, field_path: tuple[Any, ...] = (), column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field_path = field_path
        self.column = column  # 1-based column inside the field's text when known


def draw_params(problem: Problem, seed: int) -> dict[str, ParamValue]:
    """The parameter values of variant ``seed`` (empty for problems without params).

    Drawn parameters are drawn in the order written; a computed one (``x2: "x1 + 1"``) takes the value of its
    expression over the ones before it. With ``require``, values that fail a condition are drawn again from
    the same generator (a problem without ``require`` draws exactly as before it existed)."""
    params = getattr(problem, "params", None) or {}
    requirements = list(getattr(problem, "require", None) or [])
    generator = random.Random(seed)
    for _ in range(MAX_REQUIRE_DRAWS if requirements else 1):
        values = _draw_once(params, generator)
        if all(requirement_holds(text, values, ("require", index)) for index, text in enumerate(requirements)):
            return values
    raise VariantError(f"no values met `require` in {MAX_REQUIRE_DRAWS} draws: widen the ranges or "
                       "loosen the conditions", ("require",))


def _draw_once(params: dict[str, Any], generator: random.Random) -> dict[str, ParamValue]:
    values: dict[str, ParamValue] = {}
    for name, spec in params.items():
        if isinstance(spec, ComputedParam):
            values[name] = computed_value(spec.compute, values, ("params", name))
            continue
        allowed = spec.allowed_values()
        if not allowed:
            raise VariantError(f"parameter '{name}' has no value left after `not:`", ("params", name))
        values[name] = generator.choice(allowed)
    return values


def _numbers(values: dict[str, ParamValue]) -> dict[str, float]:
    return {name: float(value) for name, value in values.items() if not isinstance(value, str)}


def computed_value(text: str, values: dict[str, ParamValue], path: tuple[Any, ...]) -> ParamValue:
    """The value of a computed parameter's expression over the (numeric) parameters drawn before it."""
    from tutor.expr import EvaluationError, ParseError, evaluate, parse_expression

    numbers = _numbers(values)
    source = substitute(text, values, in_expression=True)
    try:
        result = float(evaluate(parse_expression(source, allowed_names=set(numbers)), numbers))
    except ParseError as error:
        earlier = ", ".join(numbers) or "none"
        raise VariantError(f"cannot read {text!r}: {error.message} (a computed parameter may use the numeric "
                           f"parameters written before it: {earlier})", path,
                           error.column if source == text else None) from None
    except (EvaluationError, ZeroDivisionError, OverflowError) as error:
        raise VariantError(f"cannot compute {text!r} at {_values_text(values)}: {error}", path) from None
    if result != result or result in (float("inf"), float("-inf")):
        raise VariantError(f"{text!r} is not a finite number at {_values_text(values)}", path)
    return int(result) if result.is_integer() and abs(result) < 2**53 else result


def split_requirement(text: str) -> tuple[str, str, str, int]:
    """``"x1 != x2"`` -> ("x1", "!=", "x2", column of the operator); ValueError when there is no comparison."""
    for index, character in enumerate(text):
        pair = text[index:index + 2]
        if pair in REQUIRE_OPERATORS:
            return text[:index], pair, text[index + 2:], index + 1
        if character in "<>":
            return text[:index], character, text[index + 1:], index + 1
    raise ValueError("a condition compares two expressions with ==, !=, <, <=, > or >=, e.g. \"x1 != x2\"")


def requirement_holds(text: str, values: dict[str, ParamValue], path: tuple[Any, ...]) -> bool:
    from tutor.expr import EvaluationError, ParseError, evaluate, parse_expression

    try:
        left, operator, right, _ = split_requirement(text)
    except ValueError as error:
        raise VariantError(str(error), path) from None
    numbers = _numbers(values)
    sides = []
    for offset, side in ((0, left), (len(left) + len(operator), right)):
        try:
            sides.append(float(evaluate(parse_expression(side, allowed_names=set(numbers)), numbers)))
        except ParseError as error:
            raise VariantError(f"cannot read the condition {text!r}: {error.message}", path,
                               None if error.column is None else error.column + offset) from None
        except (EvaluationError, ZeroDivisionError, OverflowError):
            return False  # undefined at these values: draw again
    a, b = sides
    return {"==": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[operator]


def _values_text(values: dict[str, ParamValue]) -> str:
    return ", ".join(f"{name}={format_value(value, in_expression=False)}" for name, value in values.items()) or \
        "no values"


def format_value(value: ParamValue, *, in_expression: bool) -> str:
    """3 not 3.0; 0.5; words as they are; negative numbers bracketed inside expressions."""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        text = str(int(value))
    else:
        text = repr(value) if isinstance(value, float) else str(value)
    if in_expression and value < 0:
        return f"({text})"
    return text


# In prose an author writes ``{x}·({w})`` so that a negative w reads 2·(-5); for w = 5 the brackets are noise
# ("z1 = 2·(5)" in lesson 2's worked step). So in prose a bracketed lone placeholder keeps its brackets only
# for a negative number, and a negative number right after an operator gets them even where the author forgot.
_PROSE_PLACEHOLDER = re.compile(r"\(\{(?P<bracketed>[A-Za-z_][A-Za-z0-9_]*)\}\)|\{(?P<plain>[A-Za-z_][A-Za-z0-9_]*)\}")
_OPERATOR_BEFORE = re.compile(r"[·×*/^+\-−]\s*$")


def substitute(text: str, values: dict[str, ParamValue], *, in_expression: bool) -> str:
    """Replace ``{name}`` for every declared parameter name; leave other braces alone.

    Inside expressions a negative number is always bracketed. In prose it is bracketed where an operator
    comes before it or the author bracketed the placeholder, and an author's ``({name})`` loses its brackets
    when the number is not negative."""
    if not values or "{" not in text:
        return text

    def replace_in_expression(match: Any) -> str:
        name = match.group(1)
        if name not in values:
            return match.group(0)
        return format_value(values[name], in_expression=True)

    def replace_in_prose(match: Any) -> str:
        name = match.group("bracketed") or match.group("plain")
        if name not in values:
            return match.group(0)
        value = values[name]
        if isinstance(value, str):  # a word in brackets is the author's wording, not an operand
            return f"({value})" if match.group("bracketed") else value
        negative = value < 0
        after_operator = _OPERATOR_BEFORE.search(text, max(0, match.start() - 4), match.start()) is not None
        if negative and (match.group("bracketed") or after_operator):
            return format_value(value, in_expression=True)
        return format_value(value, in_expression=False)

    if in_expression:
        return PLACEHOLDER_PATTERN.sub(replace_in_expression, text)
    return _PROSE_PLACEHOLDER.sub(replace_in_prose, text)


def placeholder_names(text: str) -> list[str]:
    return PLACEHOLDER_PATTERN.findall(text)


@dataclass
class RenderedProblem:
    """One variant of a problem, ready to show and to grade.

    ``problem`` is a copy of the author's problem with every placeholder filled in. For ``trace``
    and ``ask`` problems ``at`` holds the input value of every program input (as numbers); for
    ``choice`` problems ``option_order`` is the order to show the option ids in.
    """

    problem: Problem
    seed: int
    params: dict[str, ParamValue] = field(default_factory=dict)
    at: dict[str, float] = field(default_factory=dict)
    option_order: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return self.problem.kind


def render_problem(problem: Problem, seed: int = 0) -> RenderedProblem:
    """The variant of ``problem`` for ``seed``. Raises VariantError when it cannot be built."""
    values = draw_params(problem, seed) if not isinstance(problem, LabProblem) else {}

    def text(value: str | None) -> str | None:
        return None if value is None else substitute(value, values, in_expression=False)

    def expression(value: str) -> str:
        return substitute(value, values, in_expression=True)

    update: dict[str, Any] = {
        "title": text(problem.title),
        "prompt": text(problem.prompt),
        "hints": [text(hint) for hint in problem.hints],
        "explanation": text(problem.explanation),
    }
    rendered_at: dict[str, float] = {}
    option_order: list[str] = []
    if isinstance(problem, (TraceProblem, AskProblem, NumericProblem, LayerProblem)):
        update["mistakes"] = [
            _copy(mistake, answer=expression(mistake.answer), feedback=text(mistake.feedback),
                  rule=text(mistake.rule) if mistake.rule is not None else None)
            for mistake in problem.mistakes
        ]
        update["tests"] = [_copy(test, answer=expression(test.answer)) for test in problem.tests]
    if isinstance(problem, NumericProblem):
        update["answer"] = expression(problem.answer)
    if isinstance(problem, TraceProblem):
        update["entry_hints"] = {ask: [text(hint) for hint in hints] for ask, hints in problem.entry_hints.items()}
    if isinstance(problem, GraphProblemBase):
        update["program"] = expression(problem.program)
        update["at"] = {
            name: (expression(value) if isinstance(value, str) else value) for name, value in problem.at.items()
        }
        rendered_at = resolve_inputs(update["program"], update["at"], values)
    if isinstance(problem, LayerProblem):
        update["network"] = resolve_network(problem, values)
    if isinstance(problem, ChoiceProblem):
        update["options"] = [
            _copy(option, text=text(option.text), feedback=text(option.feedback)) for option in problem.options
        ]
        option_order = problem.option_ids()
        if problem.shuffle:
            random.Random(f"options:{seed}").shuffle(option_order)
    rendered = problem.model_copy(update=update)
    return RenderedProblem(rendered, seed, values, rendered_at, option_order)


def _copy(model: Mistake | AnswerTest | ChoiceOption, **update: Any) -> Any:
    return model.model_copy(update=update)


def resolve_inputs(program_text: str, at: dict[str, float | str], values: dict[str, ParamValue]) -> dict[str, float]:
    """Every program input's value: from ``at`` (numbers or expressions), else the same-named parameter."""
    from tutor.expr import EvaluationError, ParseError, evaluate, parse_expression, parse_program

    try:
        program = parse_program(program_text)
    except ParseError as error:
        raise VariantError(f"cannot read the program: {error.message}", ("program",), error.column) from None
    resolved: dict[str, float] = {}
    for name in program.inputs:
        if name in at:
            raw = at[name]
            if isinstance(raw, str):
                try:
                    resolved[name] = float(evaluate(parse_expression(raw, allowed_names=set()), {}))
                except ParseError as error:
                    raise VariantError(
                        f"cannot read the value of '{name}' ({raw!r}): {error.message}", ("at", name), error.column
                    ) from None
                except EvaluationError as error:
                    raise VariantError(f"cannot compute the value of '{name}' ({raw!r}): {error}", ("at", name)) from None
            else:
                resolved[name] = float(raw)
        elif name in values:
            value = values[name]
            if isinstance(value, str):
                raise VariantError(
                    f"input '{name}' takes the parameter {name} = {value!r}, which is not a number", ("params", name)
                )
            resolved[name] = float(value)
        else:
            raise VariantError(
                f"input '{name}' has no value: add it to `at` or declare a parameter named {name}",
                ("at",) if at else ("program",),
            )
    for name in at:
        if name not in resolved:
            from tutor.packs.errors import did_you_mean

            raise VariantError(
                f"'{name}' is not an input of the program (its inputs are {', '.join(program.inputs)})"
                + did_you_mean(name, [input_name for input_name in program.inputs if input_name not in at]),
                ("at", name),
            )
    return resolved


def resolve_network(problem: LayerProblem, values: dict[str, ParamValue]) -> Any:
    """The network of a layer problem with every placeholder filled in and every entry a number."""
    from tutor.packs.models import LAYER_ACTIVATIONS, Network

    network = problem.network

    def number(raw: Any, path: tuple[Any, ...]) -> float | int:
        if not isinstance(raw, str):
            return raw
        text = substitute(raw, values, in_expression=True)
        return _evaluate_entry(text, ("network", *path))

    layers: list[dict[str, Any]] = []
    for index, layer in enumerate(network.layers):
        if hasattr(layer, "linear"):
            spec = layer.linear
            body: dict[str, Any] = {"W": [[number(entry, ("layers", index, "linear", "W", row, column))
                                           for column, entry in enumerate(entries)]
                                          for row, entries in enumerate(spec.W)]}
            if spec.b is not None:
                body["b"] = [number(entry, ("layers", index, "linear", "b", row)) for row, entry in enumerate(spec.b)]
            layers.append({"linear": body})
        else:
            name = substitute(layer.activation, values, in_expression=False)
            if name not in LAYER_ACTIVATIONS:
                raise VariantError(f"activation {name!r} is not one of {', '.join(LAYER_ACTIVATIONS)}",
                                   ("network", "layers", index, "activation"))
            layers.append({"activation": name})
    data: dict[str, Any] = {"layers": layers, "loss": network.loss}
    if network.X is not None:
        data["X"] = [[number(entry, ("X", row, column)) for column, entry in enumerate(entries)]
                     for row, entries in enumerate(network.X)]
    else:
        data["x"] = [number(entry, ("x", index)) for index, entry in enumerate(network.x or [])]
    if network.reduction is not None:
        data["reduction"] = network.reduction
    target: Any = network.target
    if isinstance(target, list):
        target = [[number(entry, ("target", row, column)) for column, entry in enumerate(item)]
                  if isinstance(item, list) else number(item, ("target", row)) for row, item in enumerate(target)]
    elif isinstance(target, str):
        target = number(target, ("target",))
    if network.loss == "softmax_ce":
        classes = target if network.batched and isinstance(target, list) else [target]
        if (isinstance(target, list) and not network.batched) or \
                any(isinstance(value, list) or float(value) != int(value) for value in classes):
            raise VariantError("for softmax_ce the target is a class number (0, 1, ...)" if not network.batched else
                               "for softmax_ce with X the target is a list of class numbers, one per example",
                               ("network", "target"))
        target = [int(value) for value in classes] if network.batched and isinstance(target, list) else int(target)
    elif not isinstance(target, list):
        raise VariantError("for mse the target is a list, one entry per output" + (
            " (with X: a matrix, one column per example)" if network.batched else ""), ("network", "target"))
    data["target"] = target
    return Network.model_validate(data)


def _evaluate_entry(text: str, path: tuple[Any, ...]) -> float | int:
    from tutor.expr import EvaluationError, ParseError, evaluate, parse_expression

    try:
        value = float(evaluate(parse_expression(text, allowed_names=set()), {}))
    except ParseError as error:
        raise VariantError(f"cannot read {text!r}: {error.message}", path, error.column) from None
    except EvaluationError as error:
        raise VariantError(f"cannot compute {text!r}: {error}", path) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise VariantError(f"{text!r} is not a finite number", path)
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def variant_count(problem: Problem) -> int:
    """How many distinct variants the parameters allow (1 without params)."""
    count = 1
    for spec in (getattr(problem, "params", None) or {}).values():
        count *= max(1, len(set(spec.allowed_values())))  # a computed parameter adds no variants
    return count
