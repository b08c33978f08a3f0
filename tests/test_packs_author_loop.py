"""The author's loop (issue 19 §1): a lesson file validated inside its pack, --watch, the validation cache,
and the silent slips that are now errors."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from tutor.cli import main
from tutor.commands.new import write_scaffold

LESSON = "01-first-lesson.yaml"


@pytest.fixture(autouse=True)
def _own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("BACKPROP_TUTOR_CACHE_DIR", str(cache))
    return cache


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    folder = tmp_path / "pack"
    write_scaffold(folder)
    return folder


def run_cli(arguments: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(arguments)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def add_lesson(folder: Path, name: str, body: str) -> Path:
    path = folder / name
    path.write_text(body)
    manifest = folder / "pack.yaml"
    manifest.write_text(manifest.read_text() + f"  - {name}\n")
    return path


SECOND_LESSON = """\
id: second
title: "Second"
steps:
  - kind: numeric
    id: second-numeric
    prompt: "How much?"
    answer: "1/0"
"""


# --- a lesson file inside its pack ------------------------------------------------------------------


def test_a_lesson_file_is_validated_inside_its_pack_without_false_errors(pack: Path, capsys) -> None:
    status, out, err = run_cli(["validate", "--no-cache", str(pack / LESSON)], capsys)
    assert status == 0, out + err
    assert "1 lesson file clean (6 problems)" in out
    assert "lesson file of pack" in err or "lesson file of" in err


def test_a_lesson_file_reports_its_own_errors_only(pack: Path, capsys) -> None:
    second = add_lesson(pack, "02-second.yaml", SECOND_LESSON)
    status, out, _ = run_cli(["validate", "--no-cache", str(pack / LESSON)], capsys)
    assert status == 0 and "02-second" not in out
    status, out, _ = run_cli(["validate", "--no-cache", str(second)], capsys)
    assert status == 1
    assert "02-second.yaml:7:15: error:" in out and LESSON not in out
    assert "1 error in 1 of 1 lesson file" in out


def test_a_lesson_file_sees_the_pack_wide_ids(pack: Path, capsys) -> None:
    # a problem id already used in the first lesson: only the pack knows that
    second = add_lesson(pack, "02-second.yaml", SECOND_LESSON.replace("second-numeric", "first-numeric")
                        .replace('"1/0"', '"1/2"'))
    status, out, _ = run_cli(["validate", "--no-cache", str(second)], capsys)
    assert status == 1 and "first-numeric" in out and "02-second.yaml:5:9" in out


def test_a_yaml_file_outside_any_pack_is_still_a_single_file_pack(tmp_path: Path, capsys) -> None:
    single = tmp_path / "solo.yaml"
    single.write_text('id: solo\ntitle: "Solo"\nversion: "1"\nlessons:\n  - id: l\n    title: "L"\n'
                      '    steps:\n      - text: "Hello."\n')
    status, out, _ = run_cli(["validate", "--no-cache", str(single)], capsys)
    assert status == 0 and "1 pack clean" in out


# --- --watch ----------------------------------------------------------------------------------------


def test_watch_loop_runs_again_after_each_change_and_stops_at_max_iterations() -> None:
    from tutor.commands.validate import watch_loop

    statuses = iter([1, 0, 0])
    runs: list[int] = []

    def run_once() -> int:
        runs.append(1)
        return next(statuses)

    out = io.StringIO()
    changes = iter([["/p/a.yaml"], ["/p/b.yaml"], ["/p/c.yaml"]])
    assert watch_loop(run_once, changes, out=out, max_iterations=2) == 0
    assert len(runs) == 2
    assert "changed: a.yaml" in out.getvalue() and "b.yaml" not in out.getvalue()


def test_watch_loop_ctrl_c_exits_0() -> None:
    from tutor.commands.validate import watch_loop

    def interrupted():
        yield ["/p/a.yaml"]
        raise KeyboardInterrupt

    out = io.StringIO()
    assert watch_loop(lambda: 1, interrupted(), out=out) == 0
    assert "stopped watching" in out.getvalue()


def test_polling_notices_an_edited_and_a_new_file_without_sleeping(pack: Path) -> None:
    import os

    from tutor.commands.validate import Target, polling_changes, watched_files

    targets: list[Target] = [(pack, "command line", None)]
    edits = iter([lambda: None,  # nothing changed at the first look
                  lambda: os.utime(pack / LESSON, ns=(1, 1)),
                  lambda: (pack / "02-new.yaml").write_text("id: x\n")])

    def fake_sleep(seconds: float) -> None:
        next(edits)()

    changes = polling_changes(lambda: watched_files(targets, None), 0.5, sleep=fake_sleep)
    assert [Path(name).name for name in next(changes)] == [LESSON]
    assert [Path(name).name for name in next(changes)] == ["02-new.yaml"]


def test_watch_from_the_command_line_validates_then_stops_on_ctrl_c(pack: Path, capsys, monkeypatch) -> None:
    import tutor.commands.validate as validate_command

    def no_changes(*args, **kwargs):
        raise KeyboardInterrupt
        yield  # pragma: no cover

    monkeypatch.setattr(validate_command, "polling_changes", no_changes)
    status, out, err = run_cli(["validate", "--watch", "--no-cache", str(pack)], capsys)
    assert status == 0 and "1 pack clean" in out and "stopped watching" in err


# --- the cache --------------------------------------------------------------------------------------


def test_an_unchanged_pack_comes_from_the_cache_and_an_edit_is_checked_again(pack: Path, capsys,
                                                                              _own_cache: Path) -> None:
    status, _, err = run_cli(["validate", str(pack)], capsys)
    assert status == 0 and "unchanged" not in err
    assert list(_own_cache.glob("*.json"))
    status, out, err = run_cli(["validate", str(pack)], capsys)
    assert status == 0 and "unchanged since the last check" in err and "1 pack clean" in out
    lesson = pack / LESSON
    lesson.write_text(lesson.read_text().replace('answer: "0.25^{n}"', 'answer: "0.25^{n}x"'))
    status, out, err = run_cli(["validate", str(pack)], capsys)
    assert status == 1 and "unchanged" not in err
    status, out2, err = run_cli(["validate", str(pack)], capsys)
    assert status == 1 and "unchanged" in err and out2 == out  # errors come back from the cache too
    status, _, err = run_cli(["validate", "--no-cache", str(pack)], capsys)
    assert status == 1 and "unchanged" not in err


def test_the_cache_key_changes_with_options_and_content(pack: Path) -> None:
    from tutor.packs.cache import cache_key

    first = cache_key(pack, {"seeds": 50})
    assert first == cache_key(pack, {"seeds": 50})
    assert first != cache_key(pack, {"seeds": 51})
    (pack / "notes.md").write_text("a new file of the pack")
    assert first != cache_key(pack, {"seeds": 50})


def test_a_damaged_cache_entry_is_a_miss(pack: Path, _own_cache: Path) -> None:
    from tutor.packs.cache import ValidationCache, cache_key

    cache = ValidationCache(_own_cache)
    key = cache_key(pack, {})
    assert key is not None
    _own_cache.mkdir(parents=True, exist_ok=True)
    (_own_cache / f"{key}.json").write_text("{not json")
    assert cache.load(key) is None
    cache.store(key, [])
    assert cache.load(key) == []


# --- silent slips -----------------------------------------------------------------------------------


def _single_file_pack(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "slip.yaml"
    path.write_text('id: slip\ntitle: "Slip"\nversion: "1"\nlessons:\n  - id: l\n    title: "L"\n    steps:\n' + body)
    return path


def test_a_placeholder_in_prose_that_names_no_parameter_is_an_error_at_its_column(tmp_path: Path, capsys) -> None:
    path = _single_file_pack(tmp_path, """\
      - kind: numeric
        id: n1
        prompt: "With x = {x_2}, what is 2x?"
        params:
          x2: {int: [1, 5]}
        answer: "2*{x2}"
        hints:
          - |
            Double it.
            Double {x2}, not {x_2}.
