"""The algebra run inside the worker process: is the learner's formula the derivative?

Runs only in the child process started by :mod:`tutor.check.worker`, under a budget enforced from
outside by killing the process, so nothing here needs to watch the clock.

The check: build ``answer - expected`` as a sympy expression (the learner's text goes through
the safe parser and :func:`tutor.expr.convert.to_sympy`, never ``sympify``) and ``cancel`` it;
failing that, rewrite sigmoid and tanh in terms of ``exp``, then ``expand`` and ``cancel``. Zero proves the two equal. A
nonzero rational function proves them different. For anything else (sympy can't always
decide identities with exp and log) the difference is evaluated at the test points with 40
significant digits: zero to ~30 digits at every point counts as equal, a clear nonzero as
different.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import threading
import time
from typing import Any

import sympy
from sympy.polys.polyerrors import BasePolynomialError

from tutor.expr import names_in, parse_expression
from tutor.expr.convert import to_sympy
from tutor.graph import build_graph
from tutor.graph.build import ensure_formulas

_MEMORY_LIMIT_BYTES = 3 * 1024**3
_PRECISION_DIGITS = 40


def main(arguments: list[str]) -> None:
    """Serve JSON-line jobs on stdin until it closes (run as ``python -m tutor.check.algebra PARENT_PID``)."""
    if arguments:
        _exit_with_parent(int(arguments[0]))
    _limit_memory()
    output = sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print from a library must not corrupt the replies

    def reply(message: dict[str, Any]) -> None:
        output.write(json.dumps(message).encode() + b"\n")
        output.flush()

    reply({"ready": True})
    for line in sys.stdin.buffer:
        try:
            message = handle(json.loads(line.decode()))
        except MemoryError:
            message = {"status": "error", "detail": "the formula needed too much memory"}
        except RecursionError:
            message = {"status": "error", "detail": "the formula is nested too deeply"}
        except Exception as error:  # noqa: BLE001 - one bad answer must not take the worker down
            message = {"status": "error", "detail": f"{type(error).__name__}: {error}"}
        reply(message)


def _exit_with_parent(parent_pid: int) -> None:
    """A child busy with a long expansion doesn't read stdin, so it would outlive a crashed parent."""

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent_pid:
                os._exit(0)

    if hasattr(os, "getppid") and os.name == "posix":
        threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _limit_memory() -> None:
    """A runaway expansion should fail with MemoryError in the child, not swap the machine."""
    try:
        import resource

        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = _MEMORY_LIMIT_BYTES if hard == resource.RLIM_INFINITY else min(_MEMORY_LIMIT_BYTES, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, ValueError, OSError):
        pass


def handle(request: dict[str, Any]) -> dict[str, Any]:
    if request.get("job") == "ping":
        return {"status": "pong"}
    if request.get("job") == "sleep":  # for tests of the budget: a job that never finishes in time
        time.sleep(float(request.get("seconds", 60)))
        return {"status": "slept"}
    if request.get("job") != "compare-derivative":
        return {"status": "error", "detail": f"unknown job {request.get('job')!r}"}
    return compare_derivative(
        request["program"],
        {name: float(value) for name, value in request["at"].items()},
        request["variable"],
        request["answer"],
        [{name: sympy.Rational(int(numerator), int(denominator)) for name, numerator, denominator in point}
         for point in request.get("points", [])],
        order=2 if request.get("order") == 2 else 1,
    )


@functools.lru_cache(maxsize=64)
def _graph(program: str, at_items: tuple[tuple[str, float], ...]) -> Any:
    graph = build_graph(program, dict(at_items))
    ensure_formulas(graph)  # a large graph is built without formulas; the parent has checked they fit
    return graph


def compare_derivative(program: str, at: dict[str, float], variable: str, answer: str,
                       points: list[dict[str, Any]], order: int = 1) -> dict[str, Any]:
    graph = _graph(program, tuple(sorted(at.items())))
    tree = parse_expression(answer, allowed_names=set(graph.order))
    ensure_formulas(graph, names_in(tree))  # an intermediate name in the answer means its formula
    answer_expression = to_sympy(tree, dict(graph.sympy_exprs))  # intermediate names mean their formulas
    expected = graph.sympy_grads[variable]
    if order == 2:  # derivative2: asks
        expected = sympy.diff(expected, sympy.Symbol(variable, real=True))
    difference = answer_expression - expected
    if difference == 0:
        return {"status": "equal", "how": "identical"}
    if answer_expression.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        return {"status": "undefined", "detail": "your formula divides by zero"}
    # Cheapest first: sigmoid(...) and tanh(...) as opaque symbols usually suffice (the learner
    # wrote them the same way); only forms like exp(-x)/(1 + exp(-x))^2 need the exp rewrite.
    simplified = sympy.cancel(difference)
    if simplified == 0:
        return {"status": "equal", "how": "algebra"}
    in_exponentials = difference.rewrite(sympy.exp)
    if sympy.cancel(in_exponentials) == 0:  # often enough, and several times cheaper than expanding first
        return {"status": "equal", "how": "algebra"}
    simplified = sympy.cancel(sympy.expand(in_exponentials))
    if simplified == 0:
        return {"status": "equal", "how": "algebra"}
    if simplified.is_number or simplified.is_rational_function(*simplified.free_symbols):
        # A rational function is zero exactly when every coefficient of its numerator is; a
        # coefficient such as sqrt(3 + 2*sqrt(2)) - 1 - sqrt(2) is zero but not visibly so.
        true_difference = _without_zero_coefficients(simplified)
        if true_difference == 0:
            return {"status": "equal", "how": "algebra"}
        return {"status": "different", "detail": _short(true_difference)}
    return _compare_at_points(difference, expected, points)


