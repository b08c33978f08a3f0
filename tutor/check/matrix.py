"""Grading matrix answers to layer quantities: ``z1``, ``dL/dW1`` and the rest of a layer trace.

An answer is typed as ``[[1, 2], [3, 4]]``, ``[1; 2; 3]`` (a column) or, for a 1x1 quantity,
a plain number; every entry may be arithmetic (``[[2*3, 1/2]]``). It is compared entry by entry
with the checker's usual rules (:func:`tutor.check.compare.compare_numbers`): exact when the
right entry is rational, within the tolerance when it is not, "rounded" when a decimal was
rounded.

When it is wrong, the diagnosis names the mistake, in this order:

1. the author's mistakes (matrices written the same way);
2. a shape that differs from the right one: ``transposed`` when it is the right answer's
   transpose, else one of the wrong answers of that shape, else ``wrong-shape`` (the message
   gives the expected shape and the rule that fixes it);
3. the wrong answers the layer engine records for the quantity (``missing-relu-mask``,
   ``missing-upstream``, ``wrong-operand``, ``activation-derivative``, ``sign-flip``, and
   ``transposed`` for square matrices; with a batch also ``batch-not-summed``, ``missing-batch-mean``,
   ``sum-for-mean`` and ``mean-for-sum``). A wrong answer that equals the right one here never
   fires: the learner who made that mistake was not wrong on this network.

Exact numbers: the layer engine and the matrix parser work in floats, so a float that is the
nearest double to a fraction with a denominator up to a million (``3``, ``0.5``, ``1/3``), or
within a few units of rounding of one with a denominator up to a thousand, is read as that
fraction. Hand-typed answers and integer-weight networks come out exact; values
such as ``tanh(1)`` stay floats and are compared within the tolerance.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from tutor.check.compare import EXACT, ROUNDED, compare_numbers, matches, number_text
from tutor.check.models import CORRECT, INCORRECT, INVALID, AuthorMistake, GradeResult, RequestError, Tolerance
from tutor.check.numbers import Num, describe
from tutor.diagnosis_ids import ALL_LAYER_DIAGNOSES, LAYER_DIAGNOSES, SHAPE_DIAGNOSES  # noqa: F401 (re-exported)
from tutor.expr.parser import ParseError

_DENOMINATOR_LIMIT = 10**6
_SIMPLE_DENOMINATOR_LIMIT = 1000
_ULPS_OF_NOISE = 4
MAX_NETWORK_LAYERS = 12
MAX_LAYER_ENTRIES = 400

Matrix = list[list[Num]]


# ---------------------------------------------------------------------------- numbers


def exact_entry(number: float) -> Num:
    """A float that is the double nearest to a small fraction becomes that fraction (see the module doc)."""
    number = float(number)
    if not math.isfinite(number):
        return number
    if number == 0:
        return Fraction(0)
    candidate = Fraction(number).limit_denominator(_DENOMINATOR_LIMIT)
    if float(candidate) == number:
        return candidate
    # 1/3 - 1 in floats misses -2/3 by an ulp; a fraction this simple is what was meant.
    simple = Fraction(number).limit_denominator(_SIMPLE_DENOMINATOR_LIMIT)
    if abs(float(simple) - number) <= _ULPS_OF_NOISE * math.ulp(number):
        return simple
    return number


def exact_matrix(array: Any) -> Matrix:
    return [[exact_entry(value) for value in row] for row in _rows(array)]


def _rows(array: Any) -> list[list[float]]:
    if hasattr(array, "tolist"):
        array = array.tolist()
    return [list(row) for row in array]


def shape_of(matrix: Sequence[Sequence[Any]]) -> tuple[int, int]:
    return (len(matrix), len(matrix[0]) if matrix else 0)


def shape_text(shape: tuple[int, int]) -> str:
    return f"({shape[0]}, {shape[1]})"


def transpose(matrix: Matrix) -> Matrix:
    return [list(column) for column in zip(*matrix)]


def matrix_text(matrix: Matrix, tolerance: Tolerance | None = None) -> str:
    """The matrix as a learner types it: a plain number for 1x1, ``[a; b; c]`` for a column."""
    rows, columns = shape_of(matrix)
    if (rows, columns) == (1, 1):
        return number_text(matrix[0][0], tolerance)
    if columns == 1:
        return "[" + "; ".join(number_text(row[0], tolerance) for row in matrix) + "]"
    return "[" + ", ".join("[" + ", ".join(number_text(value, tolerance) for value in row) + "]"
                           for row in matrix) + "]"


def _describe_matrix(matrix: Matrix) -> str:
    rows, columns = shape_of(matrix)
    if (rows, columns) == (1, 1):
        return describe(matrix[0][0])
    if columns == 1:
        return "[" + "; ".join(describe(row[0]) for row in matrix) + "]"
    return "[" + ", ".join("[" + ", ".join(describe(value) for value in row) + "]" for row in matrix) + "]"


def _all_match(answer: Matrix, right: Matrix, tolerance: Tolerance | None) -> bool:
    if shape_of(answer) != shape_of(right):
        return False
    return all(matches(a, r, tolerance) for row_a, row_r in zip(answer, right) for a, r in zip(row_a, row_r))


def _same(wrong: Matrix, right: Matrix, tolerance: Tolerance | None) -> bool:
    """A wrong answer that, typed in, would be graded right: the learner who made that mistake can't be told apart."""
    return _all_match(wrong, right, tolerance)


