"""`backprop-tutor grade`: grade answers read as JSON Lines on standard input.

One request per line::

    {"program": "L=(a*b+c)^2", "at": {"a": 2, "b": 3, "c": 1}, "ask": "grad:a", "answer": "2*z2*b"}

optionally with ``"tolerance": {"rel": ..., "abs": ...}``, ``"mistakes": [{"answer", "feedback",
"id"}]`` and an ``"id"`` that is echoed back. Asks: ``value:NODE``, ``grad:NODE``, ``local:NODE/INPUT``,
``derivative:VAR`` (a formula) and ``derivative2:VAR`` (the second derivative as a formula). A numeric
problem without a graph is ``{"expected": "0.25^10", "answer": "..."}``.

A layer quantity of a small network is asked with ``layer:NAME`` and a ``network`` instead of a
program; the answer is a matrix, ``[[1, 2], [3, 4]]``, a column ``[1; 2; 3]``, or a number for 1x1::

    {"network": {"layers": [{"linear": {"W": [[1, -1], [2, 0], [-1, 1]], "b": [0, 1, 0]}},
                            {"activation": "relu"}, {"linear": {"W": [[1, 2, -1]], "b": [0]}}],
                 "x": [1, 2], "target": [1], "loss": "mse"},
     "ask": "layer:dL/dW1", "answer": "[[0, 0], [8, 16], [-4, -8]]"}

Layers are ``{"linear": {"W": rows, "b": entries}}`` or ``{"activation": "relu" | "tanh" |
"sigmoid"}``; ``loss`` is ``"mse"`` (½ Σ (y − t)², target a list) or ``"softmax_ce"`` (target a
class number). NAME is one of ``z1``, ``a1``, ..., ``loss``, ``dL/dz2``, ``dL/dW2``, ``dL/db2``,
``dL/da1``, ...; diagnoses include ``transposed``, ``wrong-shape``, ``missing-relu-mask``,
``missing-upstream``, ``sign-flip`` and ``wrong-operand``. Author mistakes are matrices too.

One JSON line comes out per request, in order::

    {"verdict": "incorrect", "expected": "42", "diagnosis": "missing-upstream",
     "message": "You gave ∂z1/∂a = 3, the local derivative only. Multiply it by the gradient arriving from above, dL/dz1.",
     "rule": "dL/da = dL/dz1 · ∂z1/∂a: the gradient from above times the local derivative.",
     "worked": "dL/da = dL/dz1 · ∂z1/∂a = 14 · 3 = 42."}

Three levels of help: ``message`` names the mistake and where, with no number or formula that is
(or gives in one step) the right answer, so it can be shown at once; ``rule`` is the general rule
in symbols, with no number of this problem, for the second try; ``worked`` is the right answer
worked out on this graph, for a tutor to show once the learner has had their tries. ``rule`` and
``worked`` are "" when there is none (``rule`` is given for every incorrect answer; ``worked``
for every graded one).
(``"column"`` is added for invalid answers, ``"rounded": true`` for rounded correct ones). A
line that isn't a usable request gets ``{"verdict": "error", "message": ...}`` and the rest go
on. Blank lines are skipped. The exit status is 0 unless standard output fails.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, BinaryIO, TextIO

GRAPH_FIELDS = {"program", "at", "ask", "answer", "tolerance", "mistakes", "id"}
NUMERIC_FIELDS = {"expected", "answer", "tolerance", "mistakes", "id"}
LAYER_FIELDS = {"network", "ask", "answer", "tolerance", "mistakes", "id"}


REQUEST_FORMS = """\
one JSON request per line, one JSON result per line out:
  {"program": "L=(a*b+c)^2", "at": {"a": 2, "b": 3, "c": 1}, "ask": "grad:a", "answer": "42"}
      asks: value:NODE, grad:NODE, local:NODE/INPUT, derivative:VAR, derivative2:VAR
  {"expected": "0.25^10", "answer": "9.537e-7"}
  {"network": {"layers": [{"linear": {"W": [[1, -1], [2, 0], [-1, 1]], "b": [0, 1, 0]}},
                          {"activation": "relu"}, {"linear": {"W": [[1, 2, -1]], "b": [0]}}],
               "x": [1, 2], "target": [1], "loss": "mse"},
   "ask": "layer:dL/dW1", "answer": "[[0, 0], [8, 16], [-4, -8]]"}
      layer asks: layer:z1, layer:a1, layer:loss, layer:dL/dz2, layer:dL/dW2, ... (matrix answers;
      a column is [1; 2; 3]); loss "mse" or "softmax_ce" (target: a class number)
