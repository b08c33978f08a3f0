"""Loading lesson packs: positions, error messages, discovery, and broken packs next to good ones."""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tutor.packs.errors import PackError
from tutor.packs.loader import (
    builtin_packs_dir,
    catalog_from_args,
    discover_packs,
    load_pack,
    pack_paths_in,
    user_packs_dir,
)
from tutor.packs.yamlsource import YamlLoadError, load_yaml_text

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "lessons" / "example"

MANIFEST = 'id: {id}\ntitle: "T"\nversion: "1"\n'
NUMERIC_LESSON = """id: lesson
title: "L"
steps:
  - kind: numeric
    id: {problem_id}
    prompt: "Half?"
    answer: "1/2"
"""


def write_pack(folder: Path, pack_id: str, lesson: str | None = None, problem_id: str = "half") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pack.yaml").write_text(MANIFEST.format(id=pack_id))
    (folder / "lesson.yaml").write_text(lesson if lesson is not None else NUMERIC_LESSON.format(problem_id=problem_id))
    return folder


def single_error(pack_path: Path) -> PackError:
    pack = load_pack(pack_path)
    assert len(pack.errors) == 1, [str(error) for error in pack.errors]
    return pack.errors[0]


# --- the example pack and the built-in folder ---------------------------------------------------


def test_example_pack_loads_with_its_lessons_and_problems() -> None:
    pack = load_pack(EXAMPLE)
    assert pack.errors == []
    assert (pack.id, pack.version, pack.lesson_count) == ("example", "1.0.0", 1)
    kinds = [ref.problem.kind for ref in pack.problems()]
    assert sorted(set(kinds)) == ["ask", "choice", "lab", "numeric", "trace"]
    assert pack.problem_count == len(kinds)
    ref = pack.problem("tour-trace")
    assert ref is not None and ref.key == "example/tour-trace"


def test_builtin_folder_is_the_source_checkouts_lessons() -> None:
    found = builtin_packs_dir()
    assert found is not None and found.resolve() == (REPO / "lessons").resolve()
    assert EXAMPLE in pack_paths_in(found)


# --- discovery ----------------------------------------------------------------------------------


