"""BACKPROP_TUTOR_DAYS_AHEAD moves the tutor's clock, so spaced review can be tried without waiting."""

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