""")
    status, out, _ = run_cli(["validate", "--no-cache", str(path)], capsys)
    assert status == 1
    assert "slip.yaml:10:27: error: {x_2} names no parameter (the parameters are x2)" in out
    assert "Did you mean {x2}?" in out and "{ x_2 }" in out
    assert "slip.yaml:17:30: error: {x_2} names no parameter" in out
    assert out.count("error:") == 2


def test_braces_with_spaces_stay_text(tmp_path: Path, capsys) -> None:
    path = _single_file_pack(tmp_path, """\
      - kind: numeric
        id: n1
        prompt: "The set { x } has one element. How many?"
        answer: "1"
""")
    assert run_cli(["validate", "--no-cache", str(path)], capsys)[0] == 0


@pytest.mark.parametrize("line, words, column", [
    ("\ttitle: \"T\"", "YAML does not allow tabs for indentation; use spaces", 1),
    ("title: {n} layers", 'quote the string: title: "{n} layers"', 8),
    ("title: Step 1: forward", "': ' inside a value starts a mapping", 14),
    ('title: "unclosed', "this quoted string is never closed", 8),
    ("title: [1, 2", "the list opened with [ at line 2, column 8 is not closed", 8),
])
def test_yaml_syntax_errors_in_plain_words_with_a_fix(tmp_path: Path, capsys, line: str, words: str,
                                                      column: int) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(f"id: bad\n{line}\nversion: \"1\"\n")
    status, out, _ = run_cli(["validate", "--no-cache", str(path)], capsys)
    assert status == 1
    assert words in out, out
    assert "expected <block end>" not in out and "cannot start any token" not in out
    error_line = next(text for text in out.splitlines() if "error:" in text)
    assert f"bad.yaml:{2 if 'list' not in words else 3}:{column}: error: YAML syntax: " in error_line, error_line


def test_an_unquoted_placeholder_value_says_quote_it(tmp_path: Path, capsys) -> None:
    path = _single_file_pack(tmp_path, """\
      - kind: numeric
        id: n1
        prompt: "What is {n}?"
        params:
          n: {int: [1, 5]}
        answer: {n}
