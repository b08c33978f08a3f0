"""What a learner can be asked: the ask kinds and the parsed ask (a leaf: no checker imports).

Kept apart from :mod:`tutor.check.asks` (how each kind is graded) so that the prepared
problem, the wrong rules and the formula graders can all name an ask without importing the
graders that use them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class AskKind(str, Enum):
    """An ask's kind; a ``str`` enum, so ``AskKind.GRAD == "grad"`` and asks read as text in messages."""

    VALUE = "value"
    GRAD = "grad"
    LOCAL = "local"
    DERIVATIVE = "derivative"
    DERIVATIVE2 = "derivative2"
    LAYER = "layer"  # a layer quantity of a network (tutor.check.matrix), never of a program

    def __str__(self) -> str:
        return self.value


# Kinds asked of a program (prepare_problem); layer quantities are asked of a network.
PROGRAM_ASK_KINDS = (AskKind.VALUE, AskKind.GRAD, AskKind.LOCAL, AskKind.DERIVATIVE, AskKind.DERIVATIVE2)
FORMULA_ASK_KINDS = (AskKind.DERIVATIVE, AskKind.DERIVATIVE2)


@dataclass(frozen=True)
class Ask:
    """What the learner is asked for: parsed from "value:z2", "grad:a", "local:z2/z1", "derivative:x",
    "derivative2:x" (the second derivative, see :mod:`tutor.check.second`)."""

    kind: AskKind
    node: str
    operand: str | None = None  # the INPUT of local:NODE/INPUT

    @property
    def text(self) -> str:
        if self.kind == AskKind.LOCAL:
            return f"local:{self.node}/{self.operand}"
        return f"{self.kind.value}:{self.node}"
