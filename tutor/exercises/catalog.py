"""The built-in code exercises, as data: which ops to test, fixed check programs, extra checks."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

STARTERS = Path(__file__).with_name("starters")


@dataclass(frozen=True)
class Exercise:
    id: str
    title: str
    ops: tuple[str, ...]  # operations the random programs use
    programs: tuple[tuple[str, dict[str, float]], ...]  # fixed checks in the expression language
    extra: tuple[str, ...] = field(default=())  # named non-graph checks: clip, relative_error, xor

    @property
    def starter(self) -> Path:
        return STARTERS / f"{self.id.replace('-', '_')}.py"


_VALUE_OPS = ("add", "sub", "mul", "div", "pow", "neg", "relu", "tanh", "exp", "log", "sigmoid")

EXERCISES: dict[str, Exercise] = {exercise.id: exercise for exercise in (
    Exercise("add-mul", "Add and multiply with backward", ("add", "mul"),
             (("L = a*b + c", {"a": 2, "b": -3, "c": 10}), ("L = 2*a + b*3", {"a": 1.5, "b": 2}))),
    Exercise("topo", "The topological order", ("add", "mul"),
             (("d = a*b\nf = d + c\nL = f*d", {"a": 2, "b": 3, "c": 1}),)),
    Exercise("accumulate", "Accumulate at fan-out", ("add", "mul"),
             (("L = a*a", {"a": 3}), ("L = a*b + a", {"a": 2, "b": 4}))),
    Exercise("activations", "relu, tanh, exp", ("add", "mul", "relu", "tanh", "exp"),
             (("L = tanh(a*b)", {"a": 0.5, "b": -1}), ("L = relu(a) + exp(b)", {"a": -1, "b": 0.5}))),
    Exercise("value", "A whole Value class", _VALUE_OPS,
             (("L = a*b + c", {"a": 2, "b": -3, "c": 10}), ("L = a*a", {"a": 3}),
              ("d = a*b\nf = d + c\nL = f*d", {"a": 2, "b": 3, "c": 1}),
              ("L = a - b", {"a": 2, "b": 5}), ("L = a / b", {"a": 3, "b": 2}),
              ("L = 1 - a + 2/b", {"a": 1, "b": 4}), ("L = a^3", {"a": 2}),
              ("L = -a * b", {"a": 1.5, "b": 2}), ("L = tanh(a)", {"a": 0.7}),
              ("L = relu(a) + exp(b)", {"a": -1, "b": 0.5}),
              ("L = log(a) + sigmoid(b)", {"a": 2, "b": 0.3}))),
    Exercise("clipping", "Clip gradients by value and by global norm", (), (), ("clip",)),
    Exercise("gradcheck", "The relative error of a gradient check", (), (), ("relative_error",)),
    Exercise("xor", "Train XOR with your own Value", (), (), ("xor",)),
)}