# ---------------------------------------------------------------------------- grading one quantity


def expected_text(quantity: Any, tolerance: Tolerance | None = None) -> str:
    """The right answer of a layer quantity as text that itself grades correct."""
    return matrix_text(exact_matrix(quantity.value), tolerance)


def grade_quantity(
    quantity: Any,
    answer: str,
    tolerance: Tolerance | None = None,
    mistakes: Sequence[AuthorMistake] = (),
) -> GradeResult:
    """Grade a typed matrix against a :class:`tutor.graph.layers.Quantity`."""
    if tolerance is not None and not isinstance(tolerance, Tolerance):
        raise RequestError(f"tolerance must be a Tolerance, not {tolerance!r}")
    right = exact_matrix(quantity.value)
    expected = matrix_text(right, tolerance)
    author = _author_matrices(quantity, mistakes)
    from tutor.expr.matrix import parse_matrix

    try:
        answer_matrix = exact_matrix(parse_matrix(answer))
    except ParseError as error:
        return GradeResult(INVALID, expected, None, _parse_message(quantity, error), error.column or 1)
    name = quantity.name
    expected_shape = shape_of(right)
    answer_shape = shape_of(answer_matrix)
    # Messages name the mistake and the rule, never the right entries: those are in "worked".
    worked = f"{quantity.rule} = {_describe_matrix(right)}."
    if answer_shape == expected_shape:
        outcomes = [compare_numbers(a, r, tolerance)
                    for row_a, row_r in zip(answer_matrix, right) for a, r in zip(row_a, row_r)]
        if all(outcome == EXACT for outcome in outcomes):
            return GradeResult(CORRECT, expected, None, f"Correct: {worked}", worked=worked)
        if all(outcome in (EXACT, ROUNDED) for outcome in outcomes):
            return GradeResult(CORRECT, expected, None,
                               f"Correct (rounded): {name} = {expected}; yours is within the tolerance.", rounded=True,
                               worked=worked)
    rule = general_rule(quantity)
    found = _diagnose(quantity, answer_matrix, right, tolerance, author)
    if found is not None:
        author_rule = next((mistake.rule for mistake, _ in author if (mistake.id or "author") == found[0]), "")
        return GradeResult(INCORRECT, expected, found[0], found[1], worked=worked, rule=author_rule or rule)
    if answer_shape != expected_shape:
        return GradeResult(INCORRECT, expected, "wrong-shape", _wrong_shape_message(quantity, answer_shape),
                           worked=worked, rule=rule)
    return GradeResult(INCORRECT, expected, None, _entries_off_message(quantity, answer_matrix, right, tolerance),
                       worked=worked, rule=rule)


