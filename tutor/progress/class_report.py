"""A class's progress from many learners' exports: the figures behind ``backprop-tutor class report``.

Each export (``progress export --learner NAME``) is read as a stream, one entry at a time, with the same
chunked reader as ``progress import``; each answer is validated with the import's model and folded into a
small per-learner summary (one record per problem tried), so memory grows with learners x problems, never
with the number of answers. Review cards and review-log entries are checked for shape and otherwise not
used.

Definitions (the same as ``stats`` and the home screen use for one learner):

- an answer *counts* unless its verdict is ``invalid`` (unreadable input is never an attempt);
- a problem is *solved* when one of its counted answers is correct;
- a problem is solved *at the first try* when its earliest counted answer (by ``answered_at``) is correct;
- a lesson is *done* when every problem the lesson pack gives it is solved (lessons of packs the report
  was not given are left out of that count, and of the gradebook's percentages);
- *time spent* adds up the ``seconds`` of counted answers;
- a learner *made* a diagnosed mistake when at least one counted answer carries that diagnosis id.

Exports that cannot be used are reported by file and skipped, never merged: a malformed file (with the
import's own message), a file whose bytes equal an earlier one, and several exports of one learner (the
same name, or the same first answer's id, which only a copy of the same progress file has). Of one
learner's exports the most recently exported is kept and the others are named as skipped.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from pydantic import ValidationError

from tutor.progress.model import ProgressImportError, parse_timestamp
from tutor.progress.transfer import (
    CHUNK_CHARS,
    FORMAT_NAME,
    FORMAT_VERSION,
    AttemptEntry,
    CardEntry,
    ReviewEntry,
    SkillEventEntry,
    _aware_timestamp,
    _canonical,
    _ChunkedJSON,
    _first_surrogate,
    _location,
    check_learner_name,
)

# Plain words for the diagnosis ids the checker stores with a wrong answer (tutor.diagnosis_ids), as
# "N% of learners <words>". A pack's own mistake ids are shown as they are.
RULE_WORDS: dict[str, str] = {
    "value-for-grad": "gave a node's value where its gradient was asked",
    "missing-upstream": "forgot to multiply by the gradient arriving from above",
    "missing-inner-derivative": "left out the inner derivative of a composed function",
    "missing-path": "left out a path at fan-out",
    "wrong-operand": "took the wrong operand in a product's local derivative",
    "power-rule": "misapplied the power rule",
    "activation-derivative": "used the wrong derivative of an activation",
    "sign-flip": "flipped a sign",
    "missing-relu-mask": "forgot the ReLU mask in a layer's gradient",
    "transposed": "transposed a layer's gradient",
    "wrong-shape": "gave a layer's gradient the wrong shape",
    "batch-not-summed": "forgot to add up a batch's examples in a parameter gradient",
    "missing-batch-mean": "forgot the 1/B of a batch mean",
    "sum-for-mean": "summed over a batch where the mean was asked",
    "mean-for-sum": "averaged over a batch where the sum was asked",
}


def rule_words(diagnosis: str) -> str:
    return RULE_WORDS.get(diagnosis, f"made the pack's mistake '{diagnosis}'")


@dataclass(slots=True)
class ProblemRecord:
    """One learner's history of one problem, folded: what the report needs and no more."""

    lesson_id: str
    attempts: int = 0
    first_at: str | None = None  # canonical UTC text (transfer._canonical), so text order is time order
    first_correct: bool = False
    solved: bool = False


