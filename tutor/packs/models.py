"""The lesson-pack format as pydantic models: the single source of truth for its structure.

These models check shape only (which keys, which types, which values are allowed). Checks that
need several fields at once (unique ids, a test naming a mistake id that exists) live in
:mod:`tutor.packs.checks`; checks that need the expression language, the engine or the checker
live in :mod:`tutor.packs.validate`. ``docs/lesson-packs.md`` describes the format for authors;
``backprop-tutor schema`` prints the JSON Schema generated from these models.

Every model forbids unknown keys, so a typo such as ``hint:`` for ``hints:`` is an error with a
"did you mean" suggestion instead of being silently ignored.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    Tag,
    field_validator,
    model_validator,
)

from tutor.diagnosis_ids import ALL_LAYER_DIAGNOSES, BUILTIN_DIAGNOSES  # noqa: F401 (re-exported)

if TYPE_CHECKING:
    from tutor.exercises.catalog import Exercise

FORMAT_VERSION: Literal[1] = 1

PROBLEM_KINDS = ("trace", "ask", "numeric", "choice", "lab", "layer", "code")
STEP_KINDS = ("text",) + PROBLEM_KINDS
LAB_NAMES = ("xor", "vanishing", "gradcheck", "clipping", "nan-hunt", "checkpointing", "gradient-flow")
ASK_KINDS = ("value", "grad", "local", "derivative", "derivative2")
VERDICTS = ("correct", "incorrect", "invalid")
# Diagnoses of matrix answers in `layer` problems (tutor.check.matrix), from the one vocabulary.
LAYER_DIAGNOSES = ALL_LAYER_DIAGNOSES
LAYER_ACTIVATIONS = ("relu", "tanh", "sigmoid")
LAYER_LOSSES = ("mse", "softmax_ce")

SLUG_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"
NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
ASK_PATTERN = r"^(value|grad):[A-Za-z_][A-Za-z0-9_]*$|^local:[A-Za-z_][A-Za-z0-9_]*/[A-Za-z_][A-Za-z0-9_]*$" \
    r"|^derivative2?:[A-Za-z_][A-Za-z0-9_]*$|^layer:(loss|[za][0-9]+|dL/d[zaWb][0-9]+)$"
ACTIVATION_PATTERN = r"^(relu|tanh|sigmoid|\{[A-Za-z_][A-Za-z0-9_]*\})$"
PLACEHOLDER_PATTERN = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")

REQUIRE_DESCRIPTION = ("conditions every variant's parameters must meet, each a comparison such as \"x1 != x2\" or "
                       "\"a*b < 10\" (==, !=, <, <=, >, >=); values that fail are drawn again")
REQUIRE_OPERATORS = ("!=", "==", "<=", ">=", "<", ">")
MAX_REQUIRE_DRAWS = 200

# Largest integer range a parameter may span: variants are drawn from the full list of allowed values.
MAX_INT_PARAM_SPAN = 10_000


def _slug(value: Any) -> Any:
    if isinstance(value, str) and not re.match(SLUG_PATTERN, value):
        raise ValueError(
            f"'{value}' is not a valid id: use lowercase letters, digits, '-', '_' or '.', starting with a letter or digit"
        )
    return value


def _number_as_text(value: Any) -> Any:
    """Let authors write ``answer: 42`` as well as ``answer: "42"``: YAML gives an int, we keep text."""
    if isinstance(value, bool):
        raise ValueError("expected an answer or expression, got true/false; put it in quotes if you mean the text")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    return value


def _text_only(value: Any) -> Any:
    if isinstance(value, (bool, int, float)) and not isinstance(value, str):
        # YAML reads `yes`, `no`, `on`, `1.0` as booleans and numbers; in prose fields that is a surprise.
        raise ValueError(f"expected text, got {value!r}; put it in quotes")
    return value


def _ask(value: Any) -> Any:
    if isinstance(value, str) and not re.match(ASK_PATTERN, value.strip()):
        raise ValueError(
            f"'{value}' is not an ask: write value:NODE, grad:NODE, local:NODE/INPUT, derivative:VAR, derivative2:VAR, "
            "or layer:NAME (layer:z1, layer:dL/dW1, layer:loss)"
        )
    return value.strip() if isinstance(value, str) else value


Slug = Annotated[str, BeforeValidator(_slug), Field(json_schema_extra={"pattern": SLUG_PATTERN})]
Text = Annotated[str, BeforeValidator(_text_only)]
# An expression in the tutor's expression language, possibly with {param} placeholders.
ExpressionText = Annotated[
    str, BeforeValidator(_number_as_text, json_schema_input_type=Union[str, float])
]
AskText = Annotated[str, BeforeValidator(_ask), Field(json_schema_extra={"pattern": ASK_PATTERN})]


def _number_or_text(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("expected a number or an expression, got true/false")
    return value


# An input value: a number, or an expression over {params} such as "{a} + 1".
InputValue = Annotated[StrictFloat | StrictInt | str, BeforeValidator(_number_or_text)]
VersionText = Annotated[str, BeforeValidator(_number_as_text, json_schema_input_type=Union[str, float])]


class FormatModel(BaseModel):
    """Base of every model: unknown keys are errors, field aliases are the YAML names."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class Tolerance(FormatModel):
    """How close a numeric answer must be. With no tolerance the checker's defaults apply (rel 1e-3, abs 1e-9);
    a given tolerance means exactly what it says: a part left out is not added on top (abs alone is no
    relative tolerance; rel or digits alone keep only abs 1e-9, for answers that are 0)."""

    rel: StrictFloat | StrictInt | None = Field(None, ge=0, description="relative tolerance, e.g. 0.01 for 1%")
    abs: StrictFloat | StrictInt | None = Field(None, ge=0, description="absolute tolerance")
    digits: StrictInt | None = Field(None, ge=1, le=15,
                                     description="significant figures: right when it rounds to the answer at this many")


