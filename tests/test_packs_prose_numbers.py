"""Numbers put into a pack's prose read as a person would write them: 2·5 and 2·(-5), never 2·(5)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tutor.expr import evaluate, parse_expression
from tutor.packs.variants import substitute


def test_an_authors_brackets_stay_only_round_a_negative_number():
    assert substitute("z1 = {x}·({w})", {"x": 2, "w": 5}, in_expression=False) == "z1 = 2·5"
    assert substitute("z1 = {x}·({w})", {"x": 2, "w": -5}, in_expression=False) == "z1 = 2·(-5)"


def test_a_negative_number_after_an_operator_is_bracketed_even_when_the_author_forgot():
    assert substitute("{x} - {w}", {"x": 2, "w": -5}, in_expression=False) == "2 - (-5)"
    assert substitute("{x}·{w}", {"x": 2, "w": -0.5}, in_expression=False) == "2·(-0.5)"
    assert substitute("w is {w} here", {"w": -5}, in_expression=False) == "w is -5 here"


def test_words_and_unknown_names_keep_the_authors_text():
    assert substitute("the ({act}) layer", {"act": "relu"}, in_expression=False) == "the (relu) layer"
    assert substitute("({q}) and ({x})", {"x": 1}, in_expression=False) == "({q}) and 1"


def test_expressions_bracket_every_negative_number():
    assert substitute("{x}*({w})", {"x": 2, "w": 5}, in_expression=True) == "2*(5)"
    assert substitute("{x}*{w}", {"x": 2, "w": -5}, in_expression=True) == "2*(-5)"


@given(st.integers(-50, 50), st.integers(-50, 50))
def test_prose_products_read_back_to_the_same_number(x, w):
    """With the middle dot read as *, the prose is an expression with the product's value."""
    text = substitute("{x}·({w})", {"x": x, "w": w}, in_expression=False)
    assert "(" in text if w < 0 else "(" not in text
    assert evaluate(parse_expression(text.replace("·", "*"), allowed_names=set()), {}) == x * w