@dataclass
class LearnerExport:
    """What one usable export says about its learner."""

    file: str
    name: str | None
    exported_at: datetime
    digest: str
    first_uid: str | None = None
    answers: int = 0  # counted answers
    seconds: float = 0.0
    problems: dict[tuple[str, str], ProblemRecord] = field(default_factory=dict)
    mistakes: Counter[str] = field(default_factory=Counter)

    @property
    def label(self) -> str:
        return self.name if self.name is not None else f"({Path(self.file).name})"

    def add(self, entry: AttemptEntry) -> None:
        if entry.verdict == "invalid":
            return
        self.answers += 1
        self.seconds += entry.seconds
        key = (entry.pack_id, entry.problem_id)
        record = self.problems.get(key)
        if record is None:
            record = self.problems[key] = ProblemRecord(entry.lesson_id)
        record.attempts += 1
        correct = entry.verdict == "correct"
        record.solved = record.solved or correct
        moment = _canonical(entry.answered_at)
        if record.first_at is None or moment < record.first_at:  # ties: the earlier entry in the file
            record.first_at, record.first_correct = moment, correct
        if entry.diagnosis:
            self.mistakes[entry.diagnosis] += 1


@dataclass(frozen=True)
class Skipped:
    file: str
    reason: str


@dataclass(frozen=True)
class Lesson:
    """A lesson as its pack defines it now (the caller loads the packs; this module never does)."""

    pack_id: str
    lesson_id: str
    title: str
    problem_ids: tuple[str, ...]


# ------------------------------------------------------------------------------------------------ reading


