"""Grading a learner's answer to a rendered problem: the glue between packs and the checker.

The UI and ``validate`` both go through these functions, so a pack's ``tests`` are graded exactly
the way a learner's answers are. The checker (``tutor.check``) is imported lazily: loading packs
must stay cheap.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from tutor.packs.checks import grade_choice
from tutor.packs.models import (
    AskProblem,
    ChoiceProblem,
    GraphProblemBase,
    LayerProblem,
    Mistake,
    NumericProblem,
    Tolerance,
    TraceProblem,
)
from tutor.packs.variants import RenderedProblem

DEFAULT_RELATIVE_TOLERANCE = 1e-3
DEFAULT_ABSOLUTE_TOLERANCE = 1e-9


class NotGradable(ValueError):
    """The problem kind (a lab) or the ask does not fit this function."""


def checker_tolerance(tolerance: Tolerance | None) -> Any:
    """The pack's tolerance as the checker's, filling a missing part with the default."""
    if tolerance is None:
        return None

    return exact_tolerance(tolerance)


def exact_tolerance(tolerance: Tolerance) -> Any:
    """A given tolerance means what it says: {abs: 0.5} is abs 0.5 and no relative part on top.

    Only the tiny absolute default stays when abs is not given, so an answer of 0 can be typed.
    """
    from tutor.check import Tolerance as CheckTolerance

    return CheckTolerance(
        rel=0.0 if tolerance.rel is None else tolerance.rel,
        abs=DEFAULT_ABSOLUTE_TOLERANCE if tolerance.abs is None else tolerance.abs,
        digits=tolerance.digits,
    )


def problem_ask(rendered: RenderedProblem, ask: str | None = None) -> str:
    """The ask being answered: the problem's own for ``ask`` problems, the entry's for ``trace``."""
    problem = rendered.problem
    if isinstance(problem, AskProblem):
        if ask is not None and ask != problem.ask:
            raise NotGradable(f"this problem asks {problem.ask}, not {ask}")
        return problem.ask
    if isinstance(problem, TraceProblem):
        if ask is None:
            raise NotGradable("a trace problem needs the entry being answered, e.g. ask='grad:a'")
        return ask
    raise NotGradable(f"a {problem.kind} problem has no graph ask")


def mistakes_for(problem: GraphProblemBase | NumericProblem | LayerProblem, ask: str | None) -> list[Mistake]:
    """The author's mistakes that apply to ``ask`` (all of them outside trace and layer problems)."""
    if isinstance(problem, (TraceProblem, LayerProblem)):
        return [mistake for mistake in problem.mistakes if mistake.ask == ask]
    return list(problem.mistakes)


def author_mistakes(mistakes: list[Mistake], ids: Sequence[str | None] | None = None) -> list[Any]:
    from tutor.check import AuthorMistake

    chosen_ids = ids if ids is not None else [mistake.id for mistake in mistakes]
    return [
        AuthorMistake(answer=mistake.answer, feedback=mistake.feedback, id=mistake_id, rule=mistake.rule or "")
        for mistake, mistake_id in zip(mistakes, chosen_ids)
    ]


def grade_request(rendered: RenderedProblem, answer: str, ask: str | None = None,
                  mistake_ids: Sequence[str | None] | None = None) -> Any:
    """The checker's GradeRequest for a learner's ``answer`` to a ``trace`` entry or an ``ask`` problem."""
    problem = rendered.problem
    if not isinstance(problem, GraphProblemBase):
        raise NotGradable(f"a {problem.kind} problem is not graded against a graph")
    from tutor.check import GradeRequest

    the_ask = problem_ask(rendered, ask)
    mistakes = mistakes_for(problem, the_ask)
    if mistake_ids is not None:
        mistake_ids = mistake_ids[: len(mistakes)]
    return GradeRequest(
        program=problem.program,
        at=dict(rendered.at),
        ask=the_ask,
        answer=answer,
        tolerance=checker_tolerance(problem.tolerance),
        mistakes=author_mistakes(mistakes, mistake_ids),
    )


def grade_answer(rendered: RenderedProblem, answer: str, ask: str | None = None,
                 earlier: Mapping[str, str] | None = None) -> Any:
    """Grade a typed answer to a ``trace`` entry, an ``ask`` or a ``numeric`` problem -> GradeResult.

    ``earlier``: in a trace, what the learner last submitted for other entries (ask -> text, right or
    wrong), so that an answer right for their own wrong value is told so (``carried-forward``).
    Raises ``tutor.check.RequestError`` when the problem itself is unusable (a pack that did not
    pass ``validate``); a learner's bad answer is never an exception but an ``invalid`` verdict.
    """
    problem = rendered.problem
    if isinstance(problem, NumericProblem):
        return grade_numeric_answer(rendered, answer)
    if isinstance(problem, LayerProblem):
        if ask is None:
            raise NotGradable("a layer problem needs the quantity being answered, e.g. ask='layer:dL/dW1'")
        return grade_layer_answer(rendered, answer, ask)
    request = grade_request(rendered, answer, ask)
    if earlier:
        from tutor.check import grade_in_trace

        return grade_in_trace(request.program, request.at, request.ask, request.answer, earlier,
                              request.tolerance, request.mistakes)
    from tutor.check import grade

    return grade(request)


