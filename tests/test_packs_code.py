"""The `code` problem kind in lesson packs: a built-in exercise named by id, checked at load time."""

from __future__ import annotations

from pathlib import Path

from tutor.cli import main

REPO = Path(__file__).resolve().parents[1]

PACK = """\
id: code-pack
title: "Code pack"
version: "1.0.0"
lessons:
  - id: code-lesson
    title: "Write Value"
    steps:
      - text: "Write it."
      - kind: code
        id: write-add-mul
        prompt: "Write `__add__` and `__mul__`."
        exercise: {exercise}
        hints: ["The other input's value."]
        explanation: "Done."
"""


def _write(tmp_path: Path, exercise: str) -> Path:
    path = tmp_path / "pack.yaml"
    path.write_text(PACK.format(exercise=exercise))
    return path


def test_a_code_problem_loads_and_validates(tmp_path: Path, capsys) -> None:
    from tutor.packs.loader import load_pack
    from tutor.packs.models import CodeProblem

    pack = load_pack(_write(tmp_path, "add-mul"))
    assert pack.errors == []
    problems = [problem for lesson in pack.lessons for problem in lesson.problems()]
    assert [type(problem) for problem in problems] == [CodeProblem]
    assert problems[0].exercise == "add-mul"
    assert main(["validate", "--strict", str(tmp_path)]) == 0


def test_an_unknown_exercise_is_a_validate_error_at_its_line_and_column(tmp_path: Path, capsys) -> None:
    path = _write(tmp_path, "add-mull")
    assert main(["validate", str(tmp_path)]) == 1
    out = capsys.readouterr()
    text = out.out + out.err
    assert f"{path}:12:19: error: unknown exercise 'add-mull'; did you mean 'add-mul'?" in text
    assert "Traceback" not in text


def test_the_schema_lists_the_exercises_and_the_docs_name_every_field() -> None:
    from tutor.exercises import EXERCISES
    from tutor.packs.models import CodeProblem, json_schema

    schema = json_schema()
    assert schema["$defs"]["CodeProblem"]["properties"]["exercise"]["enum"] == list(EXERCISES)
    docs = (REPO / "docs" / "lesson-packs.md").read_text()
    for name in CodeProblem.model_fields:
        assert f"`{name}`" in docs, name
    for exercise_id in EXERCISES:
        assert f"`{exercise_id}`" in docs


def test_the_builtin_course_has_every_exercise_in_order_after_one_training_step() -> None:
    from tutor.exercises import EXERCISES
    from tutor.packs.loader import load_pack

    pack = load_pack(REPO / "lessons" / "backprop")
    assert pack.errors == []
    ids = [lesson.id for lesson in pack.lessons]
    assert ids.index("build-your-own-value") == ids.index("one-training-step") + 1
    lesson = pack.lessons[ids.index("build-your-own-value")]
    exercises = [problem.exercise for problem in lesson.problems() if problem.kind == "code"]
    assert exercises == ["add-mul", "topo", "accumulate", "activations", "value", "clipping", "gradcheck", "xor"]
    assert set(exercises) == set(EXERCISES)
    assert [problem.kind for problem in lesson.problems()].count("choice") == 2
