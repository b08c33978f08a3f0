"""Runs inside the child process: loads the learner's module and runs the check programs with it.

This is a fixed file shipped with the tutor. It reads a JSON request (the learner's file and
op lists, see tutor.exercises.programs) and writes its answer as JSON lines to the file
descriptor it is given, flushed one by one so the parent can show each check as it finishes:
``{"load_error": ...}`` first, then ``{"index": i, "result": {...}}`` per task, then
``{"done": true}``. It never evaluates text.
Usage: python -I runner.py REQUEST.json ANSWER_FD
"""

import importlib.util
import json
import math
import os
import sys
import traceback
from collections.abc import Callable
from types import ModuleType
from typing import Any

# The learner's Value is an unknown class, so the values flowing through here are Any.
_BINARY: dict[str, Callable[[Any, Any], Any]] = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
           "div": lambda a, b: a / b}


def _learner_traceback(path: str) -> str:
    """The traceback cut down to frames in the learner's own file (all of it if none are)."""
    kind, error, trace = sys.exc_info()
    frames = [frame for frame in traceback.extract_tb(trace) if frame.filename == path]
    lines = traceback.format_list(frames) if frames else []
    lines += traceback.format_exception_only(kind, error)
    return "".join(lines)[-3000:]


def _number(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{what} should be a number, got {type(value).__name__}")
    return float(value)


def _run_graph(Value: type, rows: list[list[Any]]) -> dict[str, Any]:
    slots: list[Any] = []
    for row in rows:
        op = row[0]
        if op == "input":
            slots.append(Value(row[2]))
        elif op == "const":
            slots.append(row[1])
        elif op in _BINARY:
            slots.append(_BINARY[op](slots[row[1]], slots[row[2]]))
        elif op == "pow":
            slots.append(slots[row[1]] ** row[2])
        elif op == "neg":
            slots.append(-slots[row[1]])
        else:
            slots.append(getattr(slots[row[1]], op)())
        if op != "const" and not isinstance(slots[-1], Value):
            raise TypeError(f"the {op} operation returned {type(slots[-1]).__name__}, not a Value")
    slots[-1].backward()
    values = [None if row[0] == "const" else _json_number(_number(slot.data, f"{row[0]} result's .data"))
              for row, slot in zip(rows, slots)]
    grads = {row[1]: _json_number(_number(slot.grad, f"{row[1]}.grad"))
             for row, slot in zip(rows, slots) if row[0] == "input"}
    return {"values": values, "grads": grads}


def _json_number(x: float) -> float | str:
    return x if math.isfinite(x) else str(x)


def _run_function(module: ModuleType, task: dict[str, Any]) -> dict[str, Any]:
    function = getattr(module, task["function"], None)
    if function is None:
        raise AttributeError(f"your file does not define {task['function']}()")
    Value: Any = getattr(module, "Value", None)
    kind = task["kind"]
    if kind == "clip":
        params = [Value(d) for d in task["data"]]
        for param, grad in zip(params, task["grads"]):
            param.grad = grad
        returned = function(params, task["limit"])
        return {"grads": [_number(p.grad, "a parameter's .grad") for p in params],
                "returned": None if returned is None else _number(returned, "the returned norm")}
    if kind == "relative_error":
        return {"returned": _number(function(*task["args"]), "relative_error's result")}
    if kind == "xor":
        return {"returned": _number(function(), "train_xor's returned loss")}
    raise ValueError(kind)


def _open_answer(descriptor: str) -> Any:
    fd = int(descriptor)
    os.set_inheritable(fd, False)  # processes the learner starts must not hold the answer pipe open
    return os.fdopen(fd, "w", encoding="utf-8")


def _send(stream: Any, line: dict[str, Any]) -> None:
    stream.write(json.dumps(line) + "\n")
    stream.flush()


def main() -> None:
    request_path, answer_fd = sys.argv[1], sys.argv[2]
    with open(request_path, encoding="utf-8") as handle:
        request = json.load(handle)
    stream = _open_answer(answer_fd)
    path = request["module"]
    # No bytecode cache: a pyc is trusted when the source's mtime (in whole seconds) and size match,
    # so a fix of the same length saved within a second ran the old code. Nothing is written
    # beside the learner's file either; the prefix is this run's own empty folder (the cwd).
    sys.dont_write_bytecode = True
    sys.pycache_prefix = os.getcwd()
    module: ModuleType | None
    try:
        spec = importlib.util.spec_from_file_location("learner_solution", path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load {path} as a Python module")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    except BaseException:  # the learner's file failed to load: SyntaxError, NameError, ...
        _send(stream, {"load_error": _learner_traceback(path)})
        module = None
    if module is not None:
        _send(stream, {"load_error": None})
        Value = getattr(module, "Value", None)
        for index, task in enumerate(request["tasks"]):
            result: dict[str, Any]
            try:
                if task["kind"] == "graph":
                    if Value is None:
                        raise AttributeError("your file does not define a class named Value")
                    result = {"ok": _run_graph(Value, task["rows"])}
                else:
                    result = {"ok": _run_function(module, task)}
            except Exception:
                result = {"error": _learner_traceback(path)}
            _send(stream, {"index": index, "result": result})
    _send(stream, {"done": True})
    stream.close()


if __name__ == "__main__":
    main()
