"""The progress subcommands (stats, progress export/import, reset) and data-folder resolution.

The commands are driven through a parser built the way tutor/cli.py builds it (global --data-dir and
--pack before the subcommand), limited to these three modules so the tests do not depend on others'.
"""

from __future__ import annotations

import argparse
import importlib
import io
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import platformdirs
import pytest

from tutor.progress import Attempt, ProgressError, ProgressStore, SpacedReview, Verdict
from tutor.progress.paths import DATABASE_FILENAME, HOME_ENVIRONMENT_VARIABLE, database_path, resolve_data_dir

COMMANDS = {"stats": "tutor.commands.stats", "progress": "tutor.commands.progress", "reset": "tutor.commands.reset"}


def run_cli(*argv: str, stdin: str | None = None, monkeypatch=None) -> int:
    parser = argparse.ArgumentParser(prog="backprop-tutor")
    parser.add_argument("--data-dir")
    parser.add_argument("--pack", action="append", default=[])
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name, module_name in COMMANDS.items():
        subparser = subparsers.add_parser(name)
        subparser.set_defaults(_module=module_name)
        importlib.import_module(module_name).add_arguments(subparser)
    args = parser.parse_args(list(argv))
    if monkeypatch is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin) if stdin is not None else io.StringIO(""))
    return importlib.import_module(args._module).run(args)


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")


@pytest.fixture
def data_dir(tmp_path):
    folder = tmp_path / "data"
    now = datetime.now(UTC)
    with ProgressStore.open(folder) as store:
        review = SpacedReview(store, enable_fuzzing=False)
        history = [
            ("basics", "chain", "c1", Verdict.CORRECT, None, 0, 3),
            ("basics", "chain", "c2", Verdict.INCORRECT, "forgot-to-add-paths", 1, 3),
            ("basics", "chain", "c2", Verdict.INCORRECT, "forgot-to-add-paths", 1, 3),
            ("basics", "intro", "i1", Verdict.CORRECT, None, 0, 0),
            ("mlp", "relu", "r1", Verdict.GAVE_UP, "relu-slope-at-zero", 2, 3),
            ("mlp", "relu", "r1", Verdict.INVALID, "syntax", 0, 3),
        ]
        for pack, lesson, problem, verdict, diagnosis, hints, days_ago in history:
            review.record_attempt(Attempt(pack, "1.0", lesson, problem, "x", verdict, diagnosis=diagnosis,
                                          hints_used=hints, seconds=75, answered_at=now - timedelta(days=days_ago)))
    return folder


# ------------------------------------------------------------------------------------------------ paths

def test_data_dir_explicit_beats_environment_beats_platform_default(tmp_path):
    environment = {HOME_ENVIRONMENT_VARIABLE: str(tmp_path / "from-env")}
    assert resolve_data_dir(tmp_path / "explicit", environment) == tmp_path / "explicit"
    assert resolve_data_dir(None, environment) == tmp_path / "from-env"
    default = Path(platformdirs.user_data_dir("backprop-tutor", appauthor=False))
    assert resolve_data_dir(None, {}) == default
    assert resolve_data_dir("", {HOME_ENVIRONMENT_VARIABLE: ""}) == default
    assert resolve_data_dir("~/somewhere", {}) == Path.home() / "somewhere"
    assert database_path(tmp_path).name == DATABASE_FILENAME == "progress.db"


def test_store_open_uses_the_environment_variable(tmp_path, monkeypatch):
    monkeypatch.setenv(HOME_ENVIRONMENT_VARIABLE, str(tmp_path / "home"))
    with ProgressStore.open() as store:
        assert store.path == tmp_path / "home" / "progress.db"
    assert (tmp_path / "home" / "progress.db").is_file()


# ------------------------------------------------------------------------------------------------ stats

def test_stats_shows_packs_lessons_reviews_and_frequent_mistakes(data_dir, capsys):
    assert run_cli("--data-dir", str(data_dir), "stats") == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    chain = next(line for line in lines if " chain " in line)
    # solved 1, three answers, one of three right, one hint
    assert [cell.strip() for cell in chain.split("│")[2:6]] == ["1", "3", "33%", "2"]
    relu = next(line for line in lines if " relu " in line)
    assert [cell.strip() for cell in relu.split("│")[2:5]] == ["0", "1", "0%"]  # the invalid answer is not counted
    # Due: c1 (clean solve 3 days ago, back after 2), c2 (wrong) and r1 (gave up); i1 was solved just now.
    assert "Reviews due now: 3" in out
    mistakes = [line for line in lines if "forgot-to-add-paths" in line or "relu-slope-at-zero" in line]
    assert "2" in mistakes[0] and "forgot-to-add-paths" in mistakes[0] and "1" in mistakes[1]
    assert "syntax" not in out


