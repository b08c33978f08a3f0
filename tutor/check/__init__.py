"""Answer checking: verdicts a learner can trust and feedback that names the mistake.

    from tutor.check import grade, GradeRequest
    result = grade(GradeRequest(program="L = (a*b + c)^2", at={"a": 2, "b": 3, "c": 1},
                                ask="grad:a", answer="3"))
    result.verdict    # "incorrect"
    result.diagnosis  # "missing-upstream"
    result.message    # "You gave ∂z1/∂a = 3, the local derivative only. Multiply it by the gradient
                      #  arriving from above, dL/dz1."  (never the right answer: show it at once)
    result.rule       # "dL/da = dL/dz1 · ∂z1/∂a: the gradient from above times the local derivative."
                      #  (the general rule, no numbers of this problem: the second try)
    result.worked     # "dL/da = dL/dz1 · ∂z1/∂a = 14 · 3 = 42."  (gives it away: show it after the tries)

Asks: ``value:NODE``, ``grad:NODE``, ``local:NODE/INPUT``, ``derivative:VAR``, ``derivative2:VAR``
(:mod:`tutor.check.second`); layer quantities are graded by :mod:`tutor.check.matrix`. Verdicts:
correct, incorrect, invalid (never counts as an attempt), unchecked (out of time; never
"wrong"). ``RequestError`` means the request itself (program, ask, author mistake) is unusable.

In a trace, ``grade_in_trace(program, at, ask, answer, earlier)`` also takes what the learner typed
in the earlier entries (``{"value:z2": "8"}``) and names an answer that is right for those numbers
``carried-forward`` ("your method is right; it uses your z2 = 8, which is off").

For repeated answers on one problem, ``prepare_problem`` (cached) or ``Problem(graph)`` plus
``grade_answer`` skip rebuilding the graph. ``derivative:`` answers may block for up to the
time budget (0.6 s by default): call ``grade`` off the UI thread, and ``warm_up()`` early.
"""

from tutor.check.carried import grade_in_trace
from tutor.check.grader import (
    coinciding_mistakes,
    expected_answer,
    grade,
    grade_answer,
    grade_numeric,
    request_from_mapping,
    wrong_answers,
)
from tutor.check.models import (
    CORRECT,
    DIAGNOSES,
    INCORRECT,
    INVALID,
    UNCHECKED,
    VERDICTS,
    AuthorMistake,
    GradeRequest,
    GradeResult,
    RequestError,
    Tolerance,
)
from tutor.check.problem import Problem, prepare_problem
from tutor.check.worker import warm_up

__all__ = [
    "CORRECT", "DIAGNOSES", "INCORRECT", "INVALID", "UNCHECKED", "VERDICTS",
    "AuthorMistake", "GradeRequest", "GradeResult", "Problem", "RequestError", "Tolerance",
    "coinciding_mistakes", "expected_answer", "grade", "grade_answer", "grade_in_trace", "grade_numeric",
    "prepare_problem",
    "request_from_mapping", "warm_up", "wrong_answers",
]
