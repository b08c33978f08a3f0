"""What the tutor knows once it has started: the lesson packs and the learner's progress.

Plain Python, no Textual: the app builds a :class:`TutorSession` in a worker thread after the
first paint (loading packs and opening SQLite take a while), and the screens ask it for lesson
markers, "continue", reviews due, and hand it the learner's answers to record.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the real imports happen in load_session, inside the worker
    from tutor.packs.loader import LoadedPack, PackCatalog
    from tutor.packs.models import Lesson, Problem
    from tutor.progress import Attempt, ProgressStore, SpacedReview

Clock = Callable[[], datetime]

STATUS_DONE = "done"
STATUS_STARTED = "in progress"
STATUS_NEW = "new"


@dataclass(frozen=True)
class LessonKey:
    pack_id: str
    lesson_id: str

    def __str__(self) -> str:
        return f"{self.pack_id}/{self.lesson_id}"


@dataclass
class LessonEntry:
    """One lesson as the home screen lists it."""

    key: LessonKey
    pack: LoadedPack
    lesson: Lesson
    position: int  # 1-based within its pack
    status: str = STATUS_NEW
    solved: int = 0
    total: int = 0

    @property
    def title(self) -> str:
        return self.lesson.title

    @property
    def problem_ids(self) -> list[str]:
        return [problem.id for problem in self.lesson.problems()]

    def matches(self, words: str) -> bool:
        """Every word of the filter appears in the title, summary, pack title, ids or tags."""
        haystack = " ".join(
            [self.lesson.title, self.lesson.summary or "", self.pack.title, self.key.pack_id, self.key.lesson_id,
             " ".join(self.lesson.tags)]
        ).lower()
        return all(word in haystack for word in words.lower().split())


@dataclass
class BrokenPack:
    title: str
    location: str
    first_error: str
    error_count: int


@dataclass
class TutorSession:
    """Packs and progress for one run of the tutor. Safe to call from worker threads."""

    catalog: PackCatalog
    store: ProgressStore | None
    review: SpacedReview | None
    clock: Clock
    rng: random.Random
    notices: list[str] = field(default_factory=list)  # one sentence each, shown on the home screen
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _entries: list[LessonEntry] = field(default_factory=list, repr=False)
    # Set at the first answer that could not be stored, so the learner is told once, not at every answer.
    saving_failed: bool = False
    # Variant seeds handed out before random ones, first first (``--open ... --seed N``: the opened problem's).
    pinned_seeds: list[int] = field(default_factory=list)

    # -------------------------------------------------------------------------------- lessons

    def lessons(self) -> list[LessonEntry]:
        if not self._entries:
            for pack in self.catalog.usable:
                for position, lesson in enumerate(pack.lessons, start=1):
                    entry = LessonEntry(LessonKey(pack.id, lesson.id), pack, lesson, position)
                    entry.total = len(entry.problem_ids)
                    self._entries.append(entry)
            self.refresh_progress()
        return self._entries

    def lesson(self, key: LessonKey) -> LessonEntry | None:
        return next((entry for entry in self.lessons() if entry.key == key), None)

    def next_lesson(self, key: LessonKey) -> LessonEntry | None:
        entries = self.lessons()
        for index, entry in enumerate(entries):
            if entry.key == key and index + 1 < len(entries) and entries[index + 1].key.pack_id == key.pack_id:
                return entries[index + 1]
        return None

    def broken_packs(self) -> list[BrokenPack]:
        from tutor.packs.errors import display_path

        return [
            BrokenPack(pack.title, display_path(pack.path), str(pack.errors[0]) if pack.errors else "broken",
                       len(pack.errors))
            for pack in self.catalog.broken
        ]

    def refresh_progress(self) -> None:
        """Recompute every lesson's marker from the stored attempts."""
        if self.store is None:
            return
        for entry in self._entries:
            problem_ids = entry.problem_ids
            completion = self.store.lesson_completion(entry.key.pack_id, problem_ids)
            entry.total = completion.total
            entry.solved = completion.solved
            if completion.is_complete:
                entry.status = STATUS_DONE
            elif completion.is_started:
                entry.status = STATUS_STARTED
            else:
                entry.status = STATUS_NEW

    def problem_solved(self, pack_id: str, problem_id: str) -> bool:
        if self.store is None:
            return False
        from tutor.progress import ProblemStatus

        return self.store.problem_status(pack_id, problem_id) is ProblemStatus.SOLVED

    def continue_target(self) -> tuple[LessonEntry, str | None] | None:
        """The lesson to continue and the first unsolved problem in it, or None for a new learner."""
        if self.store is None:
            return None
        from tutor.progress import LessonProblems

        entries = self.lessons()
        target = self.store.continue_target(
            [LessonProblems(entry.key.pack_id, entry.key.lesson_id, entry.problem_ids) for entry in entries]
        )
        if target is None:
            return None
        entry = self.lesson(LessonKey(target.pack_id, target.lesson_id))
        return None if entry is None else (entry, target.next_problem_id)

    # -------------------------------------------------------------------------------- reviews and quizzes

    def problem_refs(self) -> list[Any]:
        """Every problem the packs offer, as the progress package's ProblemRef (labs and code exercises
        excluded: they are worked at one's own pace in their lessons, not asked in a quiz)."""
        from tutor.progress import ProblemRef

        refs = []
        for entry in self.lessons():
            for problem in entry.lesson.problems():
                if problem.kind in ("lab", "code"):
                    continue
                refs.append(ProblemRef(entry.key.pack_id, entry.key.lesson_id, problem.id,
                                       frozenset(entry.lesson.tags) | frozenset(problem.tags), entry.pack.version))
        return refs

    def reviews_due(self) -> int:
        if self.review is None:
            return 0
        keys = {(ref.pack_id, ref.problem_id) for ref in self.problem_refs()}
        return self.review.count_due(self.clock(), only=keys)

    def find_problem(self, pack_id: str, problem_id: str) -> tuple[LessonEntry, Problem] | None:
        for entry in self.lessons():
            if entry.key.pack_id != pack_id:
                continue
            for problem in entry.lesson.problems():
                if problem.id == problem_id:
                    return entry, problem
        return None

    def new_seed(self) -> int:
        with self._lock:
            if self.pinned_seeds:
                return self.pinned_seeds.pop(0)
            return self.rng.randrange(2**31)

    # -------------------------------------------------------------------------------- recording

    def record(self, attempt: Attempt) -> str | None:
        """Store one answer (and move its review card). Never raises: returns a sentence for the learner
        the first time an answer cannot be stored (a read-only or full disk), and None after that, so a
        lesson in a read-only folder is not covered in one notice per answer."""
        if self.review is None:
            return None
        from tutor.progress import ProgressError

        try:
            self.review.record_attempt(attempt)
        except ProgressError as error:
            with self._lock:
                first, self.saving_failed = not self.saving_failed, True
            if first:
                return (f"Your answer could not be saved: {error}. You can go on; answers are not saved "
                        "this session (this notice is shown once).")
        return None

    # -------------------------------------------------------------------------------- skills

    def record_skill_evidence(self, rendered: Any, ask: str | None, verdict: str, diagnosis: str | None,
                              level: int) -> list[Any]:
        """Turn one graded entry into skill events and store them; returns the events (also with no store).

        Graph problems (trace entries and ask problems): the graph is rebuilt from the rendered
        problem, which is cheap for anything a learner traces by hand. A layer problem's entries
        (``layer:dL/dW1``) go to :meth:`record_layer_evidence` and a code problem's check runs
        (``code:EXERCISE``) to :meth:`record_code_evidence`; for those two kinds a call without such
        an ask (a problem's whole attempt) records nothing, so an entry is never counted twice.
        Call it off the UI thread.
        """
        from tutor.practice.mastery import events_for_answer

        problem = rendered.problem
        kind = getattr(problem, "kind", None)
        if kind == "layer":
            return self.record_layer_evidence(rendered, ask, verdict, diagnosis, level) \
                if ask and ask.startswith("layer:") else []
        if kind == "code":
            # The exercise as checked: a pack's own checks may test fewer operations than the built-in one.
            return self.record_code_evidence(problem.checked_exercise(), verdict, diagnosis, level) \
                if ask and ask.startswith("code:") else []
        ask = ask or getattr(problem, "ask", None)
        program = getattr(problem, "program", None)
        if not ask or not program:
            return []
        from tutor.graph import build_graph

        try:
            graph = build_graph(program, dict(rendered.at))
            events = events_for_answer(graph, ask, verdict, diagnosis, level=level, answered_at=self.clock())
        except Exception:  # noqa: BLE001 - skill bookkeeping must never cost the learner an answer
            return []
        return self._store_skill_events(events)

    def record_layer_evidence(self, rendered: Any, ask: str, verdict: str, diagnosis: str | None,
                              level: int) -> list[Any]:
        """One graded layer entry as skill events, stored: a right matrix supports every skill of the
        quantity (:func:`tutor.practice.skills.layer_entry_skills`); a diagnosed wrong one counts against
        the skill the diagnosis reveals for it, an undiagnosed one against the quantity's skills."""
        from tutor.practice.mastery import SkillEvent
        from tutor.practice.skills import layer_entry_skills, skill_for_diagnosis

        if verdict not in ("correct", "incorrect"):
            return []  # an answer that could not be read says nothing about a skill
        try:
            from tutor.packs.grading import layer_network_data, layer_trace_of

            network = layer_network_data(rendered)
            name = ask.removeprefix("layer:")
            activation = next((layer["activation"] for layer in network["layers"] if "activation" in layer), None)
            backward = layer_trace_of(rendered).backward_names
            skills = layer_entry_skills(name, activation, network.get("loss", "mse"),
                                        backward[0] if backward else None)
            revealed = skill_for_diagnosis(diagnosis, ask, None, activation) \
                if verdict == "incorrect" and diagnosis else None
        except Exception:  # noqa: BLE001 - skill bookkeeping must never cost the learner an answer
            return []
        answered_at = self.clock()
        if verdict == "correct":
            events = [SkillEvent(skill_id, True, level, answered_at) for skill_id in skills]
        else:
            events = [SkillEvent(skill_id, False, level, answered_at, diagnosis)
                      for skill_id in ((revealed,) if revealed else skills)]
        return self._store_skill_events(events)

    def record_code_evidence(self, exercise: Any, verdict: str, diagnosis: str | None, level: int) -> list[Any]:
        """One check run of a code exercise (a tutor.exercises Exercise, as checked) as skill events, stored:
        a passing run supports the skills of the operations it tested; a failing one counts against the
        skill its diagnosis names (:data:`tutor.practice.skills.CODE_DIAGNOSIS_SKILLS`). A file that did
        not run says nothing."""
        from tutor.practice.mastery import SkillEvent
        from tutor.practice.skills import code_exercise_skills, code_run_skills

        if verdict not in ("correct", "incorrect"):
            return []
        answered_at = self.clock()
        if verdict == "correct":
            events = [SkillEvent(skill_id, True, level, answered_at) for skill_id in code_exercise_skills(exercise.ops)]
        else:
            events = [SkillEvent(skill_id, False, level, answered_at, diagnosis)
                      for skill_id in code_run_skills(diagnosis, exercise.ops)]
        return self._store_skill_events(events)

    def _store_skill_events(self, events: list[Any]) -> list[Any]:
        if self.store is not None and events:
            from tutor.progress import ProgressError

            try:
                self.store.record_skill_events(events)
            except ProgressError:
                pass  # the attempt's own save reports a store that cannot be written
        return events

    def skill_events(self) -> list[Any]:
        """Every stored skill event, oldest first (tutor.practice.mastery.SkillEvent)."""
        from tutor.practice.mastery import SkillEvent

        if self.store is None:
            return []
        return [SkillEvent(skill, correct, level, answered_at, diagnosis)
                for skill, correct, level, diagnosis, answered_at in self.store.skill_event_rows()]

    def close(self) -> None:
        if self.store is not None:
            self.store.close()