def test_stats_without_any_progress_says_so_and_creates_nothing(tmp_path, capsys):
    assert run_cli("--data-dir", str(tmp_path / "empty"), "stats") == 0
    assert "No progress yet" in capsys.readouterr().out
    assert not (tmp_path / "empty").exists()


def test_stats_reports_a_recovered_file_on_stderr_in_one_line(tmp_path, capsys):
    (tmp_path / "progress.db").write_bytes(b"not a database at all" * 5)
    assert run_cli("--data-dir", str(tmp_path), "stats") == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "moved to" in err and "Traceback" not in err


def test_stats_names_lessons_when_packs_can_be_loaded():
    from tutor.commands.stats import outline_from_packs

    class Problem:
        def __init__(self, id):
            self.id = id

    class Lesson:
        id, title = "chain", "The chain rule"

        def problems(self):
            return [Problem("c1"), Problem("c2")]

    class Pack:
        id, title, lessons = "basics", "Backprop basics", [Lesson(), "unresolved.yaml"]

    outline = outline_from_packs([Pack()])
    assert outline["basics"].title == "Backprop basics"
    assert outline["basics"].lessons["chain"].title == "The chain rule"
    assert outline["basics"].lessons["chain"].problem_ids == ["c1", "c2"]


# ----------------------------------------------------------------------------------------- export/import

def test_export_then_import_through_the_cli(data_dir, tmp_path, capsys):
    target = tmp_path / "backup.json"
    assert run_cli("--data-dir", str(data_dir), "progress", "export", str(target)) == 0
    assert "Exported 6 answers" in capsys.readouterr().out
    assert run_cli("--data-dir", str(data_dir), "progress", "export", str(target)) == 1
    assert "already exists" in capsys.readouterr().err
    assert run_cli("--data-dir", str(data_dir), "progress", "export", str(target), "--force") == 0
    other = tmp_path / "other"
    assert run_cli("--data-dir", str(other), "progress", "import", str(target)) == 0
    assert "6 new answers" in capsys.readouterr().out
    with ProgressStore.open(other) as imported, ProgressStore.open(data_dir) as original:
        assert [row.attempt for row in imported.attempts()] == [row.attempt for row in original.attempts()]


def test_export_to_standard_output_is_the_json_document(data_dir, capsys):
    assert run_cli("--data-dir", str(data_dir), "progress", "export", "-") == 0
    document = json.loads(capsys.readouterr().out)
    assert document["format"] == "backprop-tutor-progress" and len(document["attempts"]) == 6


