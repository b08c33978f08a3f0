"""Code exercises: the learner writes parts of an autograd engine; the tutor checks it against its own.

Textual-free. The learner's file runs only in a child process (:mod:`tutor.exercises.harness`).
"""

from tutor.exercises.catalog import EXERCISES, Exercise
from tutor.exercises.checking import check_file
from tutor.exercises.report import Report

__all__ = ["EXERCISES", "Exercise", "Report", "check_file"]