""")
    status, out, _ = run_cli(["validate", "--no-cache", str(path)], capsys)
    assert status == 1 and 'slip.yaml:13:17: error: expected text, got a mapping' in out
    assert 'quote the string: "{n}"' in out


def test_validate_pack_yaml_itself_checks_its_folder(pack: Path, capsys) -> None:
    status, out, _ = run_cli(["validate", "--no-cache", str(pack / "pack.yaml")], capsys)
    assert status == 0 and "1 pack clean (6 problems)" in out


# --- coincidences no value can avoid ---------------------------------------------------------------

RELU = """\
      - kind: ask
        id: relu-slope
        prompt: "With x = {x}, what is dL/dx for L = relu(x)*3?"
        params:
          x: {int: [1, 4]}
        program: "L = relu(x)*3"
        ask: "grad:x"
"""


def test_a_coincidence_no_value_can_avoid_says_so_and_what_fixes_it(tmp_path: Path, capsys) -> None:
    status, out, _ = run_cli(["validate", "--no-cache", str(_single_file_pack(tmp_path, RELU))], capsys)
    assert status == 1
    line = next(text for text in out.splitlines() if "'missing-inner-derivative'" in text)
    assert "no choice of values can fix this" in line and "Change the program" in line
    assert "allow_coincidences: [{id: missing-inner-derivative, reason:" in line
    assert "exclude these values with `not:`" not in line
    # one that other values do avoid keeps the `not:` advice (x = 3 makes 'value-for-grad' give 3)
    other = next(text for text in out.splitlines() if "'value-for-grad'" in text)
    assert "exclude these values with `not:`" in other


def test_allow_coincidences_takes_an_id_with_a_reason(tmp_path: Path, capsys) -> None:
    body = RELU.replace("{int: [1, 4]}", "{int: [5, 6]}") + """\
        allow_coincidences:
          - {id: missing-inner-derivative, reason: "an active relu passes the gradient on unchanged"}
          - activation-derivative
"""
    status, out, _ = run_cli(["validate", "--no-cache", str(_single_file_pack(tmp_path, body))], capsys)
    assert status == 0, out
    empty = body.replace('reason: "an active relu passes the gradient on unchanged"', 'reason: " "')
    status, out, _ = run_cli(["validate", "--no-cache", str(_single_file_pack(tmp_path, empty))], capsys)
    assert status == 1 and "the reason is empty" in out
    misspelt = body.replace("id: missing-inner-derivative", "id: missing-inner-derivativ")
    status, out, _ = run_cli(["validate", "--no-cache", str(_single_file_pack(tmp_path, misspelt))], capsys)
    assert status == 1 and "did you mean 'missing-inner-derivative'?" in out and "slip.yaml:16:18" in out


# --- computed parameters and require ----------------------------------------------------------------

COMPUTED = """\
      - kind: ask
        id: computed
        prompt: "With a = {x1} and b = {x2}, what is dL/da for L = a*b?"
        params:
          x1: {int: [1, 5]}
          x2: "x1 + 1"
          x3: "{x2} * 2"
        require: ["x1 != 3", "x3 <= 10"]
        program: "L = a*b + c"
        at: {a: "{x1}", b: "{x2}", c: "{x3}"}
        ask: "grad:a"
        tests:
          - {answer: "{x2}", verdict: correct}