def test_a_malformed_import_is_one_line_exit_1_and_changes_nothing(data_dir, tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "backprop-tutor-progress", "format_version": 1, "attempts": [}')
    with ProgressStore.open(data_dir) as store:
        before = len(store.attempts())
    assert run_cli("--data-dir", str(data_dir), "progress", "import", str(bad)) == 1
    err = capsys.readouterr().err
    assert err.startswith("backprop-tutor progress: error: ") and f"{bad}:1:" in err
    assert err.count("\n") == 1 and "Traceback" not in err
    with ProgressStore.open(data_dir) as store:
        assert len(store.attempts()) == before


def test_import_action_is_required(capsys):
    with pytest.raises(SystemExit) as raised:
        run_cli("progress")
    assert raised.value.code == 2


# ------------------------------------------------------------------------------------------------ reset

def _answers(folder):
    with ProgressStore.open(folder) as store:
        return len(store.attempts())


@pytest.mark.parametrize("reply", [None, "", "n\n", "no\n", "maybe\n"])
def test_reset_is_cancelled_unless_confirmed(data_dir, capsys, monkeypatch, reply):
    assert run_cli("--data-dir", str(data_dir), "reset", stdin=reply, monkeypatch=monkeypatch) == 1
    out = capsys.readouterr().out
    assert "Forget 6 answers and 4 review cards" in out and "Cancelled" in out
    assert _answers(data_dir) == 6


def test_reset_with_confirmation_forgets_everything(data_dir, capsys, monkeypatch):
    assert run_cli("--data-dir", str(data_dir), "reset", stdin="y\n", monkeypatch=monkeypatch) == 0
    assert "Forgot 6 answers and 4 review cards." in capsys.readouterr().out
    assert _answers(data_dir) == 0


def test_reset_one_lesson_with_yes(data_dir, capsys, monkeypatch):
    assert run_cli("--data-dir", str(data_dir), "reset", "--lesson", "chain", "--yes", monkeypatch=monkeypatch) == 0
    assert "Forgot 3 answers and 2 review cards for lesson chain." in capsys.readouterr().out
    with ProgressStore.open(data_dir) as store:
        assert {row.attempt.lesson_id for row in store.attempts()} == {"intro", "relu"}


def test_reset_with_nothing_to_forget(tmp_path, data_dir, capsys, monkeypatch):
    assert run_cli("--data-dir", str(tmp_path / "none"), "reset", monkeypatch=monkeypatch) == 0
    assert "Nothing to reset" in capsys.readouterr().out
    assert run_cli("--data-dir", str(data_dir), "reset", "--lesson", "nope", monkeypatch=monkeypatch) == 0
    assert "Nothing to reset for lesson nope." in capsys.readouterr().out


def test_progress_errors_are_one_line_without_traceback(tmp_path, capsys, monkeypatch):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the data folder should be")
    for argv in (("stats",), ("reset", "--yes"), ("progress", "export", str(tmp_path / "x.json"))):
        code = run_cli("--data-dir", str(blocker / "inside"), *argv, monkeypatch=monkeypatch)
        captured = capsys.readouterr()
        if argv[0] in ("stats", "reset"):
            assert code == 0 and "no progress" in (captured.out.lower())  # nothing there yet: nothing to open
        else:
            assert code == 1 and captured.err.count("\n") == 1 and "cannot create the progress folder" in captured.err


def test_the_real_dispatcher_reaches_these_commands(data_dir, capsys):
    from tutor.cli import main

    assert main(["--data-dir", str(data_dir), "stats"]) == 0
    assert "Progress by lesson" in capsys.readouterr().out


def test_stats_shows_titles_and_totals_from_the_packs(data_dir, capsys, monkeypatch):
    import tutor.commands.stats as stats

    outline = {"basics": stats.PackOutline("Backprop basics", {
        "chain": stats.LessonOutline("The chain rule", ["c1", "c2", "c3", "c4"]),
        "intro": stats.LessonOutline("Graphs", ["i1"]),
    })}
    monkeypatch.setattr(stats, "_pack_outline", lambda args, packs=None: outline)
    assert run_cli("--data-dir", str(data_dir), "stats") == 0
    lines = capsys.readouterr().out.splitlines()
    pack_row = next(line for line in lines if "Backprop basics (basics)" in line)
    assert pack_row.split("│")[2].strip() == "2/5"
    chain_row = next(line for line in lines if "The chain rule (chain)" in line)
    assert chain_row.split("│")[2].strip() == "1/4"
    assert any(" relu " in line for line in lines)  # packs that are not loaded still show by id


# ------------------------------------------------------------------------------------ read-only folders

def _refuse_writes_to(monkeypatch, *paths: Path) -> None:
    import os

    real_access = os.access
    blocked = {str(path) for path in paths}

    def access(path, mode, *args, **kwargs):
        if mode & os.W_OK and str(path) in blocked:
            return False
        return real_access(path, mode, *args, **kwargs)

    monkeypatch.setattr(os, "access", access)


def test_stats_reads_progress_from_a_folder_it_may_not_write(data_dir, capsys, monkeypatch):
    # Simulated with os.access, since tests may run as root, whom chmod does not stop. This proves the
    # store notices, opens SQLite with mode=ro and never tries to write; the next test makes it real.
    _refuse_writes_to(monkeypatch, data_dir)
    assert run_cli("--data-dir", str(data_dir), "stats") == 0
    captured = capsys.readouterr()
    assert " chain " in captured.out and "Reviews due now: 3" in captured.out and captured.err == ""
    with ProgressStore.open(data_dir) as store:
        assert store.read_only
        with pytest.raises(ProgressError, match="read-only: progress can be shown but not saved"):
            store.record_attempt(Attempt("basics", "1", "chain", "c9", "x", Verdict.CORRECT))
        assert len(store.attempts()) == 6
    assert run_cli("--data-dir", str(data_dir), "progress", "export", str(data_dir.parent / "out.json")) == 0
    assert len(json.loads((data_dir.parent / "out.json").read_text())["attempts"]) == 6
    assert run_cli("--data-dir", str(data_dir), "progress", "import", str(data_dir.parent / "out.json")) == 1
    assert "read-only" in capsys.readouterr().err


def test_a_damaged_file_in_a_read_only_folder_is_left_where_it_is(tmp_path, capsys, monkeypatch):
    (tmp_path / "progress.db").write_bytes(b"not a database at all" * 5)
    _refuse_writes_to(monkeypatch, tmp_path)
    assert run_cli("--data-dir", str(tmp_path), "stats") == 1
    assert "was not a database; the folder is read-only, so it was left as it is" in capsys.readouterr().err
    assert [path.name for path in tmp_path.iterdir()] == ["progress.db"]


def test_progress_is_read_from_a_folder_that_really_is_read_only(data_dir):
    # A real read-only folder: chmod when not root; as root, a forked child that drops to nobody.
    import os
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="read-only-progress-"))
    try:
        shutil.copy(data_dir / DATABASE_FILENAME, folder / DATABASE_FILENAME)  # closed cleanly: no -wal/-shm
        os.chmod(folder / DATABASE_FILENAME, 0o444)
        os.chmod(folder, 0o555)
        if os.geteuid() != 0:
            result = _read_only_figures(folder)
        else:
            reader, writer = os.pipe()
            child = os.fork()
            if child == 0:  # pragma: no cover - runs in the child
                try:
                    os.close(reader)
                    os.setgid(65534)
                    os.setuid(65534)
                    os.write(writer, json.dumps(_read_only_figures(folder)).encode())
                finally:
                    os._exit(0)
            os.close(writer)
            with os.fdopen(reader) as pipe:
                text = pipe.read()
            os.waitpid(child, 0)
            result = json.loads(text) if text else "the child failed"
        assert result == {"writable": False, "read_only": True, "attempts": 6, "due": 3, "saved": "refused"}
        assert sorted(path.name for path in folder.iterdir()) == [DATABASE_FILENAME]
    finally:
        os.chmod(folder, 0o755)
        shutil.rmtree(folder)