def grade_numeric_answer(rendered: RenderedProblem, answer: str) -> Any:
    """Numeric problems: the checker compares numbers and matches the author's mistakes the same way."""
    problem = rendered.problem
    if not isinstance(problem, NumericProblem):
        raise NotGradable(f"a {problem.kind} problem is not numeric")
    from tutor.check import grade_numeric

    return grade_numeric(answer, problem.answer, checker_tolerance(problem.tolerance),
                         author_mistakes(list(problem.mistakes)))


def layer_network_data(rendered: RenderedProblem) -> dict[str, Any]:
    """A rendered layer problem's network as the plain data :mod:`tutor.check.matrix` reads."""
    problem = rendered.problem
    if not isinstance(problem, LayerProblem):
        raise NotGradable(f"a {problem.kind} problem has no network")
    return problem.network.model_dump(by_alias=True, exclude_none=True)


def layer_trace_of(rendered: RenderedProblem) -> Any:
    """The :class:`tutor.graph.layers.LayerTrace` of a rendered layer problem (cached by the checker)."""
    from tutor.check.matrix import layer_trace

    return layer_trace(layer_network_data(rendered))


def layer_entries(rendered: RenderedProblem, trace: Any | None = None) -> list[str]:
    """The asks of a layer problem in the order the learner fills them in: ``layer:z1``, ..., ``layer:dL/db1``.

    The forward quantities, then the gradients in the order backpropagation reaches them, limited to the
    names the author listed in ``forward`` / ``backward``.
    """
    problem = rendered.problem
    if not isinstance(problem, LayerProblem):
        raise NotGradable(f"a {problem.kind} problem has no layer quantities")
    trace = trace if trace is not None else layer_trace_of(rendered)
    forward = set(problem.forward) if problem.forward is not None else set(trace.forward_names)
    backward = set(problem.backward) if problem.backward is not None else set(trace.backward_names)
    return [f"layer:{name}" for name in trace.forward_names if name in forward] + \
        [f"layer:{name}" for name in trace.backward_names if name in backward]


def grade_layer_answer(rendered: RenderedProblem, answer: str, ask: str) -> Any:
    """Grade a matrix typed for one quantity (``ask`` = "layer:dL/dW1") of a layer problem -> GradeResult."""
    problem = rendered.problem
    if not isinstance(problem, LayerProblem):
        raise NotGradable(f"a {problem.kind} problem has no layer quantities")
    from tutor.check.matrix import grade_layer

    return grade_layer(layer_network_data(rendered), ask, answer, checker_tolerance(problem.tolerance),
                       author_mistakes(mistakes_for(problem, ask)))


def grade_choice_answer(rendered: RenderedProblem, picked: str | list[str]) -> Any:
    """Choice problems -> GradeResult; the message is the picked wrong option's feedback, if any."""
    problem = rendered.problem
    if not isinstance(problem, ChoiceProblem):
        raise NotGradable(f"a {problem.kind} problem has no options")
    from tutor.check import GradeResult

    chosen = [picked] if isinstance(picked, str) else list(picked)
    known = problem.option_ids()
    unknown = [option_id for option_id in chosen if option_id not in known]
    expected = ", ".join(problem.correct_ids())
    if unknown or not chosen:
        message = f"no option {unknown[0]!r}" if unknown else "pick an option"
        return GradeResult(verdict="invalid", expected=expected, diagnosis=None, message=message, column=None)
    if grade_choice(problem, chosen):
        return GradeResult(verdict="correct", expected=expected, diagnosis=None, message="Correct.", column=None)
    feedback = [
        option.feedback
        for option_id, option in zip(known, problem.options)
        if option_id in chosen and not option.correct and option.feedback
    ]
    message = "\n\n".join(feedback) if feedback else "Not quite."
    return GradeResult(verdict="incorrect", expected=expected, diagnosis=None, message=message, column=None)


def replace_result(result: Any, **changes: Any) -> Any:
    """A copy of a GradeResult with some fields changed, whether it is a dataclass or a pydantic model."""
    if dataclasses.is_dataclass(result) and not isinstance(result, type):  # an instance, not a dataclass itself
        return dataclasses.replace(result, **changes)
    if hasattr(result, "model_copy"):
        return result.model_copy(update=changes)
    return type(result)(**{**vars(result), **changes})


def trace_entries(rendered: RenderedProblem, graph: Any | None = None) -> list[str]:
    """The asks of a trace problem in the order the learner fills them in.

    Forward values in evaluation order, then gradients in reverse evaluation order, limited to the
    nodes the author listed in ``forward`` / ``backward``.
    """
    problem = rendered.problem
    if not isinstance(problem, TraceProblem):
        raise NotGradable(f"a {problem.kind} problem has no table of entries")
    if graph is None:
        from tutor.graph import build_graph

        graph = build_graph(problem.program, rendered.at)
    forward = set(problem.forward) if problem.forward is not None else set(graph.computed_ids)
    backward = set(problem.backward) if problem.backward is not None else set(graph.order)
    entries = [f"value:{node}" for node in graph.computed_ids if node in forward]
    entries += [f"grad:{node}" for node in reversed(graph.order) if node in backward]
    return entries