def general_rule(quantity: Any) -> str:
    """The quantity's rule in symbols and why it has its shape (``GradeResult.rule``), with no entry of this network.

    A softmax loss names its target class (``[2]``); the rule writes it ``[t]``, t the target class."""
    rule = re.sub(r"\[\d+\]$", "[t] (t the target class)", quantity.rule)
    return f"{rule}; its shape: {quantity.shape_rule}."


def _parse_message(quantity: Any, error: ParseError) -> str:
    rows, columns = quantity.shape
    return f"{error} (write {quantity.name}, shape ({rows}, {columns}), as {_format_hint(quantity.shape)})"


def _format_hint(shape: tuple[int, ...]) -> str:
    rows, columns = shape
    if (rows, columns) == (1, 1):
        return "a number"
    if columns == 1:
        return "a column like [" + "; ".join(f"v{index + 1}" for index in range(rows)) + "]"
    if rows == 1:
        return "one row like [[" + ", ".join(f"v{index + 1}" for index in range(columns)) + "]]"
    return "rows like [[" + ", ".join("a" for _ in range(columns)) + "], [...], ...] with " \
        f"{rows} rows of {columns}"


def _author_matrices(quantity: Any, mistakes: Sequence[AuthorMistake]) -> list[tuple[AuthorMistake, Matrix]]:
    from tutor.expr.matrix import parse_matrix

    parsed = []
    for mistake in mistakes or ():
        if not isinstance(mistake, AuthorMistake):
            raise RequestError(f"a mistake must be an AuthorMistake, not {mistake!r}")
        try:
            parsed.append((mistake, exact_matrix(parse_matrix(mistake.answer))))
        except ParseError as error:
            raise RequestError(f"the author mistake {mistake.answer!r} is not a matrix answer to "
                               f"{quantity.name}: {error}") from None
    return parsed


def _wrong_answers(quantity: Any) -> list[tuple[str, Matrix]]:
    ordered = sorted(quantity.every_wrong_answer(),
                     key=lambda item: LAYER_DIAGNOSES.index(item[0]) if item[0] in LAYER_DIAGNOSES else len(LAYER_DIAGNOSES))
    return [(diagnosis, exact_matrix(value)) for diagnosis, value in ordered]


def layer_wrong_answers(quantity: Any, tolerance: Tolerance | None = None,
                        mistakes: Sequence[AuthorMistake] = ()) -> list[tuple[str, str, bool]]:
    """(diagnosis, the matrix it gives, whether that is the right answer here) for a layer quantity:
    the author's mistakes, ``transposed`` when the shape differs, then every built-in layer diagnosis."""
    right = exact_matrix(quantity.value)
    found: list[tuple[str, str, bool]] = []
    candidates = [(mistake.id or "author", wrong) for mistake, wrong in _author_matrices(quantity, mistakes)]
    if shape_of(transpose(right)) != shape_of(right):
        candidates.append(("transposed", transpose(right)))
    candidates += _wrong_answers(quantity)
    for diagnosis, wrong in candidates:
        entry = (diagnosis, matrix_text(wrong, tolerance), _same(wrong, right, tolerance))
        if entry not in found:
            found.append(entry)
    return found


def _diagnose(quantity: Any, answer: Matrix, right: Matrix, tolerance: Tolerance | None,
              author: Sequence[tuple[AuthorMistake, Matrix]]) -> tuple[str, str] | None:
    for mistake, wrong in author:
        if _same(wrong, right, tolerance):
            continue  # the author's "mistake" is right on this network; it never fires
        if _all_match(answer, wrong, tolerance):
            return mistake.id or "author", mistake.feedback
    if shape_of(answer) != shape_of(right) and _all_match(answer, transpose(right), tolerance):
        return "transposed", _transposed_message(quantity, shape_of(answer))
    for diagnosis, wrong in _wrong_answers(quantity):
        if _same(wrong, right, tolerance):
            continue
        if _all_match(answer, wrong, tolerance):
            return diagnosis, _diagnosis_message(quantity, diagnosis)
    return None