@dataclass
class SessionOptions:
    """How to start: everything the command line (or a test) can choose."""

    data_dir: str | Path | None = None
    pack_paths: Sequence[str | Path] = ()
    include_builtin: bool = True
    include_user: bool = True
    clock: Clock | None = None
    seed: int | None = None  # fixes variant seeds (tests); None draws them at random
    review_fuzzing: bool = True
    warm_checker: bool = True  # import sympy and the checker once the lessons are listed
    # Open this problem once loaded, as (pack id, lesson id, problem id), at variant seed open_seed
    # (None: a random one) — `backprop-tutor --open LESSON/PROBLEM --seed N`, checked by the command line.
    open_problem: tuple[str, str, str] | None = None
    open_seed: int | None = None


def load_session(options: SessionOptions) -> TutorSession:
    """Load packs and open progress. Slow (YAML, pydantic, SQLite): call it from a worker thread."""
    from tutor.packs.loader import discover_packs
    from tutor.progress import ProgressError, ProgressStore, SpacedReview, utc_now

    clock = options.clock or utc_now
    catalog = discover_packs(
        list(options.pack_paths), data_dir=options.data_dir, include_builtin=options.include_builtin,
        include_user=options.include_user,
    )
    notices: list[str] = []
    store = review = None
    try:
        store = ProgressStore.open(options.data_dir, clock=clock)
        review = SpacedReview(store, enable_fuzzing=options.review_fuzzing)
        if store.recovery_notice:
            notices.append(store.recovery_notice)
    except ProgressError as error:
        notices.append(f"Progress will not be saved this time: {error}")
    session = TutorSession(catalog, store, review, clock, random.Random(options.seed), notices)
    session.lessons()
    return session


def warm_checker() -> None:
    """Import the checker (and sympy with it) now, so the first answer is graded without a pause."""
    import importlib.util

    if importlib.util.find_spec("tutor.check") is not None:
        import tutor.check

        warm_up = getattr(tutor.check, "warm_up", None)
        if warm_up is not None:
            warm_up()  # starts the checker's algebra process (it imports sympy) in the background
    import sympy  # noqa: F401