class IntParam(FormatModel):
    """An integer drawn uniformly from an inclusive range, minus the excluded values."""

    int_range: tuple[StrictInt, StrictInt] = Field(alias="int", description="[low, high], both included")
    exclude: list[StrictInt] = Field(default_factory=list, alias="not", description="values never drawn")

    @field_validator("int_range")
    @classmethod
    def _range_is_ordered(cls, value: tuple[int, int]) -> tuple[int, int]:
        low, high = value
        if low > high:
            raise ValueError(f"the range [{low}, {high}] is empty: write [low, high] with low <= high")
        if high - low > MAX_INT_PARAM_SPAN:
            raise ValueError(f"the range [{low}, {high}] is too wide (at most {MAX_INT_PARAM_SPAN} values)")
        return value

    def allowed_values(self) -> list[int]:
        low, high = self.int_range
        excluded = set(self.exclude)
        return [value for value in range(low, high + 1) if value not in excluded]


ChoiceValue = Union[StrictInt, StrictFloat, str]


class ChoiceParam(FormatModel):
    """A value picked uniformly from a list (numbers or words, e.g. an activation name)."""

    choice: list[ChoiceValue] = Field(min_length=1, description="the values to pick from")
    exclude: list[ChoiceValue] = Field(default_factory=list, alias="not", description="values never picked")

    def allowed_values(self) -> list[ChoiceValue]:
        excluded = set(self.exclude)
        return [value for value in self.choice if value not in excluded]


class ComputedParam(FormatModel):
    """A parameter computed from the parameters written before it: ``x2: "x1 + 1"`` in the YAML."""

    compute: Annotated[str, BeforeValidator(_number_as_text)] = Field(
        description="an expression over earlier parameters, in the expression language, e.g. \"x1 + 1\"")

    def allowed_values(self) -> list[ChoiceValue]:
        return []  # not drawn: computed from the others (tutor.packs.variants.draw_params)


def _computed(value: Any) -> Any:
    return {"compute": value} if isinstance(value, (str, int, float)) and not isinstance(value, bool) else value


def _param_kind(value: Any) -> str | None:
    if isinstance(value, dict):
        if "int" in value:
            return "int"
        if "choice" in value:
            return "choice"
        if "compute" in value:
            return "computed"
    if isinstance(value, str):
        return "computed"
    if isinstance(value, (IntParam, ChoiceParam, ComputedParam)):
        return {IntParam: "int", ChoiceParam: "choice", ComputedParam: "computed"}[type(value)]
    return None