def _read_only_figures(folder: Path) -> dict:
    import os

    figures: dict = {"writable": os.access(folder, os.W_OK)}
    try:
        with ProgressStore.open(folder) as store:
            figures["read_only"] = store.read_only
            figures["attempts"] = len(store.attempts())
            figures["due"] = SpacedReview(store).count_due(datetime.now(UTC))
            try:
                store.record_attempt(Attempt("basics", "1", "chain", "c9", "x", Verdict.CORRECT))
                figures["saved"] = "saved"
            except ProgressError:
                figures["saved"] = "refused"
    except Exception as error:  # noqa: BLE001 - reported to the parent
        figures["error"] = f"{type(error).__name__}: {error}"
    return figures


def test_import_from_standard_input_reads_its_bytes_as_utf8_and_leaves_it_open(data_dir, tmp_path, capsys, monkeypatch):
    exported = tmp_path / "export.json"
    assert run_cli("--data-dir", str(data_dir), "progress", "export", str(exported)) == 0
    raw = io.BytesIO(b"\xef\xbb\xbf" + exported.read_bytes())  # with a byte-order mark, as some editors save
    stdin = io.TextIOWrapper(raw, encoding="latin-1")  # a locale that is not UTF-8 must not matter
    monkeypatch.setattr(sys, "stdin", stdin)
    assert run_cli("--data-dir", str(tmp_path / "other"), "progress", "import", "-") == 0
    assert "6 new answers" in capsys.readouterr().out
    assert not raw.closed


def test_stats_shows_skill_mastery_and_the_practice_heatmap_also_from_a_read_only_folder(data_dir, capsys,
                                                                                        monkeypatch):
    from tutor.practice.mastery import SkillEvent

    now = datetime.now(UTC)
    with ProgressStore.open(data_dir) as store:
        store.record_skill_events([SkillEvent("upstream", False, 1, now - timedelta(days=1), "missing-upstream"),
                                   *[SkillEvent("fan-out", True, 2, now) for _ in range(3)]])
    _refuse_writes_to(monkeypatch, data_dir)
    assert run_cli("--data-dir", str(data_dir), "stats") == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    out = captured.out
    assert "Sum over paths" in out and "Multiply by the upstream" in out
    assert "missing-upstream ×1" in out
    rows = [line for line in out.splitlines() if line[:4] in ("Mon ", "Tue ", "Wed ", "Thu ", "Fri ", "Sat ", "Sun ")]
    assert len(rows) == 3 + 1  # labelled rows: Mon, Wed, Fri, Sun
    assert "Streak: 2 days now, longest 2; 2 days in all" in out
