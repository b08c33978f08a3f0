"""The safe expression language: text -> tree -> engine graph and sympy expression.

Nothing here evaluates text as code; see ``parser.py`` for the grammar and its limits.
"""

from tutor.expr.convert import EvaluationError, evaluate, to_sympy
from tutor.expr.parser import (
    AnswerLabel,
    Assignment,
    ParseError,
    Program,
    StatedAnswer,
    parse_expression,
    parse_program,
    split_answer,
)
from tutor.expr.tree import Binary, Call, Expression, Name, Number, Unary, names_in, to_text

__all__ = [
    "AnswerLabel", "Assignment", "Binary", "Call", "EvaluationError", "Expression", "Name", "Number", "ParseError",
    "Program", "StatedAnswer", "Unary", "evaluate", "names_in", "parse_expression", "parse_program", "split_answer",
    "to_sympy", "to_text",
]