"""


def test_computed_parameters_and_require_shape_every_variant(tmp_path: Path, capsys) -> None:
    from tutor.packs.loader import load_pack
    from tutor.packs.variants import draw_params

    path = _single_file_pack(tmp_path, COMPUTED)
    status, out, _ = run_cli(["validate", "--no-cache", str(path)], capsys)
    assert status == 0, out
    problem = next(load_pack(path).problems()).problem
    seen = set()
    for seed in range(40):
        values = draw_params(problem, seed)
        assert values["x2"] == values["x1"] + 1 and values["x3"] == 2 * values["x2"]
        assert values["x1"] != 3 and values["x3"] <= 10
        assert isinstance(values["x2"], int)
        seen.add(values["x1"])
    assert seen == {1, 2, 4}  # 5 gives x3 = 12 > 10


def test_a_problem_without_require_draws_exactly_as_before() -> None:
    import random

    from tutor.packs.models import AskProblem
    from tutor.packs.variants import draw_params

    problem = AskProblem.model_validate({"kind": "ask", "id": "p", "prompt": "?", "program": "L = a*b",
                                         "ask": "grad:a", "params": {"a": {"int": [1, 9]}, "b": {"choice": [2, 3]}}})
    for seed in range(20):
        generator = random.Random(seed)
        assert draw_params(problem, seed) == {"a": generator.choice(range(1, 10)), "b": generator.choice([2, 3])}


def test_bad_computed_parameters_and_conditions_are_errors_at_their_column(tmp_path: Path, capsys) -> None:
    body = """\
      - kind: numeric
        id: n1
        prompt: "{y} {z}"
        params:
          y: {int: [1, 5]}
          z: "w + 1"
        require: ["y = 2", "y < (2"]
        answer: "{y}"
"""
    status, out, _ = run_cli(["validate", "--no-cache", str(_single_file_pack(tmp_path, body))], capsys)
    assert status == 1
    assert "slip.yaml:13:15: error: cannot read the computed parameter z = 'w + 1': unknown name 'w'" in out
    assert "may use only the parameters written before it" in out
    assert 'slip.yaml:14:19: error: a condition compares two expressions with ==, !=, <, <=, > or >=' in out
    assert "slip.yaml:14:35: error: cannot read the condition 'y < (2': missing ')'" in out


def test_require_that_no_values_meet_is_an_error(tmp_path: Path, capsys) -> None:
    body = """\
      - kind: numeric
        id: n1
        prompt: "{y}"
        params:
          y: {int: [1, 5]}
        require: ["y > 7"]
        answer: "{y}"
"""
    status, out, _ = run_cli(["validate", "--no-cache", str(_single_file_pack(tmp_path, body))], capsys)
    assert status == 1 and "no values met `require` in 200 draws" in out and "slip.yaml:13:18" in out


def test_a_result_a_busy_machine_can_cause_is_not_cached(pack: Path, _own_cache: Path, monkeypatch) -> None:
    from tutor.packs import validate as validation
    from tutor.packs.cache import ValidationCache
    from tutor.packs.errors import PackError
    from tutor.packs.loader import load_pack

    loaded = load_pack(pack)
    flaky = PackError(pack / LESSON, 1, 1, "test answer '42' should be correct but is unchecked")
    monkeypatch.setattr(validation, "validate_pack", lambda *args, **kwargs: [flaky])
    cache = ValidationCache(_own_cache)
    first = validation.validate_targets([(loaded, None)], 5, cache=cache)
    assert not first.clean and not list(_own_cache.glob("*.json"))


def test_after_an_edit_only_the_changed_problem_is_checked_and_lines_still_point_right(
        pack: Path, capsys, monkeypatch) -> None:
    from tutor.packs import validate as validation

    status, _, _ = run_cli(["validate", str(pack)], capsys)
    assert status == 0
    checked: list[str] = []
    original = validation.validate_problem

    def spy(ref, seed_count=validation.DEFAULT_SEED_COUNT):
        checked.append(ref.problem.id)
        return original(ref, seed_count)

    monkeypatch.setattr(validation, "validate_problem", spy)
    lesson = pack / LESSON
    text = lesson.read_text()
    # two lines more above everything, and a wrong tests entry in the layer problem
    text = "# a comment\n# another\n" + text.replace(
        '{ask: "layer:dL/dW1", answer: "[[6, 3], [0, 0]]", verdict: correct}',
        '{ask: "layer:dL/dW1", answer: "[[6, 3], [0, 1]]", verdict: correct}')
    lesson.write_text(text)
    status, out, _ = run_cli(["validate", str(pack)], capsys)
    assert status == 1
    assert checked == ["first-layer"]  # the others come from the cache despite their new line numbers
    wrong_line = next(number for number, line in enumerate(text.splitlines(), start=1) if "[0, 1]]" in line)
    assert f"{LESSON}:{wrong_line}:" in out
    # the untouched problems' errors would be rebased too: break one, check, restore, check from the cache
    broken = text.replace('answer: "0.25^{n}"', 'answer: "0.25^{n}*"')
    lesson.write_text(broken)
    run_cli(["validate", str(pack)], capsys)
    lesson.write_text("# one more\n" + broken)
    checked.clear()
    status, out, _ = run_cli(["validate", str(pack)], capsys)
    assert checked == []
    numeric_line = next(number for number, line in enumerate(("# one more\n" + broken).splitlines(), start=1)
                        if 'answer: "0.25^{n}*"' in line)
    assert f"{LESSON}:{numeric_line}:" in out
