"""Sympy expressions written in the answer language, so an expected formula can be typed back.

Only needed where a formula is shown (the expected derivative); imports sympy.
"""

from __future__ import annotations

from typing import Any

from sympy.printing.str import StrPrinter


class _AnswerPrinter(StrPrinter):  # type: ignore[misc]  # sympy is untyped, so StrPrinter is Any
    """sympy's own printer, except for the constants: the answer language spells them e and pi
    (sympy's ``E`` would read as an input named E)."""

    def _print_Exp1(self, expression: Any) -> str:  # noqa: N802 - sympy's naming
        return "e"

    def _print_Pi(self, expression: Any) -> str:  # noqa: N802
        return "pi"


_PRINTER = _AnswerPrinter()


def answer_text(expression: Any) -> str:
    return _PRINTER.doprint(expression).replace("**", "^")
