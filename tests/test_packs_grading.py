"""The UI's path through packs: list, render a variant, grade answers (with the real checker)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tutor.packs import (
    NotGradable,
    grade_answer,
    grade_choice_answer,
    grade_request,
    load_pack,
    render_problem,
    trace_entries,
)
from tutor.packs.yamlsource import load_yaml_text

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = load_pack(REPO / "lessons" / "example")


def rendered(problem_id: str, seed: int = 0):
    ref = EXAMPLE.problem(problem_id)
    assert ref is not None
    return render_problem(ref.problem, seed)


def test_trace_entries_go_forward_then_backward_in_reverse_order() -> None:
    assert trace_entries(rendered("tour-trace")) == [
        "value:z1", "value:z2", "value:L", "grad:L", "grad:z2", "grad:z1", "grad:c", "grad:b", "grad:a"]


def test_trace_entries_are_graded_with_author_mistakes_first() -> None:
    variant = rendered("tour-trace")
    assert grade_answer(variant, "42", ask="grad:a").verdict == "correct"
    wrong = grade_answer(variant, "14", ask="grad:b")
    assert (wrong.verdict, wrong.diagnosis) == ("incorrect", "stopped-at-z1")
    assert "dz1/db" in wrong.message
    assert grade_answer(variant, "2*", ask="grad:b").verdict == "invalid"
    with pytest.raises(NotGradable):
        grade_answer(variant, "42")  # a trace entry must say which one


def test_trace_mistakes_apply_only_to_their_entry() -> None:
    variant = rendered("tour-trace")
    assert [mistake.id for mistake in grade_request(variant, "14", "grad:b").mistakes] == ["stopped-at-z1"]
    assert list(grade_request(variant, "14", "grad:a").mistakes) == []


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_every_variant_of_the_parameterized_ask_grades_its_formula_correct(seed: int) -> None:
    variant = rendered("tour-ask-weight", seed)
    x, w, b = (variant.params[name] for name in ("x", "w", "b"))
    assert variant.at == {"x": x, "w": w, "b": b}
    assert grade_answer(variant, repr(2 * (x * w + b) * x)).verdict == "correct"
    assert grade_answer(variant, repr(2 * (x * w + b) * x + 1)).verdict == "incorrect"
    assert f"w = {w}" in variant.problem.prompt


def test_numeric_problem_with_params_and_author_mistake() -> None:
    variant = rendered("tour-vanishing-bound", 3)
    depth = variant.params["n"]
    assert grade_answer(variant, f"0.25^{depth}").verdict == "correct"
    assert grade_answer(variant, repr(0.25 ** depth * 1.005)).verdict == "correct"  # within rel 0.01
    wrong = grade_answer(variant, f"0.25*{depth}")
    assert (wrong.verdict, wrong.diagnosis) == ("incorrect", "multiplied-by-depth")


def test_choice_problems_grade_picks_and_show_option_feedback() -> None:
    single = rendered("tour-reverse-mode", 5)
    assert sorted(single.option_order) == ["forward", "numeric", "reverse"]
    assert grade_choice_answer(single, "reverse").verdict == "correct"
    wrong = grade_choice_answer(single, "forward")
    assert wrong.verdict == "incorrect" and "one pass per input" in wrong.message
    assert grade_choice_answer(single, ["reverse", "forward"]).verdict == "incorrect"
    assert grade_choice_answer(single, "nope").verdict == "invalid"
    several = rendered("tour-nan-causes")
    assert several.option_order == ["a", "b", "c"]  # shuffle: false
    assert grade_choice_answer(several, ["b", "a"]).verdict == "correct"
    assert grade_choice_answer(several, ["a"]).verdict == "incorrect"


def test_lab_problems_are_not_graded_here() -> None:
    variant = rendered("tour-xor-lab")
    assert variant.problem.lab == "xor" and variant.problem.settings == {"learning_rate": 0.5}
    with pytest.raises(NotGradable):
        grade_answer(variant, "1")


# --- a typo in any key of a real lesson is reported at that key, with the right suggestion ---------

LESSON_TEXT = (REPO / "lessons" / "example" / "tour.yaml").read_text()
FREE_FORM = {"at", "params", "settings"}  # their keys are the author's names, not the format's


def format_key_paths(value, path=()):
    if isinstance(value, dict):
        for key, child in value.items():
            if len(key) >= 4 and not (path and path[-1] in FREE_FORM):
                yield path + (key,)
            yield from format_key_paths(child, path + (key,))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from format_key_paths(child, path + (index,))


KEY_PATHS = list(format_key_paths(yaml.safe_load(LESSON_TEXT)))


@settings(max_examples=60, deadline=None)
@given(path=st.sampled_from(KEY_PATHS), position=st.integers(0, 100))
def test_a_misspelt_key_is_reported_at_its_line_with_a_suggestion(path, position, tmp_path_factory) -> None:
    key = path[-1]
    index = position % (len(key) - 1)
    typo = key[:index] + key[index + 1] + key[index] + key[index + 2:]
    if typo == key:
        return
    document = load_yaml_text(LESSON_TEXT)
    where = document.positions.of_key(path)
    parent = document.data
    for item in path[:-1]:
        parent = parent[item]
    parent[typo] = parent.pop(key)  # same line in the file: rewrite that line's key text
    lines = LESSON_TEXT.splitlines(keepends=True)
    line = lines[where.line - 1]
    lines[where.line - 1] = line[: where.column - 1] + line[where.column - 1:].replace(key, typo, 1)
    folder = tmp_path_factory.mktemp("pack")
    (folder / "pack.yaml").write_text('id: p\ntitle: "P"\nversion: "1"\nlessons: [tour.yaml]\n')
    (folder / "tour.yaml").write_text("".join(lines))
    errors = load_pack(folder).errors
    unknown = [error for error in errors if "unknown key" in error.message]
    assert [(error.line, error.column) for error in unknown] == [(where.line, where.column)]
    assert f"unknown key '{typo}'; did you mean '{key}'?" == unknown[0].message
    assert all("unknown key" in error.message or "missing required key" in error.message for error in errors)


def test_an_authors_rule_is_the_second_rung_of_its_mistake(tmp_path: Path) -> None:
    # A numeric problem's second rung was general advice ("work the arithmetic again") even where the author
    # knew the rule the mistake breaks; a graph ask's was the chain rule even for an author's own slip.
    pack_file = tmp_path / "rules.yaml"
    pack_file.write_text('''\
id: rules
title: "Rules"
version: "1"
lessons:
  - id: l
    title: "L"
    steps:
      - kind: numeric
        id: rates
        prompt: "u changes {r1} times as fast as x, y {r2} times as fast as u: how fast does y change with x?"
        params: {r1: {int: [2, 4]}, r2: {int: [5, 7]}}
        answer: "{r1}*{r2}"
        mistakes:
          - {answer: "{r1} + {r2}", id: added, feedback: "Rates are not added.", rule: "Along a chain rates multiply: dy/dx = dy/du · du/dx."}
          - {answer: "{r1}", id: first-only, feedback: "That is the first link alone."}
      - kind: ask
        id: grad
        prompt: "dL/da?"
        program: "L = a*b"
        at: {a: 2, b: 3}
        ask: "grad:a"
        mistakes:
          - {answer: "2", id: own, feedback: "That is a itself.", rule: "d(a·b)/da is the other factor, b."}
''')
    pack = load_pack(pack_file)
    numeric = render_problem(pack.problem("rates").problem, 0)
    r1, r2 = int(numeric.params["r1"]), int(numeric.params["r2"])
    added = grade_answer(numeric, f"{r1} + {r2}")
    assert (added.diagnosis, added.rule) == ("added", "Along a chain rates multiply: dy/dx = dy/du · du/dx.")
    assert "Work the arithmetic again" in grade_answer(numeric, str(r1)).rule  # no rule of its own: the default
    graph = render_problem(pack.problem("grad").problem, 0)
    own = grade_answer(graph, "2")
    assert (own.diagnosis, own.rule) == ("own", "d(a·b)/da is the other factor, b.")
