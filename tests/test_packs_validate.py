"""`backprop-tutor validate` on deliberately broken packs, the example pack and the built-in packs.

Each fixture in tests/packs_fixtures marks the lines where an error must be reported with a
comment ``# expect-error: col N: text``. The test asserts that exactly those errors come out,
each as ``file:line:col: error: ...text...``, with exit status 1 and no traceback.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tutor.cli import main

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "packs_fixtures"
EXPECT = re.compile(r"#\s*expect-error:\s*col (\d+):\s*(.+?)\s*$")
ERROR_LINE = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<column>\d+): error: (?P<message>.*)$")


def expected_errors(pack_folder: Path) -> list[tuple[str, int, int, str]]:
    expected = []
    for path in sorted(pack_folder.glob("*.yaml")):
        for number, text in enumerate(path.read_text().splitlines(), start=1):
            match = EXPECT.search(text)
            if match:
                expected.append((path.name, number, int(match.group(1)), match.group(2)))
    return expected


def run_cli(arguments: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(arguments)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def reported_errors(output: str) -> list[tuple[str, int, int, str]]:
    errors = []
    for line in output.splitlines():
        match = ERROR_LINE.match(line)
        if match:
            errors.append((Path(match["file"]).name, int(match["line"]), int(match["column"]), match["message"]))
    return errors


FIXTURE_NAMES = sorted(path.name for path in FIXTURES.iterdir() if (path / "pack.yaml").is_file())


def test_every_fixture_declares_its_errors() -> None:
    assert len(FIXTURE_NAMES) >= 8
    for name in FIXTURE_NAMES:
        assert expected_errors(FIXTURES / name), f"{name} has no '# expect-error:' comment"


@pytest.mark.parametrize("fixture", FIXTURE_NAMES)
def test_broken_pack_gets_its_errors_at_the_right_place(fixture: str, capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    status, out, err = run_cli(["validate", "--seeds", "20", f"tests/packs_fixtures/{fixture}"], capsys)
    assert status == 1
    assert "Traceback" not in out + err
    reported = reported_errors(out)
    expected = expected_errors(FIXTURES / fixture)
    for file_name, line, column, fragment in expected:
        matching = [error for error in reported if error[:3] == (file_name, line, column) and fragment in error[3]]
        assert matching, f"missing {file_name}:{line}:{column}: ...{fragment}...\nreported:\n{out}"
    assert len(reported) == len(expected), f"unexpected extra errors:\n{out}"
    assert out.strip().splitlines()[-1].startswith(f"{len(expected)} error")


def test_validate_as_a_real_process_exits_1_without_traceback() -> None:
    result = subprocess.run([sys.executable, "-m", "tutor", "validate", "--seeds", "5", str(FIXTURES)],
                            capture_output=True, text=True, cwd=REPO, timeout=300)
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert len(reported_errors(result.stdout)) == sum(len(expected_errors(FIXTURES / name)) for name in FIXTURE_NAMES)


def test_validate_example_pack_is_clean(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run_cli(["validate", str(REPO / "lessons" / "example")], capsys)
    assert (status, reported_errors(out)) == (0, []), out
    assert "no errors" in out


def test_validate_with_no_path_checks_installed_packs(capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BACKPROP_TUTOR_HOME", str(tmp_path))
    (tmp_path / "packs").mkdir()
    (tmp_path / "packs" / "mine.yaml").write_text(
        'id: mine\ntitle: "Mine"\nversion: "1"\nlessons:\n  - id: l\n    title: "L"\n    steps:\n'
        '      - kind: numeric\n        id: half\n        prompt: "Half of 1?"\n        answer: "1/2"\n'
        '        tests: [{answer: "0.4", verdict: correct}]\n'
    )
    status, out, err = run_cli(["validate", "--seeds", "3"], capsys)
    assert status == 1
    assert any(error[0] == "mine.yaml" and error[1] == 12 for error in reported_errors(out)), out
    assert "mine (user" in err


def test_builtin_packs_validate_clean(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                      tmp_path: Path) -> None:
    monkeypatch.setenv("BACKPROP_TUTOR_HOME", str(tmp_path))  # only the built-in packs
    status, out, err = run_cli(["validate"], capsys)
    assert reported_errors(out) == [], out
    assert status == 0


@pytest.mark.parametrize("arguments", [
    ["validate", "no/such/pack"],
    ["validate", "--seeds", "0", "lessons/example"],
    ["validate", "tests"],  # a folder with neither pack.yaml nor packs inside
])
def test_bad_usage_exits_2(arguments: list[str], capsys: pytest.CaptureFixture[str],
                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    status, out, err = run_cli(arguments, capsys)
    assert status == 2
    assert "error:" in err and "Traceback" not in err


def test_a_bad_pack_never_hides_a_good_one(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run_cli(
        ["validate", str(FIXTURES / "unknown-lab"), str(REPO / "lessons" / "example")], capsys)
    assert status == 1
    assert "example (command line, 1 lessons, 7 problems): ok" in err
    assert "1 error in 1 of 2 packs" in out


def test_strict_asks_for_hints_explanation_and_a_diagnosed_test(capsys, tmp_path: Path) -> None:
    pack = tmp_path / "terse.yaml"
    pack.write_text(
        'id: terse\ntitle: "T"\nversion: "1"\nlessons:\n  - id: l\n    title: "L"\n    steps:\n'
        '      - kind: ask\n        id: q\n        prompt: "dL/da?"\n        program: "L = a*b"\n'
        '        at: {a: 2, b: 3}\n        ask: "grad:a"\n        tests: [{answer: "3", verdict: correct}]\n'
    )
    status, out, err = run_cli(["validate", str(pack)], capsys)
    assert (status, reported_errors(out)) == (0, [])
    status, out, err = run_cli(["validate", "--strict", str(pack)], capsys)
    messages = [error[3] for error in reported_errors(out) if error[1:3] == (9, 13)]
    assert status == 1 and len(messages) == 3
    assert any("hints" in message for message in messages) and any("explanation" in message for message in messages)
