"""`backprop-tutor new` (a scaffold that validates clean) and `backprop-tutor preview` (a problem at a seed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tutor.cli import main
from tutor.packs.loader import load_pack


def run_cli(arguments: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(arguments)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


# --- new ------------------------------------------------------------------------------------------


def test_new_writes_a_pack_with_every_kind_that_validates_clean_and_strict(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "My Pack"
    status, out, _ = run_cli(["new", str(folder)], capsys)
    assert status == 0 and "pack.yaml" in out
    pack = load_pack(folder)
    assert not pack.errors and pack.id == "my-pack"
    kinds = {ref.problem.kind for ref in pack.problems()}
    assert kinds == {"trace", "ask", "numeric", "choice", "layer", "lab"}
    assert any(step.kind == "text" for step in pack.lessons[0].steps)
    status, out, err = run_cli(["validate", "--strict", str(folder)], capsys)
    assert status == 0, out + err
    assert "no errors" in out


def test_new_refuses_a_folder_that_is_not_empty(tmp_path: Path, capsys) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    status, _, err = run_cli(["new", str(tmp_path)], capsys)
    assert status == 2 and "not empty" in err
    assert sorted(path.name for path in tmp_path.iterdir()) == ["notes.txt"]


def test_new_into_an_empty_existing_folder_with_an_id(tmp_path: Path, capsys) -> None:
    status, _, _ = run_cli(["new", str(tmp_path), "--id", "course-x"], capsys)
    assert status == 0 and load_pack(tmp_path).id == "course-x"
    status, _, err = run_cli(["new", str(tmp_path / "other"), "--id", "Bad Id"], capsys)
    assert status == 2 and "not a valid id" in err
