"""The `code` problem kind in lesson packs: a built-in exercise named by id, checked at load time."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tutor.cli import main

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "exercise_fixtures"

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
    assert exercises == ["add-mul", "topo", "accumulate", "activations", "value", "value", "clipping", "gradcheck",
                         "xor"]
    assert set(exercises) == set(EXERCISES)
    assert [problem.kind for problem in lesson.problems()].count("choice") == 2



# --------------------------------------------------------------------------- checks: written as data

CHECKS_PACK = """\
id: checks-pack
title: "Checks pack"
version: "1.0.0"
lessons:
  - id: checks-lesson
    title: "Subtract and divide"
    steps:
      - kind: code
        id: sub-div
        prompt: "Write `__sub__` and `__truediv__`."
        hints: ["`a - b` is `a + (-b)`."]
        explanation: "Done."
        exercise: {exercise}
        checks:
{checks}
"""

SUB_DIV = """\
          ops: [sub, div]
          programs:
            - {program: "L = a - b", at: {a: 2, b: 5}}
            - {program: "d = a / b; L = d - c", at: {a: 3, b: 2, c: 1}}
          range: {low: 0.5, high: 3}
          random: {count: 6, max_nodes: 5}
          tolerance: {rel: 1e-6, abs: 1e-6}"""


def _write_checks(tmp_path: Path, checks: str, exercise: str = "value") -> Path:
    path = tmp_path / "pack.yaml"
    path.write_text(CHECKS_PACK.format(exercise=exercise, checks=checks))
    return path


def _pack_check(tmp_path: Path, capsys, fixture: str) -> tuple[int, dict]:
    code = main(["code", "check", "--pack", str(tmp_path), "sub-div", str(FIXTURES / f"{fixture}.py"),
                 "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def _validate_errors(tmp_path: Path, capsys) -> list[str]:
    assert main(["validate", str(tmp_path)]) == 1
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    return [line for line in (out.out + out.err).splitlines() if ": error: " in line]


def test_a_checks_block_validates_and_merges_with_the_builtin_exercise(tmp_path: Path, capsys) -> None:
    from tutor.exercises import EXERCISES
    from tutor.packs.loader import load_pack

    _write_checks(tmp_path, SUB_DIV)
    assert main(["validate", "--strict", str(tmp_path)]) == 0
    ref = load_pack(tmp_path).problem("sub-div")
    assert ref is not None
    exercise = ref.problem.checked_exercise()
    assert exercise.ops == ("sub", "div")
    assert exercise.programs == (("L = a - b", {"a": 2.0, "b": 5.0}), ("d = a / b; L = d - c", {"a": 3.0, "b": 2.0, "c": 1.0}))
    assert exercise.random_sizes == (1, 2, 3, 3, 4, 5) and exercise.random_range == (0.5, 3.0)
    assert exercise.starter == EXERCISES["value"].starter  # the exercise still names the starter


def test_pack_checks_pass_a_correct_file_and_name_a_bug_in_a_listed_op(tmp_path: Path, capsys) -> None:
    _write_checks(tmp_path, SUB_DIV)
    code, report = _pack_check(tmp_path, capsys, "correct")
    assert code == 0 and report["passed"], report["message"]
    assert len(report["checks"]) == 2 + 6
    code, report = _pack_check(tmp_path, capsys, "sub_sign")
    assert code == 1 and report["diagnosis"] == "sub-sign", report["message"]
    assert "The backward rule of sub looks wrong" in report["message"]
    code, report = _pack_check(tmp_path, capsys, "div_sign")
    assert code == 1 and report["diagnosis"] == "div-sign", report["message"]


def test_an_op_outside_the_list_is_not_tested(tmp_path: Path, capsys) -> None:
    from tutor.exercises.programs import program_ops

    # Only sub and div: no fixed program of the exercise with another op is kept, and no random one uses one.
    _write_checks(tmp_path, "          ops: [sub, div]\n          random: {count: 12, max_nodes: 10}")
    for fixture in ("tanh_from_input", "missing_sigmoid", "missing_upstream_exp"):
        code, report = _pack_check(tmp_path, capsys, fixture)
        assert code == 0 and report["passed"], (fixture, report["message"])
    names = [check["name"].replace("; ", "\n") for check in report["checks"]]
    assert names[:2] == ["L = a - b", "L = a / b"]  # the value exercise's own programs within the ops
    assert all(program_ops(name, {"a": 1.0, "b": 1.0, "c": 1.0}) <= {"sub", "div"} for name in names)
    code, report = _pack_check(tmp_path, capsys, "sub_sign")  # and a listed op still is
    assert code == 1 and report["diagnosis"] == "sub-sign"


def test_the_check_command_names_a_missing_pack_problem(tmp_path: Path, capsys) -> None:
    _write_checks(tmp_path, SUB_DIV)
    assert main(["code", "start", "--pack", str(tmp_path), "sub-div", "--dir", str(tmp_path / "ws")]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "ws" / "value.py")  # its exercise's starter
    assert main(["code", "check", "--pack", str(tmp_path), "sub-dvi", str(FIXTURES / "correct.py")]) == 2
    assert "has no code problem 'sub-dvi' (its code problems: sub-div)" in capsys.readouterr().err


def test_an_unknown_op_is_an_error_at_its_line_and_column(tmp_path: Path, capsys) -> None:
    path = _write_checks(tmp_path, "          ops: [sub, dvi]")
    assert _validate_errors(tmp_path, capsys) == [
        f"{path}:15:22: error: unknown value 'dvi'; did you mean 'div'? "
        "(allowed: add, sub, mul, div, pow, neg, relu, tanh, exp, log, sigmoid)"]


def test_bad_programs_are_errors_at_their_lines(tmp_path: Path, capsys) -> None:
    path = _write_checks(tmp_path, """\
          ops: [sub, div, log]
          programs:
            - {program: "L = a - (b", at: {a: 2, b: 5}}
            - {program: "L = a / b", at: {a: 3}}
            - {program: "L = a * b", at: {a: 3, b: 1}}
            - {program: "L = log(a)", at: {a: -1}}
            - {program: "L = a - b", at: {a: 1, b: 2}}""")
    errors = _validate_errors(tmp_path, capsys)
    assert errors == [
        f"{path}:17:36: error: cannot read the program: missing ')'",
        f"{path}:18:38: error: `at` gives no value for b (the program's inputs: a, b)",
        f"{path}:19:25: error: the program uses mul, outside `ops` (div, log, sub)",
        f"{path}:20:25: error: the tutor's engine gives no finite value or gradient for this program at a=-1",
    ]


def test_a_program_is_held_to_the_exercises_ops_when_the_block_lists_none(tmp_path: Path, capsys) -> None:
    path = _write_checks(tmp_path, """\
          programs:
            - {program: "L = tanh(a)", at: {a: 2}}""", exercise="add-mul")
    assert _validate_errors(tmp_path, capsys) == [
        f"{path}:16:25: error: the program uses tanh, outside the exercise `add-mul`'s ops (add, mul)"]


def test_a_target_needs_the_xor_exercise_and_graph_keys_need_graphs(tmp_path: Path, capsys) -> None:
    path = _write_checks(tmp_path, "          target: {loss_below: 0.05, seconds: 20}")
    assert _validate_errors(tmp_path, capsys) == [
        f"{path}:15:11: error: `target` is for the xor exercise's training; `value` trains nothing"]
    path = _write_checks(tmp_path, "          ops: [add]", exercise="clipping")
    assert _validate_errors(tmp_path, capsys) == [
        f"{path}:15:11: error: `ops` is for graph checks; the exercise `clipping` checks clip instead"]
    _write_checks(tmp_path, "          target: {loss_below: 0.2, seconds: 20}", exercise="xor")
    assert main(["validate", "--strict", str(tmp_path)]) == 0


def test_caps_and_an_empty_check_set_are_errors(tmp_path: Path, capsys) -> None:
    path = _write_checks(tmp_path, "          random: {count: 500, max_nodes: 5}\n"
                                   "          target: {loss_below: 0.05, seconds: 3600}", exercise="xor")
    text = "\n".join(_validate_errors(tmp_path, capsys))
    assert f"{path}:15:27" in text and "less than or equal to 40" in text
    assert f"{path}:16:47" in text and "less than or equal to 60" in text
    path = _write_checks(tmp_path, "          ops: [sigmoid]\n          random: {count: 0}", exercise="add-mul")
    assert _validate_errors(tmp_path, capsys) == [
        f"{path}:14:9: error: these checks check nothing: no fixed program is left and `random: {{count: 0}}`"]


def test_the_xor_target_is_the_packs(tmp_path: Path) -> None:
    from tutor.exercises import EXERCISES, check_file
    from tutor.exercises.catalog import with_checks

    learner = tmp_path / "xor.py"
    learner.write_text("def train_xor():\n    return 0.1\n")
    assert not check_file("xor", learner).passed  # 0.1 is not below the default 0.05
    report = check_file(with_checks(EXERCISES["xor"], xor_target=(0.2, 20.0)), learner)
    assert report.passed, report.message


def test_the_docs_example_of_a_checks_block_validates(tmp_path: Path, capsys) -> None:
    docs = (REPO / "docs" / "lesson-packs.md").read_text()
    block = re.search(r"```yaml\n(- kind: code\n  id: code-sub-div\n.*?)```", docs, re.S)
    assert block is not None
    steps = "\n".join("      " + line for line in block.group(1).splitlines())
    (tmp_path / "pack.yaml").write_text(
        'id: docs\ntitle: "Docs"\nversion: "1.0.0"\nlessons:\n  - id: l\n    title: "L"\n    steps:\n' + steps + "\n")
    assert main(["validate", str(tmp_path)]) == 0, capsys.readouterr()


def test_the_courses_arithmetic_step_checks_only_its_ops(capsys) -> None:
    def check(fixture: str) -> tuple[int, dict]:
        code = main(["code", "check", "--pack", str(REPO / "lessons" / "backprop"), "byov-arithmetic",
                     str(FIXTURES / f"{fixture}.py"), "--format", "json"])
        return code, json.loads(capsys.readouterr().out)

    assert check("correct")[0] == 0
    assert check("tanh_from_input")[0] == 0  # tanh comes in the next step
    code, report = check("pow_without_n")
    assert code == 1 and report["diagnosis"] == "pow-without-n"
