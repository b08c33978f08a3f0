"""The learner's copy of an exercise's starter file: written once, never overwritten."""

from __future__ import annotations

import shutil
from pathlib import Path

from tutor.exercises.catalog import EXERCISES

WORKSPACE_FOLDER = "code"  # inside the data folder


def start_file(exercise_id: str, folder: str | Path) -> Path:
    """Copy the starter of ``exercise_id`` into ``folder`` unless the learner's file is there; its path."""
    exercise = EXERCISES[exercise_id]
    folder = Path(folder).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / exercise.starter.name
    if not target.exists():  # never overwrite the learner's work
        shutil.copyfile(exercise.starter, target)
    return target