# ---------------------------------------------------------------------------- messages


def _transposed_message(quantity: Any, answer_shape: tuple[int, int]) -> str:
    rows, columns = quantity.shape
    if columns == 1 and answer_shape == (1, rows):
        return (f"Right numbers, wrong shape: you wrote a row {shape_text(answer_shape)}, but {quantity.name} is a "
                f"column {shape_text(quantity.shape)} ({quantity.shape_rule}). Write a column with ';' between "
                f"the entries, like [{'; '.join(f'v{index + 1}' for index in range(rows))}].")
    return (f"That is the transpose of {quantity.name}: yours is {shape_text(answer_shape)}, but {quantity.name} is "
            f"{shape_text(quantity.shape)}: {quantity.shape_rule}.")


def _wrong_shape_message(quantity: Any, answer_shape: tuple[int, int]) -> str:
    rows, columns = quantity.shape
    if columns == 1 and answer_shape[0] == 1 and rows > 1:
        return (f"Wrong shape: you wrote a row {shape_text(answer_shape)}, but {quantity.name} is a column "
                f"{shape_text(quantity.shape)} ({quantity.shape_rule}). Write a column with ';' between the "
                f"entries, like [{'; '.join(f'v{index + 1}' for index in range(rows))}].")
    return (f"Wrong shape: yours is {shape_text(answer_shape)}, but {quantity.name} is {shape_text(quantity.shape)} "
            f"({quantity.shape_rule}).")


def _diagnosis_message(quantity: Any, diagnosis: str) -> str:
    """The mistake in words; the quantity's rule itself goes to GradeResult.rule (see general_rule)."""
    name, rule = quantity.name, quantity.rule
    number = name[-1] if name[-1].isdigit() else ""
    if diagnosis == "missing-relu-mask":
        if name.startswith("a"):
            return f"{name} = relu(z{number}) sets the negative entries to 0; you copied z{number} unchanged."
        return ("The ReLU's zeroed entries came through: where the ReLU's input was not positive its slope is 0, "
                "so the gradient stops there, and your answer lets it through.")
    if diagnosis == "missing-upstream":
        if name.startswith("dL/dz") and "softmax" in rule:
            return f"That is softmax({name[4:]}) alone; the one-hot target is left out."
        if name.startswith("dL/dz"):
            return ("That is only the activation's local slope, without the gradient arriving from above "
                    "(entry by entry).")
        return "You left out the gradient arriving from above (the upstream gradient)."
    if diagnosis == "wrong-operand":
        if name.startswith("dL/dW"):
            return "You used the pre-activation z where the layer's input is the activation's output a."
        return f"That multiplies by W{number if number else ''} itself; the gradient flows back through Wᵀ."
    if diagnosis == "activation-derivative":
        return ("Your activation slope uses the pre-activation z where the slope of tanh and sigmoid is written "
                "with the activation's output a.")
    if diagnosis == "sign-flip":
        return "Every entry has the wrong sign."
    if diagnosis == "transposed":
        return f"That is the transpose of {name}. {quantity.shape_rule}."
    if diagnosis == "batch-not-summed":
        if name.startswith("dL/db"):
            return (f"You kept one column per example, but {name} is one column for the whole batch: every example "
                    "uses the same bias.")
        return (f"That is one example's share alone; every example in the batch adds its own share to {name}, "
                "since they all use the same weights.")
    if diagnosis == "missing-batch-mean":
        return ("The mean's 1/B is missing: this loss averages the examples of the batch, and that factor is in "
                "every gradient from the output down.")
    if diagnosis == "sum-for-mean":
        what = "the examples' losses" if name == "loss" else "the examples' gradients"
        return f"You added up {what} but did not divide: this loss is the mean over the batch, not the sum."
    if diagnosis == "mean-for-sum":
        return "You divided by the batch size, but this loss is the sum over the examples, not their mean."
    return "Not quite."