ParamSpec = Annotated[
    Annotated[IntParam, Tag("int")] | Annotated[ChoiceParam, Tag("choice")]
    | Annotated[ComputedParam, BeforeValidator(_computed, json_schema_input_type=Union[str, dict[str, str]]),
                Tag("computed")],
    Discriminator(
        _param_kind,
        custom_error_type="param_kind",
        custom_error_message="a parameter needs `int: [low, high]` or `choice: [values]`, or is an expression "
        "over earlier parameters such as \"x1 + 1\"",
    ),
]

RequireText = Annotated[str, BeforeValidator(_text_only)]


class Mistake(FormatModel):
    """A wrong answer the author expects, with feedback shown when a learner gives it."""

    answer: ExpressionText = Field(description="the wrong answer: a number or an expression (may use {params})")
    feedback: Text = Field(description="Markdown shown to the learner who gives this answer")
    id: Slug | None = Field(None, description="names the mistake in tests and in progress statistics")
    ask: AskText | None = Field(None, description="trace and layer problems only: which entry this mistake is "
                                "about (grad:b, layer:dL/dW1)")
    rule: Text | None = Field(None, description="the general rule, shown with the learner's next wrong try (the "
                              "ladder's second rung: no number of this variant); default: the ask's own rule, or "
                              "general advice for a numeric problem")


class AnswerTest(FormatModel):
    """A sample answer and what grading it must give (run by `backprop-tutor validate`)."""

    answer: ExpressionText
    verdict: Literal["correct", "incorrect", "invalid"]
    diagnosis: str | None = Field(
        None, description="the diagnosis the grade must carry: a built-in id or one of this problem's mistake ids"
    )
    ask: AskText | None = Field(None, description="trace and layer problems only (required there): which entry is "
                                "answered")
    seed: StrictInt | None = Field(None, description="check only this variant; default: every variant validate renders")


class ChoiceTest(FormatModel):
    answer: Slug | list[Slug] = Field(description="the option id, or ids, the learner picks")
    verdict: Literal["correct", "incorrect"]