optional fields: "tolerance": {"rel", "abs"}, "mistakes": [{"answer", "feedback", "id"}], "id"

out, per request: {"verdict", "expected", "diagnosis", "message", "rule", "worked"} (+ "column", "rounded", "id")
  verdict: correct | incorrect | invalid (no penalty) | unchecked, or error (the request itself is
           unusable; such a line has only "verdict", "message" and "id")
  message: the mistake and where, without the right answer or a step that gives it (show it at once)
  rule:    the general rule in symbols, no numbers of this problem, e.g. "d(uⁿ)/du = n·uⁿ⁻¹" (second try;
           "" unless incorrect)
  worked:  the right answer worked out, e.g. "dL/da = dL/dz1 · ∂z1/∂a = 14 · 3 = 42." (reveals it;
           "" when there is none); expected: the right answer as text that grades correct
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = REQUEST_FORMS
    parser.add_argument("--time-budget", type=_positive_seconds, default=None, metavar="SECONDS",
                        help="how long the algebra for one derivative: answer may take before it is reported "
                             "as unchecked (default 0.6)")


def _positive_seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of seconds") from None
    if not 0 < seconds <= 600:
        raise argparse.ArgumentTypeError("the time budget must be between 0 and 600 seconds")
    return seconds


# Past these a request is refused before any parsing or grading, so one line cannot stall a batch.
MAX_LINE_BYTES = 1_000_000
MAX_REQUEST_VALUES = 100_000  # numbers, strings and containers in one request (a 300x300 layer fits)


def run(args: argparse.Namespace) -> int:
    return grade_stream(sys.stdin.buffer, sys.stdout, getattr(args, "time_budget", None))


def grade_stream(source: BinaryIO, sink: TextIO, time_budget: float | None = None) -> int:
    line_number = 0
    while raw := source.readline(MAX_LINE_BYTES + 1):
        line_number += 1
        if len(raw) > MAX_LINE_BYTES:
            # Skip the rest of the line in bounded pieces instead of holding it all.
            while not raw.endswith(b"\n") and (raw := source.readline(MAX_LINE_BYTES)):
                pass
            record_too_long = _error(f"line {line_number}: longer than {MAX_LINE_BYTES} bytes; not graded")
            sink.write(json.dumps(record_too_long, ensure_ascii=False) + "\n")
            sink.flush()
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            record: dict[str, Any] = _error(f"line {line_number}: not UTF-8 text (byte {error.start + 1})")
        else:
            if not text.strip():
                continue
            record = grade_line(text, line_number, time_budget)
        sink.write(json.dumps(record, ensure_ascii=False) + "\n")
        sink.flush()
    return 0