def test_user_packs_folder_follows_environment_and_data_dir(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BACKPROP_TUTOR_HOME", str(tmp_path / "home"))
    assert user_packs_dir() == tmp_path / "home" / "packs"
    assert user_packs_dir(tmp_path / "other") == tmp_path / "other" / "packs"
    monkeypatch.delenv("BACKPROP_TUTOR_HOME")
    assert user_packs_dir().name == "packs" and "backprop-tutor" in str(user_packs_dir())


def test_discovery_finds_folder_and_single_file_packs_and_command_line_packs(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BACKPROP_TUTOR_HOME", str(tmp_path))
    write_pack(tmp_path / "packs" / "folder-pack", "folder-pack")
    (tmp_path / "packs" / "notes").mkdir()  # a folder without pack.yaml is not a pack
    (tmp_path / "packs" / "single.yml").write_text(
        MANIFEST.format(id="single") + "lessons:\n  - " + NUMERIC_LESSON.format(problem_id="q").replace("\n", "\n    "))
    extra = write_pack(tmp_path / "elsewhere", "extra", problem_id="other")
    catalog = catalog_from_args(argparse.Namespace(pack=[str(extra)], data_dir=None))
    origins = {pack.id: pack.origin for pack in catalog.packs}
    assert origins["folder-pack"] == "user" and origins["single"] == "user" and origins["extra"] == "command line"
    assert origins["example"] == "built-in"
    assert "notes" not in origins
    assert all(not pack.broken for pack in catalog.packs if pack.id in origins)
    assert catalog.find_problem("single/q") is not None


def test_a_broken_pack_is_listed_and_the_others_still_load(tmp_path: Path) -> None:
    good = write_pack(tmp_path / "good", "good")
    bad = write_pack(tmp_path / "bad", "bad", lesson="id: lesson\ntitle: [unclosed\n")
    catalog = discover_packs([bad, good], include_builtin=False, include_user=False)
    assert [pack.id for pack in catalog.usable] == ["good"]
    assert [pack.id for pack in catalog.broken] == ["bad"]
    assert str(catalog.broken[0].errors[0]).startswith(str(bad / "lesson.yaml") + ":")


def test_two_packs_with_one_id_make_the_second_broken(tmp_path: Path) -> None:
    first = write_pack(tmp_path / "one", "same")
    second = write_pack(tmp_path / "two", "same", problem_id="other")
    catalog = discover_packs([first, second], include_builtin=False, include_user=False)
    assert [pack.path for pack in catalog.usable] == [first]
    error = catalog.broken[0].errors[0]
    assert (error.line, error.column) == (1, 5) and "already used" in error.message


def test_missing_path_and_folder_without_manifest(tmp_path: Path) -> None:
    assert "no such file" in single_error(tmp_path / "nowhere").message
    (tmp_path / "empty").mkdir()
    assert "no pack.yaml" in single_error(tmp_path / "empty").message


# --- errors at file:line:col --------------------------------------------------------------------


def test_missing_lesson_file_points_at_the_entry(tmp_path: Path) -> None:
    folder = write_pack(tmp_path / "p", "p")
    (folder / "pack.yaml").write_text(MANIFEST.format(id="p") + "lessons:\n  - lesson.yaml\n  - gone.yaml\n")
    error = single_error(folder)
    assert (error.file.name, error.line, error.column) == ("pack.yaml", 6, 5)
    assert "'gone.yaml' not found" in error.message


def test_unknown_keys_suggest_the_closest_key(tmp_path: Path) -> None:
    lesson = NUMERIC_LESSON.format(problem_id="q") + "    tolerence: {rel: 0.1}\n    expalnation: \"x\"\n"
    pack = load_pack(write_pack(tmp_path / "p", "p", lesson))
    messages = {(error.line, error.column): error.message for error in pack.errors}
    assert messages == {
        (8, 5): "unknown key 'tolerence'; did you mean 'tolerance'?",
        (9, 5): "unknown key 'expalnation'; did you mean 'explanation'?",
    }


def test_unknown_kind_and_missing_key(tmp_path: Path) -> None:
    lesson = 'id: lesson\ntitle: "L"\nsteps:\n  - kind: nuemric\n    id: q\n  - kind: lab\n    id: r\n    lab: xor\n'
    pack = load_pack(write_pack(tmp_path / "p", "p", lesson))
    messages = [(error.line, error.column, error.message) for error in pack.errors]
    assert messages[0][:2] == (4, 11) and "unknown problem kind 'nuemric'; did you mean 'numeric'?" in messages[0][2]
    assert messages[1] == (6, 5, "missing required key 'prompt'")


def test_yes_in_a_text_field_asks_for_quotes(tmp_path: Path) -> None:
    lesson = NUMERIC_LESSON.format(problem_id="q").replace('prompt: "Half?"', "prompt: yes")
    error = single_error(write_pack(tmp_path / "p", "p", lesson))
    assert (error.line, error.column) == (6, 13) and "put it in quotes" in error.message


def test_duplicate_keys_are_errors(tmp_path: Path) -> None:
    lesson = NUMERIC_LESSON.format(problem_id="q") + '    answer: "1/3"\n'
    error = single_error(write_pack(tmp_path / "p", "p", lesson))
    assert (error.line, error.column) == (8, 5)
    assert error.message == "duplicate key 'answer' (first written at line 7)"


def test_empty_list_and_non_utf8_files(tmp_path: Path) -> None:
    folder = write_pack(tmp_path / "p", "p", lesson="")
    assert single_error(folder).message == "the file is empty"
    (folder / "lesson.yaml").write_text("- a\n- b\n")
    assert "must be a mapping" in single_error(folder).message
    (folder / "lesson.yaml").write_bytes(b"id: \xff\xfe\n")
    assert "not UTF-8" in single_error(folder).message


def test_alias_bomb_is_refused_quickly() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    try:
        load_yaml_text("\n".join(lines))  # refused by its alias count, without expanding 10**9 nodes
    except YamlLoadError as error:
        assert "aliases" in error.message
    else:
        raise AssertionError("a billion-laughs file loaded")


def test_pack_error_formats_as_file_line_column() -> None:
    error = PackError(Path("/x/y.yaml"), 3, 7, "bad thing")
    assert str(error) == "/x/y.yaml:3:7: error: bad thing"


# --- positions of every node (property) ---------------------------------------------------------

words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8)
leaves = st.one_of(words, st.integers(-1000, 1000))
trees = st.recursive(
    leaves,
    lambda children: st.one_of(st.lists(children, min_size=1, max_size=4),
                               st.dictionaries(words, children, min_size=1, max_size=4)),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(document=st.dictionaries(words, trees, min_size=1, max_size=5), flow=st.booleans())
def test_every_key_and_scalar_is_located_where_it_is_written(document, flow: bool) -> None:
    text = yaml.safe_dump(document, default_flow_style=flow, sort_keys=False, width=60)
    loaded = load_yaml_text(text)
    assert loaded.data == yaml.safe_load(text)
    lines = text.splitlines()

    def at(position) -> str:
        return lines[position.line - 1][position.column - 1:]

    def walk(value, path) -> None:
        if isinstance(value, dict):
            for key, child in value.items():
                assert at(loaded.positions.of_key(path + (key,))).lstrip("'\"").startswith(str(key))
                walk(child, path + (key,))
        elif isinstance(value, list):
            for index, child in enumerate(value):
                walk(child, path + (index,))
        else:
            assert at(loaded.positions.of_value(path)).lstrip("'\"").startswith(str(value))

    walk(loaded.data, ())


@settings(max_examples=100, deadline=None)
@given(document=st.dictionaries(st.text(min_size=1, max_size=6), trees, min_size=1, max_size=5),
       flow=st.booleans())
def test_libyaml_and_pure_python_parsers_give_the_same_positions(document, flow: bool) -> None:
    text = yaml.safe_dump(document, default_flow_style=flow, allow_unicode=True, sort_keys=False)
    fast, slow = load_yaml_text(text), load_yaml_text(text, pure_python=True)
    assert fast.data == slow.data
    assert fast.positions == slow.positions
