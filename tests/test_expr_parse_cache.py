"""parse_expression keeps the trees it has parsed (validate parses the same few answers thousands of times).

The cache is safe only because trees are immutable and the key holds every input that changes the result."""

from __future__ import annotations

import dataclasses

import pytest

from tutor.expr import ParseError, parse_expression
from tutor.expr.tree import Binary, Call, Name, Number, Unary


def test_a_text_parsed_again_with_the_same_names_returns_the_same_tree() -> None:
    first = parse_expression("2*x*y + 1", allowed_names={"x", "y"})
    assert parse_expression("2*x*y + 1", allowed_names=["y", "x"]) is first  # the names as a set: order is no matter
    assert parse_expression("2*x*y + 1", allowed_names={"x", "y"}, known_names=set()) is not first


@pytest.mark.parametrize("tree_type", [Number, Name, Unary, Binary, Call])
def test_trees_are_immutable_so_a_shared_tree_cannot_be_edited_by_a_caller(tree_type: type) -> None:
    assert dataclasses.is_dataclass(tree_type)
    assert getattr(tree_type, "__dataclass_params__").frozen  # noqa: B009 - a dataclass internal


def test_names_are_part_of_the_key() -> None:
    assert parse_expression("a + b", allowed_names={"a", "b"})
    with pytest.raises(ParseError, match="unknown name 'b'"):
        parse_expression("a + b", allowed_names={"a"})
    # With known names y(1-y) is a product; without them it is the strict grammar's error, every time.
    assert isinstance(parse_expression("y(1-y)", allowed_names={"y"}), Binary)
    for _ in range(2):
        with pytest.raises(ParseError):
            parse_expression("y(1-y)")


def test_a_text_that_does_not_parse_raises_each_time() -> None:
    for _ in range(3):
        with pytest.raises(ParseError):
            parse_expression("2 +")
    with pytest.raises(ParseError):
        parse_expression(42)  # type: ignore[arg-type]


def test_a_program_parsed_again_shares_its_trees_but_not_its_lists() -> None:
    from tutor.expr import parse_program

    text = "z1 = a*b\nL = z1 + c"
    first = parse_program(text)
    again = parse_program(text)
    assert again == first
    assert again.assignments[0].expression is first.assignments[0].expression  # the immutable trees are shared
    again.assignments.pop()
    again.assignments[0].target = "changed"
    again.inputs.append("x")
    third = parse_program(text)  # a caller's edits reach neither the cache nor another caller
    assert third == first and [step.target for step in third.assignments] == ["z1", "L"]
    assert third.inputs == first.inputs and "x" not in third.inputs


def test_a_program_that_does_not_parse_raises_each_time() -> None:
    from tutor.expr import parse_program

    for _ in range(2):
        with pytest.raises(ParseError):
            parse_program("L = a +")
