"""`backprop-tutor stats` names the lesson that teaches each frequent mistake, as the skills screen does
(issue 16 §3: "the learner's most frequent mistakes with links to lessons"; stats printed none)."""

from __future__ import annotations

from datetime import UTC, datetime

from tutor.cli import main
from tutor.practice.mastery import SkillEvent
from tutor.progress import ProgressStore


def test_a_frequent_mistake_names_the_built_in_lesson_that_teaches_its_rule(tmp_path, capsys):
    answered = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    with ProgressStore(tmp_path / "progress.db") as store:
        store.record_skill_events([SkillEvent("upstream", False, 2, answered, "missing-upstream")] * 3)
    assert main(["--data-dir", str(tmp_path), "stats"]) == 0
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if "missing-upstream ×3" in line)
    assert "→ lesson 2, Computational graphs" in line


def test_skill_lessons_maps_file_prefixes_to_positions_and_titles():
    from tutor.commands.stats import skill_lessons
    from tutor.packs.loader import builtin_packs_dir, load_pack

    lessons = skill_lessons([load_pack(builtin_packs_dir() / "backprop")])
    assert lessons["01"] == "lesson 1, The chain rule along one path"
    assert lessons["03"].startswith("lesson 3, ")