def grade_line(text: str, line_number: int = 1, time_budget: float | None = None) -> dict[str, Any]:
    """The output record for one input line (never raises)."""
    from tutor.check import RequestError

    try:
        request = json.loads(text)
    except (ValueError, RecursionError) as error:
        return _error(f"line {line_number}: not valid JSON ({_json_problem(error)})")
    if not isinstance(request, dict):
        return _error(f"line {line_number}: a request must be a JSON object, not {type(request).__name__}")
    request_id = request.get("id")
    if _value_count_exceeds(request, MAX_REQUEST_VALUES):
        return _error(f"line {line_number}: the request holds more than {MAX_REQUEST_VALUES} values; not graded",
                      request_id)
    if "mistakes" in request and not (isinstance(request["mistakes"], list)
                                      and all(isinstance(item, dict) for item in request["mistakes"])):
        return _error(f"line {line_number}: 'mistakes' must be a list of objects with 'answer' and 'feedback'",
                      request_id)
    try:
        result = _grade_request(request, time_budget)
    except RequestError as error:
        return _error(f"line {line_number}: {error.message}", request_id)
    except ArithmeticError:  # OverflowError among them: numbers past float range at this point
        return _unchecked("the values overflow or leave the number range at this point, so the answer "
                          "cannot be checked here", request_id)
    except Exception as error:  # noqa: BLE001 - a bug on one line must not stop the batch or print a traceback
        if type(error).__name__ == "GraphConsistencyError":
            return _unchecked("the derivative is not defined the same way by every rule at this point "
                              "(for example 0^0), so the answer cannot be checked here", request_id)
        # Never the exception's name or text: that means nothing to a learner and says nothing about the answer.
        return _unchecked(UNCHECKED_FAULT, request_id)
    record = result.to_json()
    if request_id is not None:
        record["id"] = request_id
    return record


UNCHECKED_FAULT = ("this answer could not be checked because of a fault in the tutor, not in the answer; it is not "
                   "marked wrong")


def _grade_request(request: dict[str, Any], time_budget: float | None) -> Any:
    from tutor.check import RequestError, grade_answer, grade_numeric, prepare_problem, request_from_mapping

    numeric = "expected" in request and "program" not in request
    layer = "network" in request and "program" not in request
    allowed = LAYER_FIELDS if layer else NUMERIC_FIELDS if numeric else GRAPH_FIELDS
    unknown = sorted(set(request) - allowed)
    if unknown:
        raise RequestError(f"unknown field '{unknown[0]}' (a request has {', '.join(sorted(allowed))})")
    if layer:
        from tutor.check.matrix import grade_layer

        missing = [field for field in ("ask", "answer") if field not in request]
        if missing:
            raise RequestError(f"missing field{'s' if len(missing) > 1 else ''} {', '.join(missing)}")
        parsed = request_from_mapping({"program": "", "at": {}, **{key: value for key, value in request.items()
                                                                   if key != "network"}})
        return grade_layer(request["network"], parsed.ask, parsed.answer, parsed.tolerance, parsed.mistakes)
    if numeric:
        if not isinstance(request.get("expected"), str):
            raise RequestError("'expected' must be text, such as \"0.25^10\"")
        if not isinstance(request.get("answer"), str):
            raise RequestError("'answer' must be text")
        parsed = request_from_mapping({"program": "", "at": {}, "ask": "", **request})
        return grade_numeric(request["answer"], request["expected"], parsed.tolerance, parsed.mistakes)
    missing = [field for field in ("program", "at", "ask", "answer") if field not in request]
    if missing:
        raise RequestError(f"missing field{'s' if len(missing) > 1 else ''} {', '.join(missing)}")
    parsed = request_from_mapping(request)
    problem = prepare_problem(parsed.program, parsed.at)
    return grade_answer(problem, parsed.ask, parsed.answer, parsed.tolerance, parsed.mistakes, time_budget)


def _json_problem(error: Exception) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"{error.msg} at column {error.colno}"
    return "nested too deeply" if isinstance(error, RecursionError) else str(error)


def _value_count_exceeds(value: Any, limit: int) -> bool:
    """Whether the parsed JSON holds more than ``limit`` values, counted without recursion."""
    count = 0
    stack = [value]
    while stack:
        item = stack.pop()
        count += 1
        if count > limit:
            return True
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _unchecked(reason: str, request_id: Any = None) -> dict[str, Any]:
    # The same keys as a grader's record, so scripts read every "unchecked" the same way.
    record: dict[str, Any] = {"verdict": "unchecked", "expected": None, "diagnosis": None, "message": reason,
                              "worked": None}
    if request_id is not None:
        record["id"] = request_id
    return record


def _error(message: str, request_id: Any = None) -> dict[str, Any]:
    record: dict[str, Any] = {"verdict": "error", "message": message}
    if request_id is not None:
        record["id"] = request_id
    return record
