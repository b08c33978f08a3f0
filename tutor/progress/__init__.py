"""Progress that lasts: attempts, derived status, spaced review and quizzes (no UI code here).

Entry points for the UI (each module's docstring has the details):

    from tutor.progress import ProgressStore, SpacedReview, Attempt, Verdict, ProblemRef, LessonProblems
    store = ProgressStore.open(data_dir)           # tutor/progress/store.py; store.recovery_notice
    review = SpacedReview(store)                   # tutor/progress/review.py
    review.record_attempt(Attempt(...))            # answer + review schedule, one transaction
    store.lesson_completion(pack_id, problem_ids); store.continue_target(lessons); review.count_due(now)
    from tutor.progress.quiz import QuizSelection, QuizSession, select_problems   # tutor/progress/quiz.py

Errors meant for the learner are ProgressError (one line; ProgressImportError for rejected imports).
"""

from tutor.progress.model import (
    ActivityStats,
    Attempt,
    ContinueTarget,
    DiagnosisCount,
    ImportSummary,
    LessonCompletion,
    LessonProblems,
    ProblemRef,
    ProblemStatus,
    ResetSummary,
    StoredAttempt,
    Verdict,
    utc_now,
)
from tutor.progress.paths import database_path, resolve_data_dir
from tutor.progress.review import DueCard, RecordedAttempt, ReviewOutcome, SpacedReview, rating_for
from tutor.progress.store import ProgressError, ProgressImportError, ProgressStore

__all__ = [
    "ActivityStats", "Attempt", "ContinueTarget", "DiagnosisCount", "DueCard", "ImportSummary", "LessonCompletion",
    "LessonProblems", "ProblemRef", "ProblemStatus", "ProgressError", "ProgressImportError", "ProgressStore",
    "RecordedAttempt", "ResetSummary", "ReviewOutcome", "SpacedReview", "StoredAttempt", "Verdict",
    "database_path", "rating_for", "resolve_data_dir", "utc_now",
]
