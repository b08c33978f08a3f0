"""`backprop-tutor --pack P --open LESSON/PROBLEM --seed N`: the app opens that problem at that variant."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from tests.test_ui_support import FrozenClock, async_test, loaded, settle, widget_text
from tutor.cli import _open_target, main
from tutor.commands.new import write_scaffold
from tutor.packs.loader import load_pack


def scaffold(folder: Path) -> Path:
    write_scaffold(folder)
    return folder


def preview_of(pack_folder: Path, key: str, seed: int) -> dict:
    from tutor.commands.preview import describe_variant, find_problem

    return describe_variant(find_problem(load_pack(pack_folder), key), seed)


def two_seeds_with_other_values(pack_folder: Path, key: str) -> list[int]:
    """Two seeds whose variants differ from each other and from seed 0."""
    seen = [preview_of(pack_folder, key, 0)["params"]]
    seeds = []
    for seed in range(1, 60):
        params = preview_of(pack_folder, key, seed)["params"]
        if params not in seen:
            seen.append(params)
            seeds.append(seed)
        if len(seeds) == 2:
            return seeds
    raise AssertionError("the scaffold's ask problem has too few variants for this test")


@async_test
async def test_open_shows_the_problem_at_the_seed_with_the_values_preview_prints(tmp_path):
    from tutor.ui.app import create_app

    pack = scaffold(tmp_path / "pack")
    key = "first-lesson/first-ask"  # the lesson's third step: not where the lesson would start
    for seed in two_seeds_with_other_values(pack, key):
        shown = preview_of(pack, key, seed)
        app = create_app(data_dir=tmp_path / f"data-{seed}", pack_paths=[pack], include_builtin=False,
                         include_user=False, clock=FrozenClock(), seed=7, review_fuzzing=False,
                         animation_interval=0.05, open_problem=(shown["pack"], "first-lesson", "first-ask"),
                         open_seed=seed)
        async with app.run_test(size=(120, 40)) as pilot:
            await loaded(pilot)
            await settle(pilot)
            lesson = app.screen
            assert type(lesson).__name__ == "LessonScreen"
            view = lesson.current_problem()
            assert view is not None and view.problem_id == "first-ask"
            assert view.rendered.seed == seed and view.rendered.params == shown["params"]
            prompt = widget_text(view.query_one("#prompt"), flat=True)
            x, w, b = (shown["params"][name] for name in ("x", "w", "b"))
            assert f"x = {x}" in prompt and f"b = {b}" in prompt and str(w).lstrip("-") in prompt
            # The answer preview gives for this seed is the one the app accepts.
            expected = shown["entries"][0]["expected"]
            await pilot.press(*[{" ": "space"}.get(character, character) for character in expected], "enter")
            await settle(pilot)
            assert view.completed == "solved", (seed, expected)


@async_test
async def test_open_without_a_seed_opens_the_problem_at_a_drawn_variant(tmp_path):
    from tutor.ui.app import create_app

    pack = scaffold(tmp_path / "pack")
    app = create_app(data_dir=tmp_path / "data", pack_paths=[pack], include_builtin=False, include_user=False,
                     clock=FrozenClock(), seed=7, review_fuzzing=False, animation_interval=0.05,
                     open_problem=(load_pack(pack).id, "first-lesson", "first-numeric"))
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await settle(pilot)
        assert app.screen.current_problem().problem_id == "first-numeric"


def test_open_target_prefers_the_pack_given_with_pack(tmp_path):
    pack = scaffold(tmp_path / "pack")
    args = argparse.Namespace(pack=[str(pack)], data_dir=str(tmp_path / "data"), open="first-lesson/first-trace",
                              open_seed=3)
    assert _open_target(args) == (load_pack(pack).id, "first-lesson", "first-trace")


@pytest.mark.parametrize(("key", "words"), [
    ("first-lesson/first-trase", ["no problem 'first-trase'", "did you mean first-trace"]),
    ("first-lesosn/first-trace", ["no lesson 'first-lesosn'", "did you mean first-lesson"]),
    ("first-lesson", ["write LESSON/PROBLEM"]),
])
def test_an_unknown_open_id_is_a_clear_message_and_exit_2_before_the_app_starts(tmp_path, capsys, monkeypatch,
                                                                                key, words):
    import tutor.ui.app

    def no_app(args):
        raise AssertionError("the app must not start")

    monkeypatch.setattr(tutor.ui.app, "run_app", no_app)
    pack = scaffold(tmp_path / "pack")
    status = main(["--data-dir", str(tmp_path / "data"), "--pack", str(pack), "--open", key, "--seed", "2"])
    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith("backprop-tutor: error: ") and "Traceback" not in err
    for word in words:
        assert word in err


def test_seed_without_open_is_exit_2(tmp_path, capsys):
    status = main(["--data-dir", str(tmp_path / "data"), "--seed", "2"])
    assert status == 2 and "--seed N needs --open" in capsys.readouterr().err


def test_the_command_line_hands_the_resolved_problem_and_seed_to_the_app(tmp_path, monkeypatch):
    import tutor.ui.app

    made = {}

    class NoApp:
        return_code = 0

        def run(self):
            made["ran"] = True

    def fake_create_app(**options):
        made.update(options)
        return NoApp()

    monkeypatch.setattr(tutor.ui.app, "create_app", fake_create_app)
    monkeypatch.delenv("BACKPROP_TUTOR_DAYS_AHEAD", raising=False)
    pack = scaffold(tmp_path / "pack")
    status = main(["--data-dir", str(tmp_path / "data"), "--pack", str(pack), "--open", "first-lesson/first-ask",
                   "--seed", "4"])
    assert status == 0 and made["ran"]
    assert made["open_problem"] == (load_pack(pack).id, "first-lesson", "first-ask") and made["open_seed"] == 4
