"""A small hand-written parser for the tutor's expression language.

Why not ``ast`` or sympy's ``parse_expr``: ``parse_expr`` evaluates Python and can hang on
``9**9**9``; our own tokenizer and recursive-descent parser only ever build the tree types in
``tree.py`` and enforce size limits as they go, so a hostile string costs microseconds and a
typo gets a message with the exact column.

Grammar (lowest to highest precedence)::

    program    := statement ((";" | newline) statement)*
    statement  := NAME "=" sum | sum
    sum        := product (("+" | "-") product)*
    product    := unary (("*" | "/") unary | <implicit> power)*
    unary      := "-" unary | "+" unary | power
    power      := atom ("^" unary)?          # right-associative, 2^-1 allowed
    atom       := NUMBER | NAME | FUNCTION "(" sum ")" | "(" sum ")"

Implicit multiplication: a number followed by a name, a function or a bracket (``2x``,
``6(2x+1)^2``), and a closing bracket followed by an opening one (``(x+1)(x-1)``). In an
answer, whose names are known, also a name or a closing bracket followed by a name or a
bracket (``y(1-y)``, ``2b(a*b+c)``, ``(a*b+c)b``, ``3 ln(x) x^2``); a function name followed
by ``(`` is always a call. A number after a closing bracket (``(x+1)2``) stays an error: it
is as often a lost exponent as a product. ``ab`` is one name, never a*b.

An answer may say what it gives (``dL/da = 42``, ``∂z/∂a = b``, ``z = 6``):
:func:`split_answer` takes that left side off, leaving the columns of the rest unchanged.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
import threading
from collections.abc import Collection
from dataclasses import dataclass, field
from fractions import Fraction

from tutor.expr.tree import (
    FUNCTION_ALIASES,
    FUNCTIONS,
    NAMED_CONSTANTS,
    Binary,
    Call,
    Expression,
    Name,
    Number,
    Unary,
    column_of_name,
    names_in,
)

# Limits that keep a typo or a hostile string from eating the machine.
MAX_EXPRESSION_LENGTH = 2_000
MAX_PROGRAM_LENGTH = 400_000  # a 10,000-node program, one step a line
MAX_NESTING_DEPTH = 40
MAX_EXPRESSION_NODES = 600
MAX_PROGRAM_NODES = 40_000  # parts, leaves included: a 10,000-node graph
MAX_LITERAL_DIGITS = 30
MAX_LITERAL_MAGNITUDE = 10**30
MAX_LITERAL_EXPONENT = 60  # past 10**30 a number is refused anyway (MAX_LITERAL_MAGNITUDE)
MIN_LITERAL_EXPONENT = -330  # a float is 0 below about 5e-324
MAX_CONSTANT_EXPONENT = 64  # a literal exponent such as x^64; 9^9^9 is refused, not computed
MAX_FOLDED_DIGITS = 60  # a folded constant such as 2^64 stays below this many digits


class ParseError(ValueError):
    """Text that is not a valid expression or program; says where, in words a learner understands."""

    def __init__(self, message: str, column: int, source_text: str = "", line: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.column = column  # 1-based, within its line
        self.line = line  # 1-based
        self.source_text = source_text

    def __str__(self) -> str:
        where = f"line {self.line}, column {self.column}" if self.line > 1 else f"column {self.column}"
        return f"{where}: {self.message}"

    def line_text(self) -> str:
        lines = self.source_text.split("\n")
        return lines[self.line - 1] if 0 < self.line <= len(lines) else ""

    def pretty(self) -> str:
        """The offending line, a caret under the column, and the message."""
        text = self.line_text()
        if len(text) > 120:  # keep a window around the caret for very long input
            start = max(0, self.column - 60)
            text = ("…" if start else "") + text[start : start + 100]
            caret_column = self.column - start + (1 if start else 0)
        else:
            caret_column = self.column
        return f"{text}\n{' ' * max(caret_column - 1, 0)}^ {self.message}"


# ---------------------------------------------------------------- tokens


@dataclass(frozen=True)
class Token:
    kind: str  # number, name, op, lparen, rparen, assign, separator, end
    text: str
    column: int  # 1-based column in its line
    line: int


_SUPERSCRIPT_DIGITS = {"⁰": "0", "¹": "1", "²": "2", "³": "3", "⁴": "4", "⁵": "5", "⁶": "6", "⁷": "7", "⁸": "8", "⁹": "9"}
_ASCII_DIGITS = frozenset("0123456789")
_OPERATOR_SPELLINGS = {
    "+": "+", "-": "-", "−": "-", "–": "-", "*": "*", "·": "*", "×": "*", "⋅": "*", "∗": "*", "•": "*",
    "/": "/", "÷": "/", "^": "^",
}


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    index, line, line_start = 0, 1, 0
    length = len(text)
    while index < length:
        character = text[index]
        column = index - line_start + 1
        if character == "\n":
            tokens.append(Token("separator", "\n", column, line))
            index += 1
            line += 1
            line_start = index
            continue
        if character in " \t\r":
            index += 1
            continue
        if character == "#":  # a comment runs to the end of the line
            while index < length and text[index] != "\n":
                index += 1
            continue
        if character in _ASCII_DIGITS or (character == "." and index + 1 < length and text[index + 1] in _ASCII_DIGITS):
            end = _scan_number(text, index, line, line_start)
            tokens.append(Token("number", text[index:end], column, line))
            index = end
            continue
        if character.isalpha() or character == "_":
            if character == "σ" or character == "π":
                tokens.append(Token("name", character, column, line))
                index += 1
                continue
            end = index
            while end < length and (text[end].isalnum() or text[end] == "_") and text[end] not in _SUPERSCRIPT_DIGITS:
                end += 1
            word = text[index:end]
            if word.startswith("_"):
                raise ParseError("names can't start with '_'", column, text, line)
            if not word.isascii():
                raise ParseError(f"'{word}' has letters the tutor doesn't use; names are plain letters, digits and _",
                                 column, text, line)
            tokens.append(Token("name", word, column, line))
            index = end
            continue
        if character in _SUPERSCRIPT_DIGITS:
            end = index
            while end < length and text[end] in _SUPERSCRIPT_DIGITS:
                end += 1
            digits = "".join(_SUPERSCRIPT_DIGITS[c] for c in text[index:end])
            tokens.append(Token("op", "^", column, line))
            tokens.append(Token("number", digits, column, line))
            index = end
            continue
        if character == "*" and text.startswith("**", index):
            tokens.append(Token("op", "^", column, line))
            index += 2
            continue
        if character in _OPERATOR_SPELLINGS:
            tokens.append(Token("op", _OPERATOR_SPELLINGS[character], column, line))
            index += 1
            continue
        if character in "([{":
            if character != "(":
                raise ParseError(f"use round brackets ( ) for grouping, not {character}", column, text, line)
            tokens.append(Token("lparen", "(", column, line))
            index += 1
            continue
        if character in ")]}":
            if character != ")":
                raise ParseError(f"use round brackets ( ) for grouping, not {character}", column, text, line)
            tokens.append(Token("rparen", ")", column, line))
            index += 1
            continue
        if character == "=":
            if text.startswith("==", index):
                raise ParseError("use a single '=' to name a result", column, text, line)
            tokens.append(Token("assign", "=", column, line))
            index += 1
            continue
        if character == ";":
            tokens.append(Token("separator", ";", column, line))
            index += 1
            continue
        if character == ".":
            raise ParseError("'.' can only appear inside a number, like 0.5", column, text, line)
        if character == ",":
            raise ParseError("',' isn't used here; write decimals with '.', like 0.5", column, text, line)
        raise ParseError(f"unexpected character {character!r}", column, text, line)
    end = length  # the end is just after the last character typed, not after trailing blanks
    while end > line_start and text[end - 1] in " \t\r":
        end -= 1
    tokens.append(Token("end", "", end - line_start + 1, line))
    return tokens


def _scan_number(text: str, start: int, line: int, line_start: int) -> int:
    index = start
    length = len(text)
    while index < length and text[index] in _ASCII_DIGITS:
        index += 1
    if index < length and text[index] == ".":
        index += 1
        while index < length and text[index] in _ASCII_DIGITS:
            index += 1
        if index < length and text[index] == ".":
            raise ParseError("a number can have only one '.'", index - line_start + 1, text, line)
    # An exponent only when digits follow, so "2e" stays 2*e and "3exp(x)" stays 3*exp(x).
    if index < length and text[index] in "eE":
        look = index + 1
        if look < length and text[look] in "+-":
            look += 1
        if look < length and text[look] in _ASCII_DIGITS:
            index = look
            while index < length and text[index] in _ASCII_DIGITS:
                index += 1
    if index - start > MAX_LITERAL_DIGITS + 6:
        raise ParseError(f"that number is too long (at most {MAX_LITERAL_DIGITS} digits)", start - line_start + 1, text, line)
    return index


# ---------------------------------------------------------------- parser


@dataclass
class Assignment:
    target: str
    expression: Expression
    named_by_author: bool
    line: int
    column: int  # column of the target (or of the expression when the author gave no name)


@dataclass
class Program:
    source_text: str
    assignments: list[Assignment]
    inputs: list[str] = field(default_factory=list)

    @property
    def output(self) -> str:
        return self.assignments[-1].target


class _Parser:
    def __init__(self, text: str, tokens: list[Token], max_nodes: int,
                 known_names: frozenset[str] | None = None) -> None:
        self.text = text
        self.known_names = known_names  # an answer's names: they multiply implicitly (y(1-y)); None in programs
        self.tokens = tokens
        self.position = 0
        self.depth = 0
        self.nodes_built = 0
        self.max_nodes = max_nodes

    # -- helpers
    @property
    def current(self) -> Token:
        return self.tokens[self.position]

    def advance(self) -> Token:
        token = self.tokens[self.position]
        self.position += 1
        return token

    def error(self, message: str, token: Token | None = None) -> ParseError:
        token = token or self.current
        return ParseError(message, token.column, self.text, token.line)

    def count_node(self, token: Token) -> None:
        self.nodes_built += 1
        if self.nodes_built > self.max_nodes:
            raise self.error(f"this is too big to check (more than {self.max_nodes} parts)", token)

    def enter(self, token: Token) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING_DEPTH:
            raise self.error(f"brackets or signs are nested too deeply (more than {MAX_NESTING_DEPTH} levels)", token)

    def leave(self) -> None:
        self.depth -= 1

    # -- grammar
    def parse_sum(self) -> Expression:
        self.enter(self.current)
        try:
            left = self.parse_product()
            while self.current.kind == "op" and self.current.text in "+-":
                operator = self.advance()
                right = self.parse_product()
                left = self.make_binary("add" if operator.text == "+" else "sub", left, right, operator)
            return left
        finally:
            self.leave()

    def parse_product(self) -> Expression:
        left = self.parse_unary()
        while True:
            token = self.current
            if token.kind == "op" and token.text in "*/":
                self.advance()
                if self.current.kind == "op" and self.current.text in "*/":
                    raise self.error(f"two operators in a row: '{token.text}{self.current.text}'")
                right = self.parse_unary()
                left = self.make_binary("mul" if token.text == "*" else "div", left, right, token)
            elif self.implicit_multiplication_follows(left):
                right = self.parse_power()
                left = self.make_binary("mul", left, right, token)
            else:
                return left

    def implicit_multiplication_follows(self, left: Expression) -> bool:
        token = self.current
        previous = self.tokens[self.position - 1]
        if previous.kind == "number" and token.kind in ("name", "lparen"):
            return True
        if previous.kind == "rparen" and token.kind == "lparen":
            return True
        answer = self.known_names is not None  # an answer: the names it may use are known
        if previous.kind == "rparen" and token.kind == "name" and answer:
            return True  # (a*b+c)b, exp(x)(1+x), 3 ln(x) x^2
        if previous.kind == "rparen" and token.kind == "number":
            # (x+1)2 is as often a lost exponent as a product: the learner says which.
            raise self.error(f"missing operator before '{token.text}' "
                             f"(write ')*{token.text}' to multiply, or ')^{token.text}' for a power)")
        if previous.kind == "rparen" and token.kind == "name":
            raise self.error(f"missing operator before '{token.text}' (did you mean ')*{token.text}'?)")
        if previous.kind == "name" and token.kind in ("name", "lparen") and answer:
            if previous.text == "e" and token.kind == "lparen":
                raise self.error("'e(' is unclear: write exp(...) for e to a power, or e*(...) to multiply", previous)
            if self.is_known(previous.text):
                return True  # y(1-y), 2b(a*b+c), x exp(x)
            if token.kind == "name":
                return True  # the name check names the unknown one ("did you mean a*b?")
        if previous.kind in ("name", "number") and token.kind in ("name", "number"):
            raise self.error(f"missing operator between '{previous.text}' and '{token.text}'")
        if previous.kind == "name" and token.kind == "lparen":
            raise self.error(self.not_a_function(previous.text), previous)
        return False

    def is_known(self, name: str) -> bool:
        return name in NAMED_CONSTANTS or (self.known_names is not None and name in self.known_names)

    def not_a_function(self, word: str) -> str:
        functions = (*FUNCTIONS, "sqrt")
        if self.known_names is not None:
            split = _split_into_known_names(word, self.known_names)
            if split:
                return f"unknown name '{word}' (did you mean {'*'.join(split)}?)"
            for function in sorted((*functions, *FUNCTION_ALIASES), key=len, reverse=True):
                stem = word[: -len(function)]
                if word.endswith(function) and stem:  # xexp(x): x*exp(x)
                    parts = [stem] if stem in self.known_names else _split_into_known_names(stem, self.known_names)
                    if parts:
                        return f"'{word}' is not a function (did you mean {'*'.join(parts)}*{function}(?)"
        close = difflib.get_close_matches(word, (*functions, *FUNCTION_ALIASES), n=1, cutoff=0.6)
        if close:
            return f"'{word}' is not a function (did you mean {close[0]}?)"
        if self.known_names is not None:
            return f"'{word}' is not a function (those are {', '.join(functions)}) and not a name you can use here"
        return f"'{word}' is not a function (those are {', '.join(functions)}); to multiply, write '{word}*('"

    def parse_unary(self) -> Expression:
        token = self.current
        if token.kind == "op" and token.text in "+-":
            self.advance()
            self.enter(token)
            try:
                operand = self.parse_unary()
            finally:
                self.leave()
            if token.text == "+":
                return operand
            self.count_node(token)
            if isinstance(operand, Number):
                return _negate_number(operand, token.column)
            return Unary("neg", operand, token.column)
        return self.parse_power()

    def parse_power(self) -> Expression:
        base = self.parse_atom()
        if self.current.kind == "op" and self.current.text == "^":
            operator = self.advance()
            self.enter(operator)
            try:
                exponent = self.parse_unary()
            finally:
                self.leave()
            return self.make_binary("pow", base, exponent, operator)
        return base

    def parse_atom(self) -> Expression:
        token = self.current
        if token.kind == "number":
            self.advance()
            self.count_node(token)
            return _number_from_text(token, self)
        if token.kind == "name":
            self.advance()
            self.count_node(token)
            function = FUNCTION_ALIASES.get(token.text, token.text)
            if function in FUNCTIONS or function == "sqrt":
                return self.parse_call(token, function)
            if token.text in NAMED_CONSTANTS:
                value = math.e if token.text == "e" else math.pi
                return Number(value, "e" if token.text == "e" else "pi", token.column)
            return Name(token.text, token.column)
        if token.kind == "lparen":
            self.advance()
            inner = self.parse_sum()
            if self.current.kind != "rparen":
                raise self.error("missing ')'" if self.current.kind in ("end", "separator")
                                 else f"expected ')' before '{self.current.text}'")
            self.advance()
            return inner
        raise self.error(self.describe_unexpected(token))

    def parse_call(self, name_token: Token, function: str) -> Expression:
        if self.current.kind != "lparen":
            raise self.error(f"{name_token.text} needs brackets: {name_token.text}(...)", name_token)
        self.advance()
        argument = self.parse_sum()
        if self.current.kind != "rparen":
            raise self.error("missing ')'" if self.current.kind in ("end", "separator")
                             else f"{name_token.text}(...) takes one argument; expected ')' here")
        self.advance()
        if function == "sqrt":
            return self.make_binary("pow", argument, Number(Fraction(1, 2), "1/2", name_token.column), name_token)
        return Call(function, argument, name_token.column)

    def describe_unexpected(self, token: Token) -> str:
        if token.kind in ("end", "separator"):
            return "the expression ends too early; something is missing here"
        if token.kind == "rparen":
            return "unexpected ')' (nothing to close, or an empty bracket)"
        if token.kind == "assign":
            return "'=' can only follow a name at the start, like 'z1 = a*b'"
        if token.kind == "op":
            return f"'{token.text}' needs something on its left"
        return f"unexpected '{token.text}'"

    def make_binary(self, op: str, left: Expression, right: Expression, token: Token) -> Expression:
        self.count_node(token)
        if op == "pow":
            _check_exponent(right, token, self)
        if isinstance(left, Number) and isinstance(right, Number) and left.is_exact and right.is_exact:
            folded = _fold(op, left, right, token, self)
            if folded is not None:
                return folded
        return Binary(op, left, right, token.column)


def _number_from_text(token: Token, parser: _Parser) -> Number:
    mantissa, _, exponent = token.text.lower().partition("e")
    # Checked before Fraction() so "1e99999999" never builds a 100-million-digit integer. Small numbers
    # go down to where a float underflows to 0: the checker itself shows answers such as 2.895e-63 (a
    # softmax probability), and a learner who types one back must not be told it is "too small".
    if exponent and not MIN_LITERAL_EXPONENT <= int(exponent) <= MAX_LITERAL_EXPONENT:
        raise parser.error("that number is too large or too small to be useful here", token)
    try:
        value = Fraction(token.text)
    except (ValueError, ZeroDivisionError):
        raise parser.error(f"'{token.text}' is not a number", token) from None
    if abs(value) > MAX_LITERAL_MAGNITUDE:
        raise parser.error("that number is too large to be useful here", token)
    return Number(value, token.text, token.column)


def _negate_number(number: Number, column: int) -> Number:
    text = number.text[1:] if number.text.startswith("-") else "-" + number.text
    return Number(-number.value, text, column)


def _format_fraction(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


def _check_exponent(exponent: Expression, token: Token, parser: _Parser) -> None:
    if isinstance(exponent, Number) and not -MAX_CONSTANT_EXPONENT <= exponent.value <= MAX_CONSTANT_EXPONENT:
        raise parser.error(f"exponents larger than {MAX_CONSTANT_EXPONENT} aren't supported", token)


def _fold(op: str, left: Number, right: Number, token: Token, parser: _Parser) -> Number | None:
    """Fold exact constant arithmetic (28/2 -> 14, 2^-1 -> 1/2), refusing results that would explode."""
    a, b = left.value, right.value
    assert isinstance(a, Fraction) and isinstance(b, Fraction)
    if op == "add":
        value = a + b
    elif op == "sub":
        value = a - b
    elif op == "mul":
        value = a * b
    elif op == "div":
        if b == 0:
            raise parser.error("division by zero", token)
        value = a / b
    else:
        if b.denominator != 1:
            return None  # 2^(1/2) is irrational: keep it as a power
        if a == 0 and b < 0:
            raise parser.error("0 to a negative power is undefined", token)
        digits = max(len(str(a.numerator)), len(str(a.denominator)))
        if digits * abs(b.numerator) > MAX_FOLDED_DIGITS:
            raise parser.error("that power is too large to work with", token)
        value = a ** int(b)
    return Number(value, _format_fraction(value), left.column)


def _check_length(text: str, limit: int) -> None:
    if len(text) > limit:
        raise ParseError(f"this is too long ({len(text)} characters; the limit is {limit})", limit + 1, text[: limit + 1])


_PARSED_LIMIT = 4096  # distinct (text, names) kept; validate parses the same few answers thousands of times
_parsed: dict[tuple[str, frozenset[str] | None, frozenset[str] | None], Expression] = {}
_parsed_lock = threading.Lock()


def parse_expression(
    text: str,
    allowed_names: Collection[str] | None = None,
    known_names: Collection[str] | None = None,
) -> Expression:
    """Parse one expression (an answer). With ``allowed_names``, any other name is an error.

    ``known_names`` (by default ``allowed_names``) are the names an answer may be written
    with; with them, a name or a closing bracket followed by a name or ``(`` multiplies
    (``y(1-y)``, ``2b(a*b+c)``, ``(a*b+c)b``). Without them (a bare expression) the grammar
    is the strict one programs use, where ``w(x)`` can't be told from a misspelt function.

    Trees are immutable (frozen dataclasses all the way down), so a text parsed before with the same
    names returns the same tree; a text that does not parse is parsed (and its error raised) every time.
    """
    if not isinstance(text, str) or len(text) > MAX_EXPRESSION_LENGTH:
        return _parse_expression(text, allowed_names, known_names)
    known = known_names if known_names is not None else allowed_names
    key = (text, None if allowed_names is None else frozenset(allowed_names),
           None if known is None else frozenset(known))
    tree = _parsed.get(key)
    if tree is None:
        tree = _parse_expression(text, allowed_names, known_names)
        with _parsed_lock:
            if len(_parsed) >= _PARSED_LIMIT:
                _parsed.clear()
            _parsed[key] = tree
    return tree


def _parse_expression(
    text: str,
    allowed_names: Collection[str] | None,
    known_names: Collection[str] | None,
) -> Expression:
    if not isinstance(text, str):
        raise ParseError("an answer must be text", 1, "")
    _check_length(text, MAX_EXPRESSION_LENGTH)
    if not text.strip():
        raise ParseError("the answer is empty", 1, text)
    tokens = tokenize(text)
    for token in tokens:
        if token.kind == "separator":
            raise ParseError("an answer is a single expression (no ';' or new lines)", token.column, text, token.line)
        if token.kind == "assign":
            raise ParseError("an answer is just the expression, without 'name ='", token.column, text, token.line)
    known = known_names if known_names is not None else allowed_names
    parser = _Parser(text, tokens, MAX_EXPRESSION_NODES, None if known is None else frozenset(known))
    expression = parser.parse_sum()
    if parser.current.kind != "end":
        raise parser.error(_trailing_message(parser.current))
    if allowed_names is not None:
        _check_names(expression, allowed_names, text)
    return expression


@dataclass(frozen=True)
class AnswerLabel:
    """What the left of ``=`` in an answer names, as written.

    ``kind`` is "leibniz" (``dL/da``, ``∂z/∂a``, ``d²L/dx²``: ``numerator``, ``variable``,
    ``order``), "grad" (micrograd's ``a.grad``: ``variable``) or "name" (``z`` or CS231n's
    ``da``: ``variable`` is the name). Whether it is the asked quantity is for the grader to say.
    """

    kind: str
    text: str
    column: int
    variable: str
    numerator: str | None = None
    order: int = 1


@dataclass(frozen=True)
class StatedAnswer:
    """An answer with its label taken off: ``expression_text`` is the text with the label and
    the ``=`` blanked out (same length), so a parse error's column points into what was typed."""

    expression_text: str
    label: AnswerLabel | None


_IDENTIFIER = r"[A-Za-z][A-Za-z0-9_]*"
_D = r"(?:d|∂|δ)"
_SQUARED = r"(?:\^\s*2|²)"
_LEIBNIZ = re.compile(
    rf"(?P<d1>{_D})\s*(?P<order>{_SQUARED}|2)?\s*(?P<numerator>{_IDENTIFIER})\s*/\s*{_D}\s*"
    rf"(?P<variable>{_IDENTIFIER})\s*(?P<squared>{_SQUARED})?")
_GRAD_ATTRIBUTE = re.compile(rf"(?P<variable>{_IDENTIFIER})\s*\.\s*grad")
_PLAIN_NAME = re.compile(_IDENTIFIER)


def split_answer(text: str) -> StatedAnswer:
    """Take a label off an answer: ``dL/da = 42`` -> ``        42`` and the label dL/da.

    A lone ``=`` at either end is ignored (``42=``). Raises ParseError, with the column, for a
    left side that names nothing (``2x = 6``), a label with nothing after it, or two ``=``.
    Text that isn't one line, or has ``==``, is returned unchanged for the parser to explain.
    """
    if (not isinstance(text, str) or len(text) > MAX_EXPRESSION_LENGTH  # too long: parse_expression says so
            or "=" not in text or "==" in text or "\n" in text):
        return StatedAnswer(text, None)
    where = [index for index, character in enumerate(text) if character == "="]
    if len(where) > 1 and not text[where[-1] + 1:].strip():  # 'dL/da = 42 =': the trailing '=' goes first
        text = text[:where[-1]] + " " + text[where[-1] + 1:]
        where.pop()
    if len(where) > 1:
        raise ParseError("write at most one '=', like 'dL/da = 42'", where[1] + 1, text)
    equals = where[0]
    left, right = text[:equals], text[equals + 1:]
    blank_left = " " * (equals + 1)
    if not left.strip():
        return StatedAnswer(blank_left + right, None)
    start = len(left) - len(left.lstrip())
    label = _label(left.strip(), start + 1)
    if not right.strip():
        if label is not None and label.kind != "name":
            raise ParseError(f"nothing after '='; write the answer after it, like '{label.text} = ...'",
                             equals + 1, text)
        return StatedAnswer(left + " " + right, None)
    if label is None:
        backwards = _label(right.strip(), 1)
        if backwards is not None and backwards.kind != "name":
            raise ParseError(f"write what you give first: '{backwards.text} = {left.strip()}'", start + 1, text)
        raise ParseError("the left of '=' should say what you are giving, like 'dL/da = 42'; "
                         "or write just the answer", start + 1, text)
    return StatedAnswer(blank_left + right, label)


def _label(text: str, column: int) -> AnswerLabel | None:
    match = _LEIBNIZ.fullmatch(text)
    if match:
        variable, order = match["variable"], 2 if match["order"] else 1
        if order == 2 and not match["squared"]:
            if match["order"] == "2" and variable.endswith("2") and len(variable) > 1:
                variable = variable[:-1]  # d2L/dx2, typed without superscripts
            elif match["order"] != "2":
                return None  # d²L/dx: half a second derivative
        elif order == 1 and match["squared"]:
            return None
        if not variable:
            return None
        return AnswerLabel("leibniz", text, column, variable, match["numerator"], order)
    match = _GRAD_ATTRIBUTE.fullmatch(text)
    if match:
        return AnswerLabel("grad", text, column, match["variable"])
    if _PLAIN_NAME.fullmatch(text):
        return AnswerLabel("name", text, column, text)
    return None


def _trailing_message(token: Token) -> str:
    if token.kind == "rparen":
        return "unexpected ')' with no '(' to close"
    return f"unexpected '{token.text}' after a complete expression"


def _check_names(expression: Expression, allowed_names: Collection[str], text: str) -> None:
    stack = [expression]
    while stack:
        node = stack.pop()
        if isinstance(node, Name) and node.name not in allowed_names:
            raise ParseError(_unknown_name_message(node.name, allowed_names), node.column, text)
        if isinstance(node, Unary):
            stack.append(node.operand)
        elif isinstance(node, Call):
            stack.append(node.argument)
        elif isinstance(node, Binary):
            stack.extend((node.left, node.right))


def _unknown_name_message(name: str, allowed_names: Collection[str]) -> str:
    known = ", ".join(sorted(allowed_names)) or "none"
    split = _split_into_known_names(name, allowed_names)
    if split:
        return f"unknown name '{name}' (did you mean {'*'.join(split)}?)"
    stem = name.rstrip("0123456789")
    if stem != name and stem in allowed_names:
        power = name[len(stem):]
        return f"unknown name '{name}' (did you mean {stem}^{power} or {stem}*{power}?)"
    close = difflib.get_close_matches(name, sorted(allowed_names), n=1, cutoff=0.5)
    if close:
        return f"unknown name '{name}' (did you mean {close[0]}?)"
    return f"unknown name '{name}'; the names you can use here are: {known}"


def _split_into_known_names(word: str, allowed_names: Collection[str]) -> list[str] | None:
    """'ab' -> ['a', 'b'] when both are names, so the learner hears 'did you mean a*b?'."""
    if len(word) > 12:
        return None
    best: dict[int, list[str]] = {0: []}
    for end in range(1, len(word) + 1):
        for start in range(end):
            piece = word[start:end]
            if start in best and (piece in allowed_names or piece in NAMED_CONSTANTS):
                candidate = best[start] + [piece]
                if end not in best or len(candidate) < len(best[end]):
                    best[end] = candidate
    parts = best.get(len(word))
    return parts if parts and len(parts) > 1 else None


_PROGRAMS_LIMIT = 256  # distinct programs kept (validate builds each problem's graph at up to 50 points)
_PROGRAM_CACHED_LENGTH = 20_000  # a longer program (a 10,000-node one) is parsed every time: it is rare
_programs: dict[str, Program] = {}


def parse_program(text: str) -> Program:
    """Parse a program: one expression (``L = (a*b + c)^2``) or straight-line assignments.

    A bare expression without a name is given the output name ``L``.

    A program parsed before gives a copy of the first result: its own Program, list and Assignments (callers
    may change those), sharing only the expression trees, which are immutable. A program that does not parse
    is parsed, and its error raised, every time.
    """
    if not isinstance(text, str) or len(text) > _PROGRAM_CACHED_LENGTH:
        return _parse_program(text)
    program = _programs.get(text)
    if program is None:
        program = _parse_program(text)
        with _parsed_lock:
            if len(_programs) >= _PROGRAMS_LIMIT:
                _programs.clear()
            _programs[text] = program
    return Program(program.source_text, [dataclasses.replace(step) for step in program.assignments],
                   list(program.inputs))


def _parse_program(text: str) -> Program:
    if not isinstance(text, str):
        raise ParseError("a program must be text", 1, "")
    _check_length(text, MAX_PROGRAM_LENGTH)
    tokens = tokenize(text)
    parser = _Parser(text, tokens, MAX_PROGRAM_NODES)
    raw_statements: list[tuple[Token | None, Expression, Token]] = []
    while True:
        while parser.current.kind == "separator":
            parser.advance()
        if parser.current.kind == "end":
            break
        first = parser.current
        target: Token | None = None
        if first.kind == "name" and parser.tokens[parser.position + 1].kind == "assign":
            target = parser.advance()
            parser.advance()
            if parser.current.kind in ("end", "separator"):
                raise parser.error(f"nothing after '{target.text} ='")
        expression_start = parser.current
        expression = parser.parse_sum()
        if parser.current.kind == "assign":
            raise parser.error("'=' must come right after a single name, like 'z1 = a*b'")
        if parser.current.kind not in ("separator", "end"):
            raise parser.error(_trailing_message(parser.current) + " (separate statements with ';' or a new line)")
        raw_statements.append((target, expression, expression_start))
    if not raw_statements:
        raise ParseError("the program is empty", 1, text)
    return _check_program(text, raw_statements)


def _check_program(text: str, raw_statements: list[tuple[Token | None, Expression, Token]]) -> Program:
    assigned_at: dict[str, Token] = {}
    assignments: list[Assignment] = []
    for index, (target, expression, start) in enumerate(raw_statements):
        is_last = index == len(raw_statements) - 1
        if target is None and not is_last:
            raise ParseError("only the last line may be a bare expression; name this one, e.g. 'z1 = ...'",
                             start.column, text, start.line)
        name = target.text if target else ("L" if "L" not in names_in(expression) else "out")
        where = target or start
        if target is not None:
            if target.text in FUNCTIONS or target.text in FUNCTION_ALIASES or target.text == "sqrt":
                raise ParseError(f"'{target.text}' is a function and can't be used as a name", where.column, text, where.line)
            if target.text in NAMED_CONSTANTS:
                raise ParseError(f"'{target.text}' is a constant and can't be assigned", where.column, text, where.line)
            if target.text in assigned_at:
                earlier = assigned_at[target.text]
                raise ParseError(f"'{target.text}' was already defined on line {earlier.line}; use a new name",
                                 where.column, text, where.line)
        if isinstance(expression, Name):
            raise ParseError(f"'{name} = {expression.name}' only renames {expression.name}; use {expression.name} directly",
                             start.column, text, start.line)
        if not names_in(expression):
            raise ParseError(f"'{name}' doesn't depend on any input; write the number where it is used",
                             start.column, text, start.line)
        for used in names_in(expression):
            if used == name:
                raise ParseError(f"'{name}' can't be defined in terms of itself", where.column, text, where.line)
        assigned_at[name] = where
        assignments.append(Assignment(name, expression, target is not None, where.line, where.column))
    # A name assigned later but used earlier is a forward reference.
    defined: set[str] = set()
    inputs: dict[str, None] = {}
    for assignment in assignments:
        for used in names_in(assignment.expression):
            if used in assigned_at and used not in defined:
                later = assigned_at[used]
                raise ParseError(f"'{used}' is used before it is defined (on line {later.line})",
                                 column_of_name(assignment.expression, used), text, assignment.line)
            if used not in assigned_at:
                inputs.setdefault(used, None)
        defined.add(assignment.target)
    _check_all_used(text, assignments)
    return Program(text, assignments, list(inputs))


def _check_all_used(text: str, assignments: list[Assignment]) -> None:
    """Every named step must feed the output; a dangling one is almost always a typo."""
    needed = {assignments[-1].target}
    for assignment in reversed(assignments):
        if assignment.target in needed:
            needed.update(names_in(assignment.expression))
    for assignment in assignments[:-1]:
        if assignment.target not in needed:
            raise ParseError(f"'{assignment.target}' is computed but never used to get {assignments[-1].target}",
                             assignment.column, text, assignment.line)
