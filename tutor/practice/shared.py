"""A checker :class:`~tutor.check.Problem` that shares backward passes between the entries of one graph.

Checking a generated trace asks, for every entry, which built-in wrong rules would give the right
answer. Those rules re-run the same broken backward passes ("stop the chain at z3", "leave out the
edge z2→z4") at the same nine points for entry after entry, so a 25-node graph repeats each pass
about forty times. Here each (point, broken rule) is computed once; the numbers are exactly those
of :meth:`Problem.backward` (tests/test_practice_generate.py compares the verdicts).

Kept in its own module so importing :mod:`tutor.practice.generate` does not import the checker.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from tutor.check import Problem
from tutor.check.numbers import Num


def shared_backward(
    problem: Problem,
    compute: Callable[..., dict[str, Num]],
    state: Any,
    seed: str | None = None,
    replace: Mapping[tuple[str, int], Num] | None = None,
    drop: frozenset[tuple[str, int]] = frozenset(),
) -> dict[str, Num]:
    """``compute(state, seed, replace, drop)`` once per (state, seed, replace, drop) of ``problem``.

    ``Problem.backward`` is a pure function of those four (the graph and the state's local derivatives
    never change), so a repeated pass returns the first one's numbers; the slow property test memoizes
    the grader's passes the same way.
    """
    memo: dict[Any, tuple[Any, dict[str, Num]]] = problem.__dict__.setdefault("_shared_backward", {})
    key = (id(state), seed, tuple(sorted(replace.items())) if replace else (), drop)
    hit = memo.get(key)
    if hit is None or hit[0] is not state:  # the entry keeps its state alive, so an id is never reused
        hit = (state, compute(state, seed, replace, drop))
        memo[key] = hit
    return dict(hit[1])  # a copy: a caller that edits its grads must not edit the shared pass


class SharedBackwardProblem(Problem):
    def backward(
        self,
        state: Any,
        seed: str | None = None,
        replace: Mapping[tuple[str, int], Num] | None = None,
        drop: frozenset[tuple[str, int]] = frozenset(),
    ) -> dict[str, Num]:
        return shared_backward(self, super().backward, state, seed, replace, drop)
