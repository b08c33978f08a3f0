"""The built-in code exercises, as data: which ops to test, fixed check programs, extra checks."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from tutor.exercises.programs import program_ops

STARTERS = Path(__file__).with_name("starters")

# The defaults a lesson pack's `checks:` block may change (docs/lesson-packs.md, `code`).
DEFAULT_RANDOM_SIZES = (1, 1, 2, 2, 3, 3, 4, 5, 6, 8, 10, 12)  # operators in each random program
DEFAULT_RANGE = (-2.0, 2.0)  # where the random programs' inputs are drawn from
DEFAULT_TOLERANCE = (1e-6, 1e-6)  # (rel, abs): a number passes when |got - want| <= max(abs, rel * |want|)
DEFAULT_XOR_TARGET = (0.05, 60.0)  # (loss below, seconds)
OP_NAMES = ("add", "sub", "mul", "div", "pow", "neg", "relu", "tanh", "exp", "log", "sigmoid")


@dataclass(frozen=True)
class Exercise:
    id: str
    title: str
    ops: tuple[str, ...]  # operations the random programs use
    programs: tuple[tuple[str, dict[str, float]], ...]  # fixed checks in the expression language
    extra: tuple[str, ...] = field(default=())  # named non-graph checks: clip, relative_error, xor
    random_sizes: tuple[int, ...] = DEFAULT_RANDOM_SIZES
    random_range: tuple[float, float] = DEFAULT_RANGE
    tolerance: tuple[float, float] = DEFAULT_TOLERANCE  # (rel, abs)
    xor_target: tuple[float, float] = DEFAULT_XOR_TARGET  # (loss below, seconds)

    @property
    def starter(self) -> Path:
        return STARTERS / f"{self.id.replace('-', '_')}.py"


_VALUE_OPS = OP_NAMES

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


def random_sizes(count: int, max_nodes: int) -> tuple[int, ...]:
    """``count`` random-program sizes from 1 operator up to ``max_nodes``, small ones first."""
    if count <= 0:
        return ()
    if count == 1:
        return (max_nodes,)
    return tuple(1 + round(index * (max_nodes - 1) / (count - 1)) for index in range(count))


def with_checks(base: Exercise, *, ops: tuple[str, ...] | None = None,
                programs: tuple[tuple[str, dict[str, float]], ...] | None = None,
                sizes: tuple[int, ...] | None = None, random_range: tuple[float, float] | None = None,
                tolerance: tuple[float, float] | None = None,
                xor_target: tuple[float, float] | None = None) -> Exercise:
    """``base`` with a lesson pack's checks in place of its own; whatever is None stays the built-in one.

    With ``ops`` given and no ``programs``, the built-in fixed programs that use only those ops are kept
    (an op outside the list is never tested).
    """
    exercise = base
    if ops is not None:
        kept = tuple((text, at) for text, at in base.programs if program_ops(text, at) <= set(ops))
        exercise = replace(exercise, ops=ops, programs=kept)
    if programs is not None:
        exercise = replace(exercise, programs=programs)
    if sizes is not None:
        exercise = replace(exercise, random_sizes=sizes)
    if random_range is not None:
        exercise = replace(exercise, random_range=random_range)
    if tolerance is not None:
        exercise = replace(exercise, tolerance=tolerance)
    if xor_target is not None:
        exercise = replace(exercise, xor_target=xor_target)
    return exercise
