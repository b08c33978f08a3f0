"""The diagnosis ids the checker can report: one vocabulary for the checker and for lesson packs.

A leaf module outside :mod:`tutor.check` (whose package imports the whole checker, sympy
included), so that :mod:`tutor.packs.models` can refuse an author mistake id that clashes with a
built-in one without importing the checker.
"""

# Built-in diagnoses of graph answers, in the order the checker tries them when an answer is wrong.
BUILTIN_DIAGNOSES = (
    "value-for-grad",
    "missing-upstream",
    "missing-inner-derivative",
    "missing-path",
    "wrong-operand",
    "power-rule",
    "activation-derivative",
    "sign-flip",
)

# Layer (matrix) answers with the right shape but wrong entries, in the order they are tried.
LAYER_DIAGNOSES = (
    "missing-relu-mask",
    "missing-upstream",
    "wrong-operand",
    "activation-derivative",
    "sign-flip",
    "transposed",
    # A batch (x a matrix with one column per example): the examples not added up (dL/db with one
    # column per example, or one example's dL/dW), the mean's 1/B left out of a gradient between
    # layers, a sum given where the mean was asked (loss, dL/dW, dL/db) and the reverse.
    "batch-not-summed",
    "missing-batch-mean",
    "sum-for-mean",
    "mean-for-sum",
)
# Layer answers with the wrong shape.
SHAPE_DIAGNOSES = ("transposed", "wrong-shape")
ALL_LAYER_DIAGNOSES = tuple(dict.fromkeys(LAYER_DIAGNOSES + SHAPE_DIAGNOSES))
