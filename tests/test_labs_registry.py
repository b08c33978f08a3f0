"""The lab registry and the shape every lab shares: settings, specs, snapshots, questions."""

from __future__ import annotations

import json
import typing

import pydantic
import pytest

from tutor.expr import evaluate, parse_expression
from tutor.labs import (
    LAB_CLASSES,
    LAB_NAMES,
    LabSettingsError,
    UnknownLabError,
    create_lab,
    lab_class,
    lab_setting_specs,
)

# Settings that keep every lab fast to build and snapshot.
QUICK_SETTINGS = {
    "xor": {"seed": 1},
    "vanishing": {"depth": 5},
    "gradcheck": {"target": "exp"},
    "clipping": {"dimension": 4},
    "nan-hunt": {"epochs": 3},
    "checkpointing": {"layers": 20, "keep_every": 4},
    "gradient-flow": {"extra_layers": 1},
}


def test_lab_names_and_classes_agree() -> None:
    assert LAB_NAMES == ("xor", "vanishing", "gradcheck", "clipping", "nan-hunt", "checkpointing", "gradient-flow")
    assert set(LAB_CLASSES) == set(LAB_NAMES)
    for name in LAB_NAMES:
        assert lab_class(name).name == name and lab_class(name).title


@pytest.mark.parametrize("name", LAB_NAMES)
def test_every_lab_builds_with_defaults_and_snapshots_to_json(name: str) -> None:
    lab = create_lab(name)
    assert lab.settings == lab_class(name).Settings()
    lab.configure(**QUICK_SETTINGS[name])
    text = json.dumps(lab.snapshot())
    assert json.loads(text)["lab"] == name


@pytest.mark.parametrize("name", LAB_NAMES)
def test_setting_specs_describe_the_defaults_and_ranges(name: str) -> None:
    specs = lab_setting_specs(name)
    defaults = lab_class(name).Settings().model_dump()
    assert [spec.name for spec in specs] == list(defaults)
    for spec in specs:
        assert spec.default == defaults[spec.name]
        assert spec.description
        if spec.kind == "choice":
            assert spec.default in spec.choices
            with pytest.raises(LabSettingsError, match=f"'{spec.name}' should be"):
                create_lab(name, {spec.name: "no-such-choice"})
        if spec.kind in ("int", "float") and spec.maximum is not None:
            with pytest.raises(LabSettingsError, match=spec.name):
                create_lab(name, {spec.name: spec.maximum * 2 + 1})
        if spec.kind in ("int", "float") and spec.minimum is not None:
            create_lab(name, {spec.name: spec.minimum + (1 if spec.minimum_exclusive else 0)} | _fitting(name, spec.name))


def _fitting(name: str, setting: str) -> dict[str, typing.Any]:
    # checkpointing's keep_every must not exceed layers, so lowering layers lowers keep_every too.
    if name == "checkpointing" and setting == "layers":
        return {"keep_every": 1}
    return {}


def test_bad_settings_get_clear_messages() -> None:
    with pytest.raises(UnknownLabError, match="there is no lab called 'mnist'; the labs are xor, vanishing"):
        create_lab("mnist")
    with pytest.raises(LabSettingsError, match="unknown setting 'lr' \\(the settings are learning_rate, reduction, seed, update_mode\\)"):
        create_lab("xor", {"lr": 0.1})
    with pytest.raises(LabSettingsError, match="setting 'learning_rate' should be greater than 0 \\(got -1\\)"):
        create_lab("xor", {"learning_rate": -1})
    with pytest.raises(LabSettingsError, match="settings must be a mapping"):
        create_lab("xor", [("seed", 1)])  # type: ignore[arg-type]
    with pytest.raises(LabSettingsError, match="'epsilon' should be a finite number"):
        create_lab("gradcheck", {"epsilon": float("nan")})
    with pytest.raises(LabSettingsError, match="'seed'"):
        create_lab("vanishing", {"seed": 1.5})


def test_settings_are_immutable() -> None:
    lab = create_lab("clipping")
    with pytest.raises(pydantic.ValidationError):
        lab.settings.threshold = 3.0  # type: ignore[misc]


@pytest.mark.parametrize("name", LAB_NAMES)
def test_every_lab_has_well_formed_checked_questions(name: str) -> None:
    questions = create_lab(name).questions()
    assert len(questions) >= 2
    assert len({question.id for question in questions}) == len(questions)
    for question in questions:
        assert question.id.startswith(f"{name}.") and question.text.endswith("?")
        if question.kind == "numeric":
            # The expected answer is expression text the checker can parse and evaluate.
            value = evaluate(parse_expression(question.expected), {})
            assert isinstance(value, float) and question.tolerance is not None and question.tolerance >= 0
        else:
            assert question.kind == "choice" and question.tolerance is None
            assert question.expected in {option.id for option in question.options}
            assert len(question.options) >= 2
        json.dumps(question.settings)
        if question.settings:
            lab_class(name).Settings.model_validate(question.settings)  # the settings reproduce a lab state


@pytest.mark.parametrize("name", LAB_NAMES)
def test_the_checker_accepts_each_expected_answer_and_refuses_a_wrong_one(name: str) -> None:
    from tutor.check import CORRECT, INCORRECT, grade_numeric

    for question in create_lab(name).questions():
        if question.kind != "numeric":
            continue
        tolerance = question.checker_tolerance()
        assert grade_numeric(question.expected, question.expected, tolerance).verdict == CORRECT
        value = evaluate(parse_expression(question.expected), {})
        wrong = repr(value * 1.5 + 1.0)
        assert grade_numeric(wrong, question.expected, tolerance).verdict == INCORRECT, question.id