class AllowedCoincidence(FormatModel):
    """A built-in diagnosis accepted to give the right answer here, with the reason written down."""

    id: str = Field(description="the built-in diagnosis id, e.g. sign-flip")
    reason: Text = Field(description="why the right answer is meant to coincide with it here, e.g. "
                         "\"an active ReLU's slope is 1, so leaving it out changes nothing\"")

    @field_validator("reason")
    @classmethod
    def _reason_is_written(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the reason is empty: say why the right answer is meant to coincide here")
        return value


# `allow_coincidences` entries: an id, or {id, reason}.
AllowedEntry = Union[str, AllowedCoincidence]


def allowed_ids(entries: list[AllowedEntry]) -> list[str]:
    return [entry if isinstance(entry, str) else entry.id for entry in entries]


class ProblemBase(FormatModel):
    id: Slug = Field(description="unique within the pack; progress is recorded against it")
    title: Text | None = None
    prompt: Text = Field(description="Markdown shown above the problem (may use {params})")
    hints: list[Text] = Field(default_factory=list, description="a ladder of hints, shown one at a time")
    explanation: Text | None = Field(None, description="Markdown shown after a correct answer or on giving up")
    tags: list[Slug] = Field(default_factory=list)


class GraphProblemBase(ProblemBase):
    program: ExpressionText = Field(description='e.g. "L = (a*b + c)^2" or "z1 = a*b; z2 = z1 + c; L = z2^2"')
    at: dict[str, InputValue] = Field(
        default_factory=dict,
        description="input values: numbers or expressions over {params}; an input missing here takes the "
        "parameter of the same name",
    )
    params: dict[str, ParamSpec] = Field(default_factory=dict, description="randomized variants, seeded")
    require: list[RequireText] = Field(default_factory=list, description=REQUIRE_DESCRIPTION)
    tolerance: Tolerance | None = None
    mistakes: list[Mistake] = Field(default_factory=list)
    tests: list[AnswerTest] = Field(default_factory=list)
    allow_coincidences: list[AllowedEntry] = Field(
        default_factory=list,
        description="built-in diagnoses that validate may find giving the right answer here, e.g. when the "
        "right answer is 0 on purpose (a dead ReLU) and every wrong rule gives 0 too; each an id, or "
        "{id: ..., reason: ...}",
    )


class TraceProblem(GraphProblemBase):
    """Fill in forward values, then gradients, with the animated graph beside the table."""

    kind: Literal["trace"]
    forward: list[str] | None = Field(
        None, description="nodes whose value the learner fills in (default: every computed node)"
    )
    backward: list[str] | None = Field(
        None, description="nodes whose gradient the learner fills in (default: every node)"
    )
    entry_hints: dict[str, list[Text]] = Field(
        default_factory=dict,
        description="hints for one entry of the table, keyed by the entry as an ask (value:z2, grad:b); F2 in "
        "that entry shows these first, then the problem's hints",
        # validate checks each key against the trace's entries; an editor can at least mark a key that is no
        # value:/grad: ask.
        json_schema_extra={"propertyNames": {"pattern": r"^(value|grad):[A-Za-z_][A-Za-z0-9_]*$"}},
    )


class AskProblem(GraphProblemBase):
    """One question about a graph: a value, a gradient, a local derivative or a derivative formula."""

    kind: Literal["ask"]
    ask: AskText
    graph: StrictBool = Field(True, description="draw the graph beside the question")


def _activation(value: Any) -> Any:
    if isinstance(value, str) and not re.match(ACTIVATION_PATTERN, value.strip()):
        raise ValueError(f"'{value}' is not an activation: use relu, tanh or sigmoid (or a {{param}} that picks one)")
    return value.strip() if isinstance(value, str) else value


ActivationName = Annotated[str, BeforeValidator(_activation), Field(json_schema_extra={"pattern": ACTIVATION_PATTERN})]


class LinearSpec(FormatModel):
    """The weights and biases of a linear layer ``z = W·input + b``."""

    W: list[list[InputValue]] = Field(
        min_length=1, description="the weight matrix, one row per output: shape (outputs, inputs); entries are "
        "numbers or expressions over {params}")
    b: list[InputValue] | None = Field(None, description="one bias per output (default: zeros)")


class LinearLayer(FormatModel):
    linear: LinearSpec


class ActivationLayer(FormatModel):
    activation: ActivationName = Field(description="relu, tanh or sigmoid, applied entry by entry")


def _layer_kind(value: Any) -> str | None:
    if isinstance(value, dict):
        if "linear" in value:
            return "linear"
        if "activation" in value:
            return "activation"
        return None
    return "linear" if isinstance(value, LinearLayer) else "activation" if isinstance(value, ActivationLayer) else None


NetworkLayer = Annotated[
    Annotated[LinearLayer, Tag("linear")] | Annotated[ActivationLayer, Tag("activation")],
    Discriminator(
        _layer_kind,
        custom_error_type="layer_kind",
        custom_error_message="a layer is `linear: {W: [[...]], b: [...]}` or `activation: relu` (or tanh, sigmoid)",
    ),
]


class Network(FormatModel):
    """A small network for a `layer` problem: layers applied in order to the column vector ``x``, or to a
    batch ``X`` whose columns are the examples."""

    layers: list[NetworkLayer] = Field(min_length=1, description="linear and activation layers, first a linear one")
    x: list[InputValue] | None = Field(
        None, min_length=1, description="one example, a column vector: numbers or expressions (give x or X)")
    X: list[list[InputValue]] | None = Field(
        None, min_length=1, description="a batch: a matrix with one row per input and one column per example, "
        "shape (inputs, B) (give x or X)")
    target: StrictInt | list[InputValue] | list[list[InputValue]] | str = Field(
        description="mse: the target vector, one entry per output (with X: a matrix, one column per example); "
        "softmax_ce: the right class number (from 0), or a {param} (with X: a list, one class per example)")
    loss: Literal["mse", "softmax_ce"] = Field(
        "mse", description="mse: ½ Σ (output − target)²; softmax_ce: cross-entropy of softmax(output)")
    reduction: Literal["mean", "sum"] | None = Field(
        None, description="with X: the loss is the mean (the default, torch's) or the sum of the examples' losses")

    @model_validator(mode="after")
    def _one_input(self) -> Network:
        if (self.x is None) == (self.X is None):
            raise ValueError("give the input as x (one example, a list) or as X (a batch, one column per example), "
                             + ("not both" if self.x is not None else "one of them"))
        if self.X is not None and len({len(row) for row in self.X}) != 1:
            raise ValueError("every row of X needs the same number of entries, one per example")
        return self

    @property
    def batched(self) -> bool:
        return self.X is not None


class NumericProblem(ProblemBase):
    """A number, which the learner may type as an expression such as 0.25^10."""

    kind: Literal["numeric"]
    answer: ExpressionText = Field(description="the right answer: a number or an expression of numbers")
    params: dict[str, ParamSpec] = Field(default_factory=dict)
    require: list[RequireText] = Field(default_factory=list, description=REQUIRE_DESCRIPTION)
    tolerance: Tolerance | None = None
    mistakes: list[Mistake] = Field(default_factory=list)
    tests: list[AnswerTest] = Field(default_factory=list)


class LayerProblem(ProblemBase):
    """Backprop through a small network with matrices: fill in z1, a1, ..., then dL/dz, dL/dW, dL/db, ..."""

    kind: Literal["layer"]
    network: Network
    forward: list[str] | None = Field(
        None, description="forward quantities the learner fills in, e.g. [z1, a1, z2, loss] (default: all)")
    backward: list[str] | None = Field(
        None, description="gradients the learner fills in, e.g. [dL/dz2, dL/dW2] (default: all)")
    params: dict[str, ParamSpec] = Field(default_factory=dict, description="randomized variants, seeded")
    require: list[RequireText] = Field(default_factory=list, description=REQUIRE_DESCRIPTION)
    tolerance: Tolerance | None = None
    mistakes: list[Mistake] = Field(default_factory=list)
    tests: list[AnswerTest] = Field(default_factory=list)
    allow_coincidences: list[AllowedEntry] = Field(
        default_factory=list,
        description="layer diagnoses that validate may find giving the right answer here, e.g. missing-relu-mask "
        "when no ReLU is off on purpose; each an id, or {id: ..., reason: ...}")


class ChoiceOption(FormatModel):
    id: Slug | None = Field(None, description="default: a, b, c, ... by position")
    text: Text
    correct: StrictBool = False
    feedback: Text | None = Field(None, description="shown when the learner picks this option")


class ChoiceProblem(ProblemBase):
    kind: Literal["choice"]
    options: list[ChoiceOption] = Field(min_length=2)
    multiple: StrictBool = Field(False, description="true: the learner picks every correct option")
    shuffle: StrictBool = Field(True, description="false keeps the author's order")
    params: dict[str, ParamSpec] = Field(default_factory=dict)
    require: list[RequireText] = Field(default_factory=list, description=REQUIRE_DESCRIPTION)
    tests: list[ChoiceTest] = Field(default_factory=list)

    def option_ids(self) -> list[str]:
        return [option.id or default_option_id(index) for index, option in enumerate(self.options)]

    def correct_ids(self) -> list[str]:
        return [option_id for option_id, option in zip(self.option_ids(), self.options) if option.correct]


class LabProblem(ProblemBase):
    kind: Literal["lab"]
    lab: Literal["xor", "vanishing", "gradcheck", "clipping", "nan-hunt", "checkpointing", "gradient-flow"]
    settings: dict[str, bool | int | float | str] = Field(
        default_factory=dict, description="initial settings handed to the lab"
    )


def _known_exercise(value: str) -> str:
    from tutor.exercises.catalog import EXERCISES  # deferred: pack loading needs only the ids

    if value not in EXERCISES:
        import difflib

        close = difflib.get_close_matches(value, list(EXERCISES), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"unknown exercise {value!r}{hint} "
                         f"(built-in exercises: {', '.join(EXERCISES)})")
    return value


def _exercise_enum(schema: dict[str, Any]) -> None:
    from tutor.exercises.catalog import EXERCISES

    schema["enum"] = list(EXERCISES)


ExerciseId = Annotated[str, AfterValidator(_known_exercise), Field(json_schema_extra=_exercise_enum)]


# The operations a code exercise's checks may test (tutor.exercises.catalog.OP_NAMES; a test keeps them equal).
CODE_OPS = ("add", "sub", "mul", "div", "pow", "neg", "relu", "tanh", "exp", "log", "sigmoid")
CodeOp = Literal["add", "sub", "mul", "div", "pow", "neg", "relu", "tanh", "exp", "log", "sigmoid"]
MAX_CODE_PROGRAMS = 30
MAX_RANDOM_PROGRAMS = 40
MAX_RANDOM_NODES = 30
MAX_RANGE = 100.0
MAX_CODE_TOLERANCE = 0.1
MAX_TARGET_SECONDS = 60
FiniteNumber = Annotated[StrictFloat | StrictInt, Field(allow_inf_nan=False)]


class CodeProgram(FormatModel):
    """A fixed check: a program in the expression language and the point it is checked at."""

    program: ExpressionText = Field(description='e.g. "L = a*b + c" or "d = a - b; L = d / c"')
    at: dict[str, FiniteNumber] = Field(description="a number for every input of the program")


class CodeRange(FormatModel):
    low: FiniteNumber = Field(ge=-MAX_RANGE, le=MAX_RANGE)
    high: FiniteNumber = Field(ge=-MAX_RANGE, le=MAX_RANGE)

    @model_validator(mode="after")
    def _ordered(self) -> CodeRange:
        if not self.low < self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        return self


class CodeRandom(FormatModel):
    count: StrictInt = Field(12, ge=0, le=MAX_RANDOM_PROGRAMS,
                             description="how many random programs (default 12; 0 checks only the fixed ones)")
    max_nodes: StrictInt = Field(12, ge=1, le=MAX_RANDOM_NODES,
                                 description="operations in the largest one; sizes grow from 1 to this (default 12)")


class CodeTolerance(FormatModel):
    """A number passes when |learner - engine| <= max(abs, rel * |engine|); default rel 1e-6, abs 1e-6."""

    rel: FiniteNumber = Field(1e-6, ge=0, le=MAX_CODE_TOLERANCE)
    abs: FiniteNumber = Field(1e-6, ge=0, le=MAX_CODE_TOLERANCE)


class CodeTarget(FormatModel):
    """The training target of the `xor` exercise."""

    loss_below: FiniteNumber = Field(0.05, gt=0, le=1, description="train_xor() must return a loss below this")
    seconds: FiniteNumber = Field(60, gt=0, le=MAX_TARGET_SECONDS, description="wall-clock limit for the training")


class CodeChecks(FormatModel):
    """A code problem's own checks, as data; whatever is left out is the built-in exercise's."""

    ops: list[CodeOp] | None = Field(
        None, min_length=1, description="the operations the random programs use (default: the exercise's); with "
        "no `programs`, only the exercise's fixed programs within these ops are kept")
    programs: list[CodeProgram] | None = Field(
        None, max_length=MAX_CODE_PROGRAMS, description="fixed checks, run first (default: the exercise's)")
    range: CodeRange | None = Field(None, description="where random inputs are drawn from (default low -2, high 2)")
    random: CodeRandom | None = None
    tolerance: CodeTolerance | None = None
    target: CodeTarget | None = Field(None, description="only for the `xor` exercise")


class CodeProblem(ProblemBase):
    """Write part of an autograd engine in Python; the tutor's harness checks the file (no pack code runs)."""

    kind: Literal["code"]
    exercise: ExerciseId = Field(
        description="a built-in exercise (`backprop-tutor code list`): the starter file, what the file must define, "
        "and the default checks"
    )
    checks: CodeChecks | None = Field(
        None, description="the checks as data (ops, programs, range, random, tolerance, target); validate builds "
        "each program and runs it on the tutor's engine")

    def checked_exercise(self) -> Exercise:
        """The tutor.exercises Exercise to check against: the built-in one with this problem's ``checks``."""
        from tutor.exercises.catalog import EXERCISES, random_sizes, with_checks  # deferred: only checking needs it

        base = EXERCISES[self.exercise]
        checks = self.checks
        if checks is None:
            return base
        return with_checks(
            base,
            ops=tuple(checks.ops) if checks.ops is not None else None,
            programs=None if checks.programs is None else tuple(
                (entry.program, {name: float(value) for name, value in entry.at.items()}) for entry in checks.programs),
            sizes=None if checks.random is None else random_sizes(checks.random.count, checks.random.max_nodes),
            random_range=None if checks.range is None else (float(checks.range.low), float(checks.range.high)),
            tolerance=None if checks.tolerance is None else (float(checks.tolerance.rel), float(checks.tolerance.abs)),
            xor_target=None if checks.target is None else (float(checks.target.loss_below),
                                                           float(checks.target.seconds)),
        )


class TextStep(FormatModel):
    kind: Literal["text"] = "text"
    text: Text = Field(description="Markdown")


Problem = Union[TraceProblem, AskProblem, NumericProblem, ChoiceProblem, LabProblem, LayerProblem, CodeProblem]


def _step_kind(value: Any) -> str | None:
    if isinstance(value, dict):
        if "kind" in value:
            kind = value["kind"]
            return kind if isinstance(kind, str) else None
        if "text" in value:
            return "text"
        return None
    return getattr(value, "kind", None)


Step = Annotated[
    Annotated[TextStep, Tag("text")] | Annotated[TraceProblem, Tag("trace")] | Annotated[AskProblem, Tag("ask")] | Annotated[NumericProblem, Tag("numeric")] | Annotated[ChoiceProblem, Tag("choice")] | Annotated[LabProblem, Tag("lab")] | Annotated[LayerProblem, Tag("layer")] | Annotated[CodeProblem, Tag("code")],
    Discriminator(
        _step_kind,
        custom_error_type="step_kind",
        custom_error_message="a step is `text: ...` or a problem with `kind:` one of "
        + ", ".join(PROBLEM_KINDS),
    ),
]


class Lesson(FormatModel):
    """One lesson: Markdown text and problems, in order."""

    id: Slug = Field(description="unique within the pack")
    title: Text
    summary: Text | None = Field(None, description="one or two sentences shown in the lesson list")
    tags: list[Slug] = Field(default_factory=list)
    steps: list[Step] = Field(min_length=1)

    def problems(self) -> list[Problem]:
        return [step for step in self.steps if not isinstance(step, TextStep)]


def _lesson_entry_kind(value: Any) -> str | None:
    if isinstance(value, str):
        return "file"
    if isinstance(value, (dict, Lesson)):
        return "inline"
    return None


LessonEntry = Annotated[
    Annotated[str, Tag("file")] | Annotated[Lesson, Tag("inline")],
    Discriminator(
        _lesson_entry_kind,
        custom_error_type="lesson_entry",
        custom_error_message="a lesson entry is a file name (relative to the pack) or a lesson written in place",
    ),
]


class PackManifest(FormatModel):
    """``pack.yaml`` of a folder pack, or the whole of a single-file pack."""

    format: Literal[1] = Field(FORMAT_VERSION, description="version of the lesson-pack format")
    id: Slug = Field(description="unique among installed packs")
    title: Text
    version: VersionText = Field(description="the pack's own version, e.g. \"1.0.0\"")
    description: Text = ""
    authors: list[Text] = Field(default_factory=list)
    license: Text | None = None
    audience: Literal["learners", "authors"] = Field(
        "learners",
        description="'authors': a pack for people who write packs (a format tour, templates); the tutor "
        "lists it under 'For pack authors' below the course, not among the lessons a learner works through",
    )
    lessons: list[LessonEntry] | None = Field(
        None,
        description="lesson files (relative paths) and/or lessons in place, in order; "
        "default for a folder pack: every other .yaml/.yml file in the folder, sorted by name",
    )


def default_option_id(index: int) -> str:
    """a, b, ..., z, then a27, a28: ids stay stable when the author appends options."""
    return chr(ord("a") + index) if index < 26 else f"a{index + 1}"


def json_schema(kind: Literal["any", "pack", "lesson"] = "any") -> dict[str, Any]:
    """JSON Schema of a pack manifest, a lesson file, or either (editors pick per file)."""
    from pydantic import TypeAdapter

    target: Any = {"pack": PackManifest, "lesson": Lesson, "any": Union[PackManifest, Lesson]}[kind]
    schema = TypeAdapter(target).json_schema(by_alias=True)
    _discriminate(schema)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = {"pack": "backprop-tutor pack manifest", "lesson": "backprop-tutor lesson file",
                       "any": "backprop-tutor lesson pack file"}[kind]
    schema["description"] = (
        "A pack manifest (pack.yaml, or a single-file pack) or a lesson file of a backprop-tutor lesson pack; "
        "see docs/lesson-packs.md."
    )
    return schema


# --- per-kind branches in the JSON Schema ---------------------------------------------------------------
# pydantic writes each tagged union as a plain oneOf, so a validator (an editor's, or jsonschema) that meets
# one wrong key inside a step can only say "not valid under any of the given schemas" about the whole step.
# The unions are rewritten as if/then/else chains on the key that picks the branch (`kind`, `int`/`choice`,
# `linear`/`activation`, `steps`/`lessons`), so only the branch the step asks for is checked and its own
# error is reported: "Additional properties are not allowed ('hintz' was unexpected)" on the trace problem,
# "'quiz' is not one of [...]" on `kind`.


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/$defs/{name}"}


def _chain(cases: list[tuple[dict[str, Any], dict[str, Any]]], otherwise: dict[str, Any]) -> dict[str, Any]:
    """if case0 then ... else if case1 then ... else otherwise."""
    result = otherwise
    for condition, then in reversed(cases):
        result = {"if": condition, "then": then, "else": result}
    return result


def _has_key(key: str) -> dict[str, Any]:
    return {"type": "object", "required": [key]}


def _step_schema() -> dict[str, Any]:
    from typing import get_args

    models = (TraceProblem, AskProblem, NumericProblem, ChoiceProblem, LabProblem, LayerProblem, CodeProblem)
    by_kind = {get_args(model.model_fields["kind"].annotation)[0]: model.__name__ for model in models}
    if tuple(by_kind) != PROBLEM_KINDS:
        raise RuntimeError("a problem kind has no branch in the schema")
    cases: list[tuple[dict[str, Any], dict[str, Any]]] = [
        ({"type": "object", "required": ["kind"], "properties": {"kind": {"const": kind}}}, _ref(name))
        for kind, name in by_kind.items()]
    cases.append(({"anyOf": [{"type": "object", "not": {"required": ["kind"]}},
                             {"type": "object", "properties": {"kind": {"const": "text"}}}]}, _ref("TextStep")))
    # Left: an object with an unknown kind, which the `enum` on `kind` below reports at `kind` itself.
    chain = _chain(cases, {"type": "object", "required": ["kind"]})
    return {"description": "a text step (`text: ...`) or a problem with `kind:` one of " + ", ".join(PROBLEM_KINDS),
            "type": "object", "properties": {"kind": {"enum": ["text", *PROBLEM_KINDS]}}, **chain}


def _discriminate(schema: dict[str, Any]) -> None:
    """Rewrite the tagged unions of ``schema`` (in place) as if/then/else chains; see above."""
    definitions = schema.get("$defs", {})
    # With --kind lesson (or pack) that model is the schema itself, not one of its $defs.
    roots = {"Lesson": definitions.get("Lesson"), "PackManifest": definitions.get("PackManifest")}
    for name in roots:
        if schema.get("title") == name:
            roots[name] = schema
    if roots["Lesson"] is not None:
        roots["Lesson"]["properties"]["steps"]["items"] = _step_schema()
    if "Network" in definitions:
        definitions["Network"]["properties"]["layers"]["items"] = {
            "description": "a linear layer (`linear: {W: ..., b: ...}`) or an activation (`activation: relu`)",
            **_chain([(_has_key("linear"), _ref("LinearLayer")), (_has_key("activation"), _ref("ActivationLayer"))],
                     {"type": "object", "minProperties": 1, "propertyNames": {"enum": ["linear", "activation"]}}),
        }
    for definition in definitions.values():
        params = definition.get("properties", {}).get("params", {})
        union = params.get("additionalProperties", {}).get("oneOf")
        if union is not None and len(union) == 3:
            params["additionalProperties"] = {
                "description": "`int: [low, high]`, `choice: [values]`, or an expression over earlier parameters",
                **_chain([(_has_key("int"), _ref("IntParam")), (_has_key("choice"), _ref("ChoiceParam"))], union[2]),
            }
    manifest = (roots["PackManifest"] or {}).get("properties", {}).get("lessons", {})
    for option in manifest.get("anyOf", []):
        items = option.get("items", {})
        if "oneOf" in items:
            option["items"] = {"description": items.get("description", "a lesson file name or a lesson written in place"),
                               **_chain([({"type": "string"}, {"type": "string"})], _ref("Lesson"))}
    top = schema.get("anyOf")
    if top == [_ref("PackManifest"), _ref("Lesson")]:
        del schema["anyOf"]
        schema.update(_chain([(_has_key("steps"), _ref("Lesson"))], _ref("PackManifest")))
