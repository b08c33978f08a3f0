"""Parameterized problems: drawing a variant from a seed and filling in ``{name}`` placeholders.

A variant is fixed by one integer seed: ``random.Random(seed)`` draws each parameter in the order
the author wrote them, one ``choice`` among its allowed values. The same seed gives the same
variant on every machine and every Python version we support, so a learner's attempt can be
replayed from (problem id, seed) alone.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Union

from tutor.packs.models import (
    PLACEHOLDER_PATTERN,
    AnswerTest,
    AskProblem,
    ChoiceOption,
    ChoiceProblem,
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
    """The parameter values of variant ``seed`` (empty for problems without params)."""
    params = getattr(problem, "params", None) or {}
    generator = random.Random(seed)
    values: dict[str, ParamValue] = {}
    for name, spec in params.items():
        allowed = spec.allowed_values()
        if not allowed:
            raise VariantError(f"parameter '{name}' has no value left after `not:`", ("params", name))
        values[name] = generator.choice(allowed)
    return values


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


def substitute(text: str, values: dict[str, ParamValue], *, in_expression: bool) -> str:
    """Replace ``{name}`` for every declared parameter name; leave other braces alone."""
    if not values or "{" not in text:
        return text

    def replace(match: Any) -> str:
        name = match.group(1)
        if name not in values:
            return match.group(0)
        return format_value(values[name], in_expression=in_expression)

    return PLACEHOLDER_PATTERN.sub(replace, text)


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
            _copy(mistake, answer=expression(mistake.answer), feedback=text(mistake.feedback))
            for mistake in problem.mistakes
        ]
        update["tests"] = [_copy(test, answer=expression(test.answer)) for test in problem.tests]
    if isinstance(problem, NumericProblem):
        update["answer"] = expression(problem.answer)
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
    x = [number(entry, ("x", index)) for index, entry in enumerate(network.x)]
    target: Any = network.target
    if isinstance(target, list):
        target = [number(entry, ("target", index)) for index, entry in enumerate(target)]
    elif isinstance(target, str):
        target = number(target, ("target",))
    if network.loss == "softmax_ce":
        if isinstance(target, list) or float(target) != int(target):
            raise VariantError("for softmax_ce the target is a class number (0, 1, ...)", ("network", "target"))
        target = int(target)
    elif not isinstance(target, list):
        raise VariantError("for mse the target is a list, one entry per output", ("network", "target"))
    return Network.model_validate({"layers": layers, "x": x, "target": target, "loss": network.loss})


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
        count *= max(1, len(set(spec.allowed_values())))
    return count