_X = sympy.Symbol("x_minimal_polynomial")


def _without_zero_coefficients(expression: Any) -> Any:
    """``expression`` (a number or a rational function) with its numerator's zero coefficients dropped."""
    numerator, denominator = sympy.fraction(sympy.together(expression))
    symbols = sorted(expression.free_symbols, key=str)
    if not symbols:
        return 0 if _constant_is_zero(numerator) else _tidy(numerator / denominator)
    try:
        polynomial = sympy.Poly(numerator, *symbols)
    except BasePolynomialError:
        return expression
    kept = [_tidy(coefficient) * sympy.Mul(*(symbol**power for symbol, power in zip(symbols, powers)))
            for powers, coefficient in polynomial.terms() if not _constant_is_zero(coefficient)]
    return sympy.Add(*kept) / denominator if kept else 0


def _tidy(value: Any) -> Any:
    """A constant in its plainest form: radicals denested, logs of products split, like terms combined."""
    try:
        denested = sympy.sqrtdenest(value)
    except (ValueError, TypeError, NotImplementedError):  # sqrtdenest gives up on some forms
        denested = value
    split = sympy.expand(sympy.expand_log(denested, force=True))
    candidates = [value, sympy.expand(denested), split, sympy.logcombine(split, force=True).doit()]
    return min(candidates, key=sympy.count_ops)


def _constant_is_zero(value: Any) -> bool:
    """Whether a constant is exactly zero, such as sqrt(3 + 2*sqrt(2)) - 1 - sqrt(2).

    Rationals are decided at once; a constant that is not tiny to 60 digits is not zero; a tiny one
    is denested, then (for algebraic numbers) decided exactly by its minimal polynomial, and only
    otherwise taken as zero when it vanishes to 80 digits, as at the test points.
    """
    if value.is_Rational:
        return bool(value == 0)
    try:
        approximate = complex(sympy.N(value, 60))
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return False
    if abs(approximate) > 1e-30:
        return False
    if _tidy(value) == 0:
        return True
    try:
        return bool(sympy.minimal_polynomial(value, _X) == _X)
    except (NotImplementedError, ValueError, TypeError, BasePolynomialError):
        pass  # not an algebraic number (log(6) - log(2) - log(3)), or one sympy can't handle
    try:
        return abs(complex(sympy.N(value, 80))) < 1e-60
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return False


def _compare_at_points(difference: Any, expected: Any, points: list[dict[str, Any]]) -> dict[str, Any]:
    zeros = 0
    for point in points:
        substitution = {sympy.Symbol(name, real=True): value for name, value in point.items()}
        try:
            value = complex(difference.xreplace(substitution).evalf(_PRECISION_DIGITS))
            scale = max(1.0, abs(complex(expected.xreplace(substitution).evalf(_PRECISION_DIGITS))))
        except (TypeError, ValueError, ZeroDivisionError, OverflowError):
            continue
        if value != value or abs(value) == float("inf") or abs(value.imag) > 1e-30:
            continue  # the formula has no real value here (the parent skips such points too)
        value = complex(value.real)
        if abs(value) > 1e-15 * scale and abs(value) < 1e-6 * scale:  # small: make sure it is not rounding
            try:
                value = complex(complex(difference.xreplace(substitution).evalf(3 * _PRECISION_DIGITS)).real)
            except (TypeError, ValueError, ZeroDivisionError, OverflowError):
                continue
        if abs(value) > 1e-15 * scale:
            return {"status": "different", "detail": f"{abs(value):.3g} at one of the test points"}
        if abs(value) <= 1e-28 * scale:
            zeros += 1
    if zeros:
        return {"status": "equal", "how": "numbers"}
    return {"status": "unknown"}


def _short(expression: Any) -> str:
    from tutor.check.printing import answer_text

    text = answer_text(expression)
    return text if len(text) <= 80 else text[:77] + "..."


if __name__ == "__main__":
    main(sys.argv[1:])