class _HashingReader:
    """A text stream over a binary file that hashes the bytes as they pass (for 'same content twice')."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.hash = hashlib.sha256()
        self.decoder = codecs.getincrementaldecoder("utf-8-sig")()

    def read(self, size: int = -1) -> str:
        chunk = self.raw.read(size if size > 0 else -1)
        self.hash.update(chunk)
        try:
            return self.decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError:
            raise ProgressImportError("not UTF-8 text, so not a progress export") from None


def read_export(path: Path) -> LearnerExport:
    """One export, streamed; ProgressImportError (its message names the file) when it is not usable."""
    source = str(path)
    try:
        raw = path.open("rb")
    except FileNotFoundError:
        raise ProgressImportError(f"{source}: no such file") from None
    except IsADirectoryError:
        raise ProgressImportError(f"{source}: is a folder, not a progress export") from None
    except OSError as error:
        raise ProgressImportError(f"{source}: cannot read: {error.strerror or error}") from None
    with raw:
        reader = _HashingReader(raw)
        try:
            return _fold(_ChunkedJSON(reader, source).events(), source, reader)  # type: ignore[arg-type]
        except ProgressImportError as error:
            message = str(error)
            raise ProgressImportError(message if message.startswith(source) else f"{source}: {message}") from None
        except OSError as error:
            raise ProgressImportError(f"{source}: cannot read: {error.strerror or error}") from None


_SECTION_MODELS: dict[str, type[AttemptEntry] | type[CardEntry] | type[ReviewEntry]] = {"attempts": AttemptEntry, "review_cards": CardEntry, "review_log": ReviewEntry}
_HEADER = ("format", "format_version", "exported_at", "learner")


def _fold(events: Iterable[tuple[Any, ...]], source: str, reader: _HashingReader) -> LearnerExport:
    """Fold the events into a LearnerExport; the header is judged as soon as it is seen, and again at the end."""
    fields: dict[str, Any] = {}
    sections: set[str] = set()
    learner = LearnerExport(file=source, name=None, exported_at=datetime.min, digest="")
    for event in events:
        kind = event[0]
        if kind == "field":
            key, value = event[1], event[2]
            if key in _SECTION_MODELS:
                raise ProgressImportError(f"{source}: {key}: Input should be a valid list")
            if key not in _HEADER:
                raise ProgressImportError(f"{source}: {key}: Extra inputs are not permitted "
                                          "(not a field of a progress export)")
            if _first_surrogate(value) is not None:
                raise ProgressImportError(f"{source}: {key}: text holds a lone surrogate")
            fields[key] = value
            if key == "format":
                _check_header(fields, source, complete=False)  # a file of another kind is refused at once
        elif kind == "section":
            sections.add(event[1])
        else:
            section, index, value, escaped = event[1], event[2], event[3], event[4]
            if escaped and (where := _first_surrogate(value, (section, index))) is not None:
                raise ProgressImportError(f"{source}: {_location(where)}: text holds a lone surrogate")
            try:
                # skill_events is optional (older exports have none): validated, not needed for the report.
                entry = _SECTION_MODELS.get(section, SkillEventEntry).model_validate(value)
            except ValidationError as error:
                problem = error.errors(include_url=False)[0]
                location = _location((section, index, *problem["loc"]))
                raise ProgressImportError(f"{source}: {location}: {problem['msg'].removeprefix('Value error, ')}") \
                    from None
            if isinstance(entry, AttemptEntry):
                if learner.first_uid is None:
                    learner.first_uid = entry.uid
                learner.add(entry)
    _check_header(fields, source, complete=True)
    missing = [name for name in _SECTION_MODELS if name not in sections]
    if missing:
        raise ProgressImportError(f"{source}: {missing[0]}: Field required")
    learner.name = fields.get("learner")
    learner.exported_at = parse_timestamp(fields["exported_at"])
    learner.digest = reader.hash.hexdigest()
    return learner


def _check_header(fields: Mapping[str, Any], source: str, *, complete: bool) -> None:
    if "format" not in fields:
        raise ProgressImportError(f"{source}: not a progress export: it has no \"format\" field")
    if fields["format"] != FORMAT_NAME:
        raise ProgressImportError(f"{source}: format: expected {FORMAT_NAME!r}, got {fields['format']!r} "
                                  "(not a backprop-tutor progress export)")
    if not complete:
        return
    version = fields.get("format_version")
    if version != FORMAT_VERSION or isinstance(version, bool):
        newer = isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION
        detail = "comes from a newer backprop-tutor" if newer else "is not one this version reads"
        raise ProgressImportError(f"{source}: format_version {version!r} {detail} (it reads {FORMAT_VERSION})")
    stamp = fields.get("exported_at")
    if not isinstance(stamp, str):
        raise ProgressImportError(f"{source}: exported_at: Field required" if stamp is None
                                  else f"{source}: exported_at: Input should be a valid string")
    try:
        _aware_timestamp(stamp)
    except ValueError as error:
        raise ProgressImportError(f"{source}: exported_at: {error}") from None
    name = fields.get("learner")
    if name is not None:
        if not isinstance(name, str):
            raise ProgressImportError(f"{source}: learner: Input should be a valid string")
        try:
            check_learner_name(name)
        except ValueError as error:
            raise ProgressImportError(f"{source}: learner: {error}") from None


# ------------------------------------------------------------------------------------------------ class


def _name_key(name: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def read_class(paths: Sequence[Path]) -> tuple[list[LearnerExport], list[Skipped]]:
    """Every usable export, one per learner, in the order given; and every file skipped, with why."""
    skipped: list[Skipped] = []
    read: list[LearnerExport] = []
    by_digest: dict[str, str] = {}
    for path in paths:
        try:
            learner = read_export(path)
        except ProgressImportError as error:
            message = str(error)
            skipped.append(Skipped(str(path), message.removeprefix(f"{path}: ")))
            continue
        if learner.digest in by_digest:
            skipped.append(Skipped(learner.file, f"the same content as {by_digest[learner.digest]}"))
            continue
        by_digest[learner.digest] = learner.file
        read.append(learner)
    # One learner in several files: joined by name or by the id of the first answer (a copy of one store).
    parent = list(range(len(read)))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    first_with: dict[tuple[str, str], int] = {}
    for index, learner in enumerate(read):
        keys = [("uid", learner.first_uid)] if learner.first_uid else []
        if learner.name is not None:
            keys.append(("name", _name_key(learner.name)))
        for key in keys:
            if key in first_with:
                parent[root(index)] = root(first_with[key])
            else:
                first_with[key] = index
    groups: dict[int, list[int]] = {}
    for index in range(len(read)):
        groups.setdefault(root(index), []).append(index)
    kept_indexes = set()
    for members in groups.values():
        keep = max(members, key=lambda index: (read[index].exported_at, -index))
        kept_indexes.add(keep)
        kept = read[keep]
        for index in members:
            if index != keep:
                other = read[index]
                why = (f"learner {other.name!r}" if other.name is not None and kept.name is not None
                       and _name_key(other.name) == _name_key(kept.name) else "the same learner's answers")
                skipped.append(Skipped(other.file, f"{why} also in {kept.file}, exported later "
                                                   f"({kept.exported_at:%Y-%m-%d %H:%M} UTC); that one is used"))
    order = {str(path): position for position, path in enumerate(paths)}
    skipped.sort(key=lambda item: order.get(item.file, len(order)))
    return [learner for index, learner in enumerate(read) if index in kept_indexes], skipped


# ------------------------------------------------------------------------------------------------ figures


@dataclass(frozen=True)
class LearnerRow:
    learner: str
    file: str
    lessons_done: int
    lessons_started: int
    problems_attempted: int
    problems_solved: int
    first_try: int  # problems solved at the first try
    answers: int
    seconds: float

    @property
    def first_try_rate(self) -> float | None:
        return self.first_try / self.problems_attempted if self.problems_attempted else None


@dataclass(frozen=True)
class ProblemRow:
    pack_id: str
    lesson_id: str
    problem_id: str
    learners: int  # learners who tried it
    attempts: int
    first_try: int  # learners right at their first try
    solved: int  # learners who solved it

    @property
    def first_try_rate(self) -> float:
        return self.first_try / self.learners


@dataclass(frozen=True)
class RuleRow:
    diagnosis: str
    words: str
    learners: int  # learners who made this mistake at least once
    share: float  # of all learners in the report
    answers: int  # answers with this diagnosis, over the class


@dataclass
class ClassReport:
    learners: list[LearnerRow]
    problems: list[ProblemRow]
    rules: list[RuleRow]
    skipped: list[Skipped]
    gradebook_columns: list[tuple[str, str, str, int | None]]  # pack, lesson, title, problem count (None: unknown)
    gradebook: list[list[float | int | None]]  # per learner, per column: percent solved (known) / solved count

    def as_json(self) -> dict[str, Any]:
        return {
            "learners": [{"learner": row.learner, "file": row.file, "lessons_done": row.lessons_done,
                          "lessons_started": row.lessons_started, "problems_attempted": row.problems_attempted,
                          "problems_solved": row.problems_solved, "first_try": row.first_try,
                          "first_try_rate": _rounded(row.first_try_rate), "answers": row.answers,
                          "seconds": round(row.seconds, 3)} for row in self.learners],
            "problems": [{"pack_id": row.pack_id, "lesson_id": row.lesson_id, "problem_id": row.problem_id,
                          "learners": row.learners, "attempts": row.attempts, "first_try": row.first_try,
                          "first_try_rate": _rounded(row.first_try_rate), "solved": row.solved}
                         for row in self.problems],
            "rules": [{"diagnosis": row.diagnosis, "words": row.words, "learners": row.learners,
                       "share": _rounded(row.share), "answers": row.answers} for row in self.rules],
            "skipped": [{"file": item.file, "reason": item.reason} for item in self.skipped],
        }

    def write_csv(self, handle: TextIO) -> None:
        """The gradebook: one row per learner, one column per lesson (percent of its problems solved)."""
        writer = csv.writer(handle, lineterminator="\r\n")
        lesson_headers = [f"{pack}/{lesson} (% solved)" if count is not None else f"{pack}/{lesson} (problems solved)"
                          for pack, lesson, _title, count in self.gradebook_columns]
        writer.writerow(["learner", "file", "lessons done", "problems solved", "first-try %", "minutes",
                         *lesson_headers])
        for row, cells in zip(self.learners, self.gradebook):
            rate = row.first_try_rate
            writer.writerow([_cell(row.learner), _cell(row.file), row.lessons_done, row.problems_solved,
                             "" if rate is None else round(100 * rate, 1), round(row.seconds / 60, 1),
                             *("" if cell is None else cell for cell in cells)])


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _cell(text: str) -> str:
    """Text a spreadsheet would run as a formula gets a leading apostrophe (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def build_report(learners: Sequence[LearnerExport], lessons: Sequence[Lesson],
                 skipped: Sequence[Skipped] = ()) -> ClassReport:
    lesson_of: dict[tuple[str, str], Lesson] = {}
    for lesson in lessons:
        if lesson.problem_ids:
            lesson_of[(lesson.pack_id, lesson.lesson_id)] = lesson
    packs_used = {pack for learner in learners for pack, _ in learner.problems}
    columns: list[tuple[str, str, str, int | None]] = [
        (lesson.pack_id, lesson.lesson_id, lesson.title, len(lesson.problem_ids))
        for lesson in lesson_of.values() if lesson.pack_id in packs_used]
    unknown = sorted({(pack, record.lesson_id) for learner in learners for (pack, _), record in learner.problems.items()
                      if (pack, record.lesson_id) not in lesson_of})
    columns += [(pack, lesson, lesson, None) for pack, lesson in unknown]

    learner_rows, gradebook = [], []
    problem_totals: dict[tuple[str, str], list[Any]] = {}
    rule_learners: Counter[str] = Counter()
    rule_answers: Counter[str] = Counter()
    for learner in learners:
        solved = {key for key, record in learner.problems.items() if record.solved}
        lessons_started = {(pack, record.lesson_id) for (pack, _), record in learner.problems.items()}
        done = sum(all((lesson.pack_id, problem) in solved for problem in lesson.problem_ids)
                   for lesson in lesson_of.values() if (lesson.pack_id, lesson.lesson_id) in lessons_started)
        first_try = sum(record.first_correct for record in learner.problems.values())
        learner_rows.append(LearnerRow(learner.label, learner.file, done, len(lessons_started), len(learner.problems),
                                       len(solved), first_try, learner.answers, learner.seconds))
        cells: list[float | int | None] = []
        for pack, lesson_id, _title, count in columns:
            if count is not None:
                lesson = lesson_of[(pack, lesson_id)]
                cells.append(round(100 * sum((pack, problem) in solved for problem in lesson.problem_ids) / count, 1))
            else:
                cells.append(sum(1 for (p, _), record in learner.problems.items()
                                 if p == pack and record.lesson_id == lesson_id and record.solved))
        gradebook.append(cells)
        for (pack, problem), record in learner.problems.items():
            totals = problem_totals.setdefault((pack, problem), [record.lesson_id, 0, 0, 0, 0])
            totals[1] += 1
            totals[2] += record.attempts
            totals[3] += record.first_correct
            totals[4] += record.solved
        for diagnosis, count in learner.mistakes.items():
            rule_learners[diagnosis] += 1
            rule_answers[diagnosis] += count
    problems = [ProblemRow(pack, values[0], problem, values[1], values[2], values[3], values[4])
                for (pack, problem), values in problem_totals.items()]
    problems.sort(key=lambda row: (row.first_try_rate, -row.learners, -row.attempts, row.pack_id, row.problem_id))
    class_size = len(learners)
    rules = [RuleRow(diagnosis, rule_words(diagnosis), count, count / class_size, rule_answers[diagnosis])
             for diagnosis, count in rule_learners.items()]
    rules.sort(key=lambda row: (-row.learners, -row.answers, row.diagnosis))
    return ClassReport(learner_rows, problems, rules, list(skipped), columns, gradebook)


def class_report(paths: Sequence[Path], lessons: Sequence[Lesson]) -> ClassReport:
    learners, skipped = read_class(paths)
    return build_report(learners, lessons, skipped)


__all__ = ["CHUNK_CHARS", "ClassReport", "Lesson", "LearnerExport", "LearnerRow", "ProblemRow", "RuleRow",
           "Skipped", "build_report", "class_report", "read_class", "read_export", "rule_words"]
