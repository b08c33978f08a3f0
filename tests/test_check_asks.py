"""The ask-kind registry: every kind has one implementation, and asks parse to the enum."""

import ast
from pathlib import Path

import pytest

from tutor.check import RequestError, prepare_problem
from tutor.check.ask_kinds import Ask, AskKind
from tutor.check.asks import ASK_KINDS, implementation

CHECK = Path(__file__).resolve().parents[1] / "tutor" / "check"


def test_every_ask_kind_has_one_implementation():
    assert set(ASK_KINDS) == set(AskKind)


@pytest.mark.parametrize("text, kind, node, operand", [
    ("value:z1", AskKind.VALUE, "z1", None),
    ("grad:a", AskKind.GRAD, "a", None),
    ("local:z1/a", AskKind.LOCAL, "z1", "a"),
    ("derivative:a", AskKind.DERIVATIVE, "a", None),
    ("derivative2:a", AskKind.DERIVATIVE2, "a", None),
])
def test_ask_text_parses_to_the_enum_and_back(text, kind, node, operand):
    problem = prepare_problem("L = (a*b + c)^2", {"a": 2, "b": 3, "c": 1})
    ask = problem.parse_ask(text)
    assert ask == Ask(kind, node, operand)
    assert isinstance(ask.kind, AskKind)
    assert ask.text == text


def test_a_layer_ask_is_refused_on_a_program_with_a_hint():
    problem = prepare_problem("L = a*b", {"a": 2, "b": 3})
    with pytest.raises(RequestError, match="asked of a network"):
        problem.parse_ask("layer:dL/dW1")
    with pytest.raises(RequestError, match="layer quantity"):
        implementation(AskKind.LAYER).expected_text(problem, Ask(AskKind.LAYER, "z1"), None)


def _checker_imports(module: str) -> set[str]:
    tree = ast.parse((CHECK / f"{module}.py").read_text())
    return {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
            and node.module and node.module.startswith("tutor.check.")}


def test_the_prepared_problem_imports_no_grader():
    # problem.py sits below rules, formulas and graders: importing any of them back is a cycle.
    assert _checker_imports("problem") <= {"tutor.check.ask_kinds", "tutor.check.models", "tutor.check.numbers",
                                           "tutor.check.second_values", "tutor.check.printing"}
    assert _checker_imports("ask_kinds") == set()
