"""`backprop-tutor packs install PATH|ZIP` and `packs remove ID` (issue 19 §1, sharing)."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

from tutor.cli import main

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "lessons" / "example"


def a_pack(tmp_path: Path, pack_id: str = "shared-tour") -> Path:
    folder = tmp_path / "source" / pack_id
    shutil.copytree(EXAMPLE, folder)
    manifest = folder / "pack.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace("id: example", f"id: {pack_id}"), encoding="utf-8")
    return folder


def installed(data: Path) -> list[str]:
    packs = data / "packs"
    return sorted(path.name for path in packs.iterdir()) if packs.is_dir() else []


def test_a_clean_folder_pack_is_installed_listed_and_removed(tmp_path, capsys):
    data = tmp_path / "data"
    assert main(["--data-dir", str(data), "packs", "install", str(a_pack(tmp_path))]) == 0
    assert installed(data) == ["shared-tour"]
    assert "installed shared-tour" in capsys.readouterr().out
    assert main(["--data-dir", str(data), "packs"]) == 0
    assert "shared-tour" in capsys.readouterr().out
    assert main(["--data-dir", str(data), "packs", "install", str(a_pack(tmp_path / "again"))]) == 2
    assert "--replace" in capsys.readouterr().err
    assert main(["--data-dir", str(data), "packs", "install", str(tmp_path / "again" / "source" / "shared-tour"),
                 "--replace"]) == 0
    assert main(["--data-dir", str(data), "packs", "remove", "shared-tour"]) == 0
    assert installed(data) == []
    assert main(["--data-dir", str(data), "packs", "remove", "shared-tour"]) == 2
    assert "no pack 'shared-tour'" in capsys.readouterr().err


def test_a_zip_is_unpacked_checked_and_installed(tmp_path):
    source = a_pack(tmp_path)
    archive = tmp_path / "tour.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for path in source.rglob("*"):
            bundle.write(path, Path("shared-tour") / path.relative_to(source))
    data = tmp_path / "data"
    assert main(["--data-dir", str(data), "packs", "install", str(archive)]) == 0
    assert (data / "packs" / "shared-tour" / "pack.yaml").is_file()


def test_a_pack_with_errors_is_not_installed(tmp_path, capsys):
    source = a_pack(tmp_path)
    manifest = source / "pack.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace('version: "1.0.0"', "version: [1"),
                        encoding="utf-8")
    data = tmp_path / "data"
    assert main(["--data-dir", str(data), "packs", "install", str(source)]) == 1
    assert "pack.yaml:" in capsys.readouterr().out
    assert installed(data) == []


def test_a_zip_that_writes_outside_its_folder_is_refused_before_anything_is_written(tmp_path, capsys):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("pack.yaml", "id: evil\ntitle: x\nversion: '1'\nlessons: []\n")
        bundle.writestr("../../escaped.txt", "gotcha")
    data = tmp_path / "data"
    assert main(["--data-dir", str(data), "packs", "install", str(archive)]) == 2
    assert "outside the pack" in capsys.readouterr().err
    assert not list(tmp_path.rglob("escaped.txt")) and installed(data) == []


def test_the_built_in_course_id_is_not_taken(tmp_path, capsys):
    data = tmp_path / "data"
    assert main(["--data-dir", str(data), "packs", "install", str(a_pack(tmp_path, "backprop"))]) == 2
    assert "built-in" in capsys.readouterr().err
    assert main(["--data-dir", str(data), "packs", "install"]) == 2
