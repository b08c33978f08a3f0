"""Matrix answers: ``[[1, 2], [3, 4]]``, ``[1, 2; 3, 4]``, ``[[0.5], [-1]]`` or a plain number.

Brackets and commas are read here; every entry goes through the ordinary safe expression
parser, so ``[[2*3, 1/2]]`` works and errors still point at the right column.
"""

from __future__ import annotations

from collections.abc import Iterable

from tutor.expr.convert import EvaluationError, evaluate
from tutor.expr.parser import ParseError, parse_expression
from tutor.expr.tree import names_in
from tutor.formatting import format_number

MAX_MATRIX_TEXT = 4_000
MAX_MATRIX_ENTRIES = 400


def parse_matrix(text: str) -> list[list[float]]:
    """Rows of numbers. A single number is a 1x1 matrix; a flat list ``[1, 2, 3]`` is one row."""
    if not isinstance(text, str):
        raise ParseError("an answer must be text", 1, "")
    if len(text) > MAX_MATRIX_TEXT:
        raise ParseError(f"this is too long (the limit is {MAX_MATRIX_TEXT} characters)", MAX_MATRIX_TEXT + 1, text)
    stripped = text.strip()
    if not stripped:
        raise ParseError("the answer is empty", 1, text)
    if not stripped.startswith("["):
        if "]" in stripped:
            raise ParseError("a ']' with no '[' before it", text.index("]") + 1, text)
        return [[_entry_value(text, 0, len(text))]]
    rows = _read_rows(text)
    widths = {len(row) for row in rows}
    if len(widths) != 1:
        raise ParseError(f"every row needs the same number of entries (rows have {', '.join(str(len(r)) for r in rows)})",
                         text.index("[") + 1, text)
    if sum(len(row) for row in rows) > MAX_MATRIX_ENTRIES:
        raise ParseError(f"at most {MAX_MATRIX_ENTRIES} entries", 1, text)
    return rows


def _read_rows(text: str) -> list[list[float]]:
    """Scan brackets one character at a time; depth 1 holds rows, depth 2 holds entries."""
    start = text.index("[")
    if text[:start].strip():
        raise ParseError("unexpected text before '['", 1, text)
    depth = 0
    rows: list[list[float]] = []
    current_row: list[float] = []
    entry_start = start + 1
    nested = None  # True for [[..],[..]], False for [a, b; c, d]
    index = start
    closed_at = None
    awaiting_comma = False  # a bracketed row just closed; the next must follow a ','
    while index < len(text):
        character = text[index]
        if character == "[":
            depth += 1
            if depth > 2:
                raise ParseError("a matrix has at most two levels of brackets", index + 1, text)
            if depth == 2:
                if nested is False:
                    raise ParseError("mix of ';' rows and bracketed rows; use one style", index + 1, text)
                if text[entry_start:index].strip() or awaiting_comma:
                    raise ParseError("missing ',' before this row", index + 1, text)
                nested = True
                current_row = []
            entry_start = index + 1
        elif character == "]":
            if depth == 0:
                raise ParseError("a ']' with no '[' to close", index + 1, text)
            if depth == 2 or nested is not True:
                current_row.append(_entry_value(text, entry_start, index))
                rows.append(current_row)
                current_row = []
            elif text[entry_start:index].strip():
                raise ParseError("unexpected text after the last row", entry_start + 1, text)
            awaiting_comma = depth == 2
            depth -= 1
            entry_start = index + 1
            if depth == 0:
                closed_at = index
                break
        elif character == ",":
            if depth == 1 and nested:
                awaiting_comma = False
                if text[entry_start:index].strip():
                    raise ParseError("missing '[' before this entry", entry_start + 1, text)
            else:
                nested = False if nested is None and depth == 1 else nested
                current_row.append(_entry_value(text, entry_start, index))
            entry_start = index + 1
        elif character == ";":
            if depth != 1 or nested:
                raise ParseError("';' separates rows only in the style [1, 2; 3, 4]", index + 1, text)
            nested = False
            current_row.append(_entry_value(text, entry_start, index))
            rows.append(current_row)
            current_row = []
            entry_start = index + 1
        index += 1
    if closed_at is None:
        raise ParseError("missing ']'", len(text) + 1, text)
    if text[closed_at + 1 :].strip():
        raise ParseError("unexpected text after the closing ']'", closed_at + 2, text)
    if not rows:
        raise ParseError("the matrix is empty", start + 1, text)
    return rows


def _entry_value(text: str, start: int, end: int) -> float:
    piece = text[start:end]
    if not piece.strip():
        raise ParseError("an entry is missing here", start + 1, text)
    try:
        tree = parse_expression(piece)
        if names_in(tree):
            raise ParseError("matrix entries are numbers (or arithmetic on numbers), not names", 1, piece)
        return evaluate(tree, {})
    except ParseError as error:
        raise ParseError(error.message, start + error.column, text) from None
    except EvaluationError as error:
        raise ParseError(error.message, start + (error.column or 1), text) from None


def format_matrix(rows: Iterable[Iterable[float]]) -> str:
    """Write a matrix the way a learner would type it back."""
    return "[" + ", ".join("[" + ", ".join(format_number(float(v)) for v in row) + "]" for row in rows) + "]"
