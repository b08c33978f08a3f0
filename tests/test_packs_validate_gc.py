"""validate checks the problems with the objects that already exist frozen out of the garbage collector's
passes (tutor.packs.validate._long_lived_objects_frozen; the saving is measured in benchmarks/bench_packs.py),
and leaves the collector as it found it."""

from __future__ import annotations

import gc
from typing import Any

import pytest

import tutor.packs.validate as validate
from tutor.packs.loader import discover_packs


def _example_pack() -> Any:
    return next(pack for pack in discover_packs(include_user=False).packs if pack.id == "example")


def _recording(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    seen: list[int] = []
    check = validate._validate_problem_cached

    def recording(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.get_freeze_count())
        return check(*args, **kwargs)

    monkeypatch.setattr(validate, "_validate_problem_cached", recording)
    return seen


def test_the_checks_run_with_the_existing_objects_frozen_and_the_collector_is_restored_after(
        monkeypatch: pytest.MonkeyPatch) -> None:
    pack = _example_pack()
    expected = validate.validate_pack(pack, 3)
    seen = _recording(monkeypatch)
    frozen_by_the_suite = gc.get_freeze_count() > 0  # tests/conftest.py freezes what collection loaded
    gc.unfreeze()
    try:
        errors = validate.validate_pack(pack, 3)
        assert seen and all(count > 0 for count in seen)
        assert gc.get_freeze_count() == 0
    finally:
        if frozen_by_the_suite:
            gc.freeze()
    assert errors == expected  # (the verdicts do not depend on it)


def test_a_process_that_froze_objects_itself_keeps_its_own_arrangement(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _recording(monkeypatch)
    frozen_already = gc.get_freeze_count() > 0
    gc.freeze()
    try:
        before = gc.get_freeze_count()
        validate.validate_pack(_example_pack(), 3)
        assert seen and all(count <= before for count in seen)  # nothing more frozen (frozen objects may die)
    finally:
        if not frozen_already:
            gc.unfreeze()