def _entries_off_message(quantity: Any, answer: Matrix, right: Matrix, tolerance: Tolerance | None) -> str:
    """Which entries are off (not what they should be): the learner redoes those with the rule."""
    wrong_cells = [(row, column) for row, (row_a, row_r) in enumerate(zip(answer, right))
                   for column, (a, r) in enumerate(zip(row_a, row_r)) if not matches(a, r, tolerance)]
    total = sum(len(row) for row in right)
    row, column = wrong_cells[0]
    if total == 1:
        return f"Not quite: you gave {describe(answer[row][column])}."
    verb = "is" if len(wrong_cells) == 1 else "are"
    first = "" if len(wrong_cells) == 1 else "the first "
    return (f"Not quite: {len(wrong_cells)} of {total} entries {verb} off; {first}entry ({row + 1}, {column + 1}) "
            f"has {describe(answer[row][column])}.")


# ---------------------------------------------------------------------------- coincidences (for validate)


def coinciding_layer_mistakes(quantity: Any, tolerance: Tolerance | None = None,
                              mistakes: Sequence[AuthorMistake] = ()) -> list[str]:
    """Wrong answers (built-in ids and author mistakes) that equal the right answer on this network.

    A learner making that mistake would be marked right. ``transposed`` of a 1x1 quantity is the
    quantity itself on every network, so it is never reported.
    """
    right = exact_matrix(quantity.value)
    found = [mistake.id or "author" for mistake, wrong in _author_matrices(quantity, mistakes)
             if _same(wrong, right, tolerance)]
    for diagnosis, wrong in _wrong_answers(quantity):
        if diagnosis == "transposed" and shape_of(right) == (1, 1):
            continue
        if _same(wrong, right, tolerance):
            found.append(diagnosis)
    return list(dict.fromkeys(found))


# ---------------------------------------------------------------------------- networks from plain data


LAYER_ASK_PREFIX = "layer:"


def layer_trace(network: Mapping[str, Any]) -> Any:
    """The :class:`tutor.graph.layers.LayerTrace` of a network given as plain data (cached).

    ``{"layers": [{"linear": {"W": [[1, -1]], "b": [0]}}, {"activation": "relu"}, ...],
    "x": [1, 2], "target": [1], "loss": "mse"}``; for ``"softmax_ce"`` the target is a class number.
    A batch has ``"X"`` instead of ``"x"``: a matrix (a list of rows) with one column per example, the
    target a matrix of the output's shape (mse) or one class per example, and optionally
    ``"reduction"``, ``"mean"`` (the default) or ``"sum"``.
    RequestError when the network is unusable.
    """
    if not isinstance(network, Mapping):
        raise RequestError("'network' must be an object with 'layers', 'x', 'target' and optionally 'loss'")
    unknown = sorted(set(network) - {"layers", "x", "X", "target", "loss", "reduction"})
    if unknown:
        raise RequestError(f"unknown network field '{unknown[0]}' (a network has layers, x or X, target, loss, "
                           "reduction)")
    if ("x" in network) == ("X" in network):
        raise RequestError("the network needs 'x' (one example) or 'X' (a batch, one column per example), not both"
                           if "x" in network else "the network needs 'x' (one example) or 'X' (a batch)")
    for field in ("layers", "target"):
        if field not in network:
            raise RequestError(f"the network needs '{field}'")
    try:
        key = json.dumps(network, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError):
        raise RequestError("the network must be plain numbers, lists and text (no NaN or infinity)") from None
    return _trace_cached(key)


