"""BACKPROP_TUTOR_DAYS_AHEAD moves the tutor's clock, so spaced review can be tried without waiting."""

import sqlite3
from datetime import UTC, datetime, timedelta

from tutor.ui.app import _clock_from_environment


def test_no_variable_means_the_real_clock(monkeypatch) -> None:
    monkeypatch.delenv("BACKPROP_TUTOR_DAYS_AHEAD", raising=False)
    assert _clock_from_environment() is None


def test_days_ahead_moves_the_clock(monkeypatch) -> None:
    monkeypatch.setenv("BACKPROP_TUTOR_DAYS_AHEAD", "2.5")
    clock = _clock_from_environment()
    ahead = clock() - datetime.now(UTC)
    assert timedelta(days=2.5) - timedelta(seconds=5) < ahead <= timedelta(days=2.5)
    assert clock().tzinfo is not None


def test_a_bad_value_is_ignored_with_a_message(monkeypatch, capsys) -> None:
    monkeypatch.setenv("BACKPROP_TUTOR_DAYS_AHEAD", "tomorrow")
    assert _clock_from_environment() is None
    assert "not a number of days" in capsys.readouterr().err


def test_a_preview_on_a_moved_clock_never_writes_real_progress(monkeypatch, tmp_path) -> None:
    from types import SimpleNamespace

    import tutor.ui.app as app_module
    from tutor.progress import ProgressStore
    from tutor.progress.paths import database_path

    real = tmp_path / "real"
    store = ProgressStore(database_path(real))
    store.close()
    before = database_path(real).read_bytes()
    seen = {}

    class FakeApp:
        return_code = 0

        def run(self) -> None:
            # What the tutor does: write to the progress file in the folder it was given.
            seen["copied"] = database_path(seen["data_dir"]).is_file()
            connection = sqlite3.connect(database_path(seen["data_dir"]))
            with connection:
                connection.execute("CREATE TABLE written_in_the_preview (x)")
            connection.close()

    def fake_create_app(*, data_dir, pack_paths, clock, **_options):  # --open and its seed are not under test
        seen["data_dir"], seen["clock"] = data_dir, clock
        return FakeApp()

    monkeypatch.setenv("BACKPROP_TUTOR_DAYS_AHEAD", "3")
    monkeypatch.setattr(app_module, "create_app", fake_create_app)
    assert app_module.run_app(SimpleNamespace(data_dir=str(real), pack=[])) == 0
    assert seen["clock"] is not None and seen["copied"]
    assert database_path(seen["data_dir"]) != database_path(real)
    assert not database_path(seen["data_dir"]).exists()  # the scratch copy is gone after the run
    assert database_path(real).read_bytes() == before


def test_without_a_moved_clock_the_real_folder_is_used(monkeypatch, tmp_path) -> None:
    from types import SimpleNamespace

    import tutor.ui.app as app_module

    seen = {}

    class FakeApp:
        return_code = 0

        def run(self) -> None:
            pass

    monkeypatch.delenv("BACKPROP_TUTOR_DAYS_AHEAD", raising=False)
    monkeypatch.setattr(app_module, "create_app",
                        lambda *, data_dir, pack_paths, clock, **_options: seen.update(data_dir=data_dir) or FakeApp())
    app_module.run_app(SimpleNamespace(data_dir=str(tmp_path), pack=[]))
    assert seen["data_dir"] == str(tmp_path)
