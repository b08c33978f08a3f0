"""Hostile packs: each one is an error on its own pack, never a hang, a crash of other packs, or a read outside it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tutor.packs.loader import MAX_PROBLEMS_PER_PACK, discover_packs
from tutor.packs.yamlsource import YamlLoadError, load_yaml_text

GOOD_MANIFEST = 'id: good\ntitle: "Good"\nversion: "1"\n'
GOOD_LESSON = 'id: lesson\ntitle: "L"\nsteps:\n  - kind: numeric\n    id: half\n    prompt: "Half?"\n    answer: "1/2"\n'
SECRET = "secret-line-that-must-never-be-quoted"


def _good_pack(folder: Path) -> None:
    (folder / "good").mkdir(parents=True)
    (folder / "good" / "pack.yaml").write_text(GOOD_MANIFEST)
    (folder / "good" / "lesson.yaml").write_text(GOOD_LESSON)


def _hostile_pack(folder: Path, lessons_entry: str, extra_files: dict[str, str] | None = None) -> Path:
    pack = folder / "hostile"
    pack.mkdir(parents=True)
    (pack / "pack.yaml").write_text(f'id: hostile\ntitle: "H"\nversion: "1"\nlessons:\n  - {lessons_entry}\n')
    for name, text in (extra_files or {}).items():
        (pack / name).write_text(text)
    return pack


def _catalog(data_dir: Path):
    return discover_packs(data_dir=data_dir, include_builtin=False)


def _errors_of(catalog, pack_id: str) -> list[str]:
    return [str(error) for pack in catalog.packs if pack.id == pack_id for error in pack.errors]


def test_recursive_alias_is_an_error_before_construction():
    with pytest.raises(YamlLoadError, match="refers to the node that contains it") as raised:
        load_yaml_text("id: a\nx: &r [*r]\n")
    assert raised.value.position.line == 2


def test_recursive_alias_in_a_mapping_is_caught():
    with pytest.raises(YamlLoadError, match="contains it"):
        load_yaml_text("a: &m\n  b: *m\n")


def test_shared_alias_that_is_not_recursive_still_loads():
    document = load_yaml_text("base: &b [1, 2]\nfirst: *b\nsecond: *b\n")
    assert document.data["second"] == [1, 2]


@pytest.mark.parametrize("hostile_text", [
    'id: hostile\ntitle: "H"\nversion: "1"\nx: &r [*r]\n',
    'id: hostile\ntitle: "H"\nversion: "1"\nn: ' + "9" * 5001 + "\n",
])
def test_hostile_single_file_beside_a_good_pack(tmp_path: Path, hostile_text: str):
    packs = tmp_path / "packs"
    _good_pack(packs)
    (packs / "hostile.yaml").write_text(hostile_text)
    catalog = _catalog(tmp_path)
    assert catalog.get("good") is not None
    assert len(catalog.broken) == 1
    assert "Traceback" not in "".join(str(e) for e in catalog.broken[0].errors)


@pytest.mark.parametrize("entry_kind", ["absolute", "dotdot", "symlink"])
def test_lesson_outside_the_pack_is_refused_without_quoting_it(tmp_path: Path, entry_kind: str):
    outside = tmp_path / "outside.yaml"
    outside.write_text(f"{SECRET}: [\n{SECRET}\n")
    packs = tmp_path / "packs"
    _good_pack(packs)
    if entry_kind == "absolute":
        _hostile_pack(packs, str(outside))
    elif entry_kind == "dotdot":
        _hostile_pack(packs, "../../outside.yaml")
    else:
        pack = _hostile_pack(packs, "link.yaml")
        os.symlink(outside, pack / "link.yaml")
    catalog = _catalog(tmp_path)
    assert catalog.get("good") is not None
    messages = _errors_of(catalog, "hostile")
    assert any("inside the pack's folder" in message and "pack.yaml:5:" in message for message in messages)
    assert all(SECRET not in message for message in messages)


def test_lesson_path_too_long_is_an_error_on_that_pack(tmp_path: Path):
    packs = tmp_path / "packs"
    _good_pack(packs)
    _hostile_pack(packs, "a" * 5000 + ".yaml")
    catalog = _catalog(tmp_path)
    assert catalog.get("good") is not None
    assert any("cannot be used" in message for message in _errors_of(catalog, "hostile"))


def test_too_many_problems_is_refused_quickly(tmp_path: Path):
    steps = "".join(f'  - kind: numeric\n    id: p{i}\n    prompt: "Half?"\n    answer: "1/2"\n'
                    for i in range(MAX_PROBLEMS_PER_PACK + 1))
    packs = tmp_path / "packs"
    _good_pack(packs)
    _hostile_pack(packs, "lesson.yaml", {"lesson.yaml": f'id: lesson\ntitle: "L"\nsteps:\n{steps}'})
    catalog = _catalog(tmp_path)
    assert catalog.get("good") is not None
    assert any(f"at most {MAX_PROBLEMS_PER_PACK}" in message for message in _errors_of(catalog, "hostile"))