@functools.lru_cache(maxsize=128)
def _trace_cached(key: str) -> Any:
    from tutor.graph.layers import LayerSpecError, network_from_spec, trace_network

    network = json.loads(key)
    layers = network["layers"]
    if not isinstance(layers, list) or not layers:
        raise RequestError("'layers' must be a non-empty list")
    if len(layers) > MAX_NETWORK_LAYERS:
        raise RequestError(f"at most {MAX_NETWORK_LAYERS} layers")
    for index, layer in enumerate(layers):
        if isinstance(layer, dict) and isinstance(layer.get("linear"), dict):
            body = layer["linear"]
            _check_numbers(body.get("W"), f"layer {index + 1} W", depth=2)
            if "b" in body:
                _check_numbers(body["b"], f"layer {index + 1} b", depth=1)
            unknown = sorted(set(body) - {"W", "b"})
            if unknown:
                raise RequestError(f"layer {index + 1}: unknown key '{unknown[0]}' (a linear layer has W and b)")
    batched = "X" in network
    inputs = network["X"] if batched else network["x"]
    _check_numbers(inputs, "X" if batched else "x", depth=2 if batched else 1)
    if batched and len({len(row) for row in inputs}) != 1:
        raise RequestError("every row of X needs the same number of entries, one per example")
    loss = network.get("loss", "mse")
    reduction = network.get("reduction", "mean")
    if reduction not in ("mean", "sum"):
        raise RequestError("reduction is mean or sum")
    target = network["target"]
    if loss == "softmax_ce":
        classes = target if batched and isinstance(target, list) else [target]
        if any(isinstance(value, bool) or not isinstance(value, int) for value in classes):
            raise RequestError("for softmax_ce the target is a class number (0, 1, ...)" if not batched else
                               "for softmax_ce with a batch the target is a list of class numbers, one per example")
    else:
        _check_numbers(target, "target", depth=2 if batched else 1)
    try:
        return trace_network(network_from_spec(layers), inputs, target, loss, reduction)
    except LayerSpecError as error:
        raise RequestError(f"the network doesn't fit together: {error}") from None
    except (ValueError, TypeError) as error:
        raise RequestError(f"the network can't be read: {error}") from None


def _check_numbers(value: Any, where: str, depth: int) -> None:
    def numbers(items: Any, level: int) -> int:
        if not isinstance(items, list) or not items:
            kind = "a list of rows" if level == 2 else "a list of numbers"
            raise RequestError(f"{where} must be {kind}")
        if level == 1:
            for item in items:
                if isinstance(item, bool) or not isinstance(item, (int, float)) or not math.isfinite(item):
                    raise RequestError(f"{where}: {json.dumps(item)} is not a number")
            return len(items)
        if not all(isinstance(row, list) for row in items):
            raise RequestError(f"{where} must be a list of rows, each a list of numbers")
        return sum(numbers(row, 1) for row in items)

    if numbers(value, depth) > MAX_LAYER_ENTRIES:
        raise RequestError(f"{where} has more than {MAX_LAYER_ENTRIES} entries")


def layer_quantity(trace: Any, ask: str) -> Any:
    """The quantity a ``layer:NAME`` ask names (``layer:dL/dW1``); RequestError if there is none."""
    if not isinstance(ask, str) or not ask.strip().startswith(LAYER_ASK_PREFIX):
        raise RequestError(f"a layer ask is layer:NAME, e.g. layer:dL/dW1, not {ask!r}")
    name = ask.strip()[len(LAYER_ASK_PREFIX):].strip()
    if name not in trace.quantities:
        raise RequestError(f"this network has no quantity {name!r} (it has {', '.join(trace.quantities)})")
    return trace.quantities[name]


def grade_layer(network: Mapping[str, Any], ask: str, answer: str, tolerance: Tolerance | None = None,
                mistakes: Sequence[AuthorMistake] = ()) -> GradeResult:
    """Grade ``answer`` to ``layer:NAME`` on ``network`` (plain data as in :func:`layer_trace`)."""
    if not isinstance(answer, str):
        raise RequestError("'answer' must be text")
    return grade_quantity(layer_quantity(layer_trace(network), ask), answer, tolerance, mistakes)
