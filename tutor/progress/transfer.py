"""Progress as a JSON document: export, validation, merge-import.

Format (``format_version`` 1)::

    {"format": "backprop-tutor-progress", "format_version": 1, "exported_at": "2025-...+00:00",
     "attempts":     [{"uid", "pack_id", "pack_version", "lesson_id", "problem_id", "variant_seed",
                       "answer_text", "verdict", "diagnosis", "hints_used", "seconds", "answered_at"}, ...],
     "review_cards": [{"pack_id", "problem_id", "lesson_id", "card": <fsrs Card.to_dict()>}, ...],
     "review_log":   [{"uid", "pack_id", "problem_id", "lesson_id", "rating", "reviewed_at",
                       "duration_ms", "attempt_uid"}, ...]}

Import *merges*: attempts and review entries are identified by ``uid``, so importing the same file twice
adds nothing the second time, and exporting a store that was filled only by an import gives back the same
document (apart from ``exported_at``). For a problem that has a review card on both sides, the card
reviewed most recently wins. The whole document is validated before anything is written, and the write
is one transaction, so a rejected file changes nothing. Errors name the entry and field, e.g.
``progress.json: attempts[3].verdict: Input should be 'correct', ...``.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from tutor.progress.model import (
    Attempt,
    ImportSummary,
    ProgressError,
    ProgressImportError,
    Verdict,
    format_timestamp,
    parse_timestamp,
)

if TYPE_CHECKING:
    from tutor.progress.store import ProgressStore

FORMAT_NAME = "backprop-tutor-progress"
FORMAT_VERSION = 1


def _aware_timestamp(text: str) -> str:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not an ISO 8601 date-time: {text!r}") from None
    if moment.tzinfo is None:
        raise ValueError(f"date-time has no timezone: {text!r}")
    _check_in_range(moment, text)
    return text


# Later moments leave no room for the scheduler to add an interval (datetime ends at year 9999).
LATEST_ACCEPTED = datetime(3000, 1, 1, tzinfo=UTC)


def _check_in_range(moment: datetime, text: str) -> None:
    try:
        in_utc = moment.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValueError(f"date-time is outside the supported range once converted to UTC: {text!r}") from None
    if in_utc >= LATEST_ACCEPTED:
        raise ValueError(f"date-time is after {LATEST_ACCEPTED.year}-01-01: {text!r}")


def _first_surrogate(value: Any, parts: tuple[Any, ...] = ()) -> tuple[Any, ...] | None:
    """Where the first text with a lone surrogate (unencodable as UTF-8) sits, or None."""
    stack: list[tuple[tuple[Any, ...], Any]] = [(parts, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return where
        elif isinstance(item, dict):
            stack.extend((where + (key,), child) for key, child in reversed(list(item.items())))
            if any(isinstance(key, str) and _first_surrogate(key) is not None for key in item):
                return where
        elif isinstance(item, list):
            stack.extend((where + (index,), child) for index, child in reversed(list(enumerate(item))))
    return None


Timestamp = Annotated[str, AfterValidator(_aware_timestamp)]
Identifier = Annotated[str, Field(min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class AttemptEntry(_Strict):
    uid: Identifier
    pack_id: Identifier
    pack_version: str
    lesson_id: Identifier
    problem_id: Identifier
    variant_seed: Annotated[int, Field(ge=-(2**63), lt=2**63)] | None
    answer_text: str
    verdict: Literal["correct", "incorrect", "invalid", "unchecked", "gave-up"]
    diagnosis: str | None
    hints_used: Annotated[int, Field(ge=0)]
    seconds: Annotated[float, Field(ge=0)]
    answered_at: Timestamp


class CardEntry(_Strict):
    pack_id: Identifier
    problem_id: Identifier
    lesson_id: Identifier
    card: dict[str, Any]


class ReviewEntry(_Strict):
    uid: Identifier
    pack_id: Identifier
    problem_id: Identifier
    lesson_id: Identifier
    rating: Annotated[int, Field(ge=1, le=4)]
    reviewed_at: Timestamp
    duration_ms: Annotated[int, Field(ge=0)] | None
    attempt_uid: str | None


class ProgressDocument(_Strict):
    format: Literal["backprop-tutor-progress"]
    format_version: Literal[1]
    exported_at: Timestamp
    attempts: list[AttemptEntry]
    review_cards: list[CardEntry]
    review_log: list[ReviewEntry]


# ------------------------------------------------------------------------------------------------ export

def collect(connection: sqlite3.Connection, *, exported_at: datetime) -> dict[str, Any]:
    attempts = [
        {"uid": uid, "pack_id": pack_id, "pack_version": pack_version, "lesson_id": lesson_id,
         "problem_id": problem_id, "variant_seed": variant_seed, "answer_text": answer_text, "verdict": verdict,
         "diagnosis": diagnosis, "hints_used": hints_used, "seconds": float(seconds), "answered_at": answered_at}
        for (uid, pack_id, pack_version, lesson_id, problem_id, variant_seed, answer_text, verdict, diagnosis,
             hints_used, seconds, answered_at) in connection.execute(
            "SELECT uid, pack_id, pack_version, lesson_id, problem_id, variant_seed, answer_text, verdict, diagnosis, "
            "hints_used, seconds, answered_at FROM attempts ORDER BY answered_at, id")
    ]
    cards = [
        {"pack_id": pack_id, "problem_id": problem_id, "lesson_id": lesson_id, "card": json.loads(card_json)}
        for pack_id, problem_id, lesson_id, card_json in connection.execute(
            "SELECT pack_id, problem_id, lesson_id, card_json FROM review_cards ORDER BY pack_id, problem_id")
    ]
    review_log = [
        {"uid": uid, "pack_id": pack_id, "problem_id": problem_id, "lesson_id": lesson_id, "rating": rating,
         "reviewed_at": reviewed_at, "duration_ms": duration_ms, "attempt_uid": attempt_uid}
        for uid, pack_id, problem_id, lesson_id, rating, reviewed_at, duration_ms, attempt_uid in connection.execute(
            "SELECT uid, pack_id, problem_id, lesson_id, rating, reviewed_at, duration_ms, attempt_uid "
            "FROM review_log ORDER BY reviewed_at, id")
    ]
    return {"format": FORMAT_NAME, "format_version": FORMAT_VERSION, "exported_at": format_timestamp(exported_at),
            "attempts": attempts, "review_cards": cards, "review_log": review_log}


def write_json(document: dict[str, Any], path: Path) -> None:
    """Write atomically, so an interrupted export never leaves half a file under the real name."""
    directory = path.parent if str(path.parent) else Path(".")
    temporary_name = None
    try:
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=directory, prefix=f".{path.name}.",
                                         suffix=".tmp", delete=False) as handle:
            temporary_name = handle.name
            json.dump(document, handle, indent=2, ensure_ascii=False, allow_nan=False)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary_name, path)
    except OSError as error:
        if temporary_name is not None and os.path.exists(temporary_name):
            os.unlink(temporary_name)
        raise ProgressError(f"cannot write {path}: {error.strerror or error}") from None


# ------------------------------------------------------------------------------------------------ import

def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in a progress file")


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProgressImportError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ProgressImportError(f"{path}: is a folder, not a progress export") from None
    except UnicodeDecodeError:
        raise ProgressImportError(f"{path}: not UTF-8 text, so not a progress export") from None
    except OSError as error:
        raise ProgressImportError(f"{path}: cannot read: {error.strerror or error}") from None
    return parse_json_text(text, source=str(path))


def parse_json_text(text: str, *, source: str) -> Any:
    try:
        return json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as error:
        raise ProgressImportError(f"{source}:{error.lineno}:{error.colno}: not valid JSON: {error.msg}") from None
    except ValueError as error:
        raise ProgressImportError(f"{source}: not a valid progress file: {error}") from None
    except RecursionError:
        raise ProgressImportError(f"{source}: nested too deeply to be a progress export") from None


def _location(parts: tuple[Any, ...]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def validate(data: Any, *, source: str) -> ProgressDocument:
    """The validated document, or ProgressImportError naming the first problem (and how many more)."""
    if not isinstance(data, dict):
        raise ProgressImportError(f"{source}: not a progress export: expected a JSON object at the top level, "
                                  f"got {type(data).__name__}")
    if (where := _first_surrogate(data)) is not None:
        raise ProgressImportError(f"{source}: {_location(where)}: text holds a lone surrogate "
                                  "(half of a UTF-16 pair), which is not a character")
    if "format" not in data:
        raise ProgressImportError(f"{source}: not a progress export: it has no \"format\" field")
    if data.get("format") == FORMAT_NAME and isinstance(data.get("format_version"), int) \
            and not isinstance(data.get("format_version"), bool) and data["format_version"] > FORMAT_VERSION:
        raise ProgressImportError(f"{source}: format_version {data['format_version']} comes from a newer "
                                  f"backprop-tutor; this one reads version {FORMAT_VERSION}")
    if data["format"] != FORMAT_NAME:
        raise ProgressImportError(f"{source}: format: expected {FORMAT_NAME!r}, got {data['format']!r} "
                                  "(not a backprop-tutor progress export)")
    try:
        document = ProgressDocument.model_validate(data)
    except ValidationError as error:
        problems = error.errors(include_url=False)
        first = problems[0]
        more = f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})" if len(problems) > 1 else ""
        message = first["msg"].removeprefix("Value error, ")
        raise ProgressImportError(f"{source}: {_location(first['loc'])}: {message}{more}") from None
    _check_unique(source, "attempts", [entry.uid for entry in document.attempts], "uid")
    _check_unique(source, "review_log", [entry.uid for entry in document.review_log], "uid")
    _check_unique(source, "review_cards", [f"{entry.pack_id}/{entry.problem_id}" for entry in document.review_cards],
                  "pack_id/problem_id")
    for index, entry in enumerate(document.review_cards):
        _card_from_entry(entry, f"{source}: review_cards[{index}].card")
    return document


def _check_unique(source: str, section: str, keys: list[str], what: str) -> None:
    seen: dict[str, int] = {}
    for index, key in enumerate(keys):
        if key in seen:
            raise ProgressImportError(f"{source}: {section}[{index}].{what.split('/')[0]}: {what} {key!r} "
                                      f"repeats {section}[{seen[key]}]")
        seen[key] = index


def _card_from_entry(entry: CardEntry, where: str) -> Any:
    from fsrs import Card

    try:
        card = Card.from_dict(entry.card)  # type: ignore[arg-type]
    except (KeyError, TypeError, ValueError) as error:
        detail = f"missing field {error}" if isinstance(error, KeyError) else str(error)
        raise ProgressImportError(f"{where}: not a valid review card: {detail}") from None
    extra = set(entry.card) - {"card_id", "state", "step", "stability", "difficulty", "due", "last_review"}
    if extra:
        raise ProgressImportError(f"{where}: unknown field {sorted(extra)[0]!r}")
    for name in ("due", "last_review"):
        moment = getattr(card, name)
        if moment is not None and moment.tzinfo is None:
            raise ProgressImportError(f"{where}.{name}: date-time has no timezone")
        if moment is not None:
            try:
                _check_in_range(moment, moment.isoformat())
            except ValueError as error:
                raise ProgressImportError(f"{where}.{name}: {error}") from None
    card.due = card.due.astimezone(UTC)
    if card.last_review is not None:
        card.last_review = card.last_review.astimezone(UTC)
    return card


def merge(store: ProgressStore, connection: sqlite3.Connection, document: ProgressDocument) -> ImportSummary:
    known_attempts = {row[0] for row in connection.execute("SELECT uid FROM attempts")}
    added = already = 0
    for entry in document.attempts:
        if entry.uid in known_attempts:
            already += 1
            continue
        attempt = Attempt(pack_id=entry.pack_id, pack_version=entry.pack_version, lesson_id=entry.lesson_id,
                          problem_id=entry.problem_id, answer_text=entry.answer_text, verdict=Verdict(entry.verdict),
                          variant_seed=entry.variant_seed, diagnosis=entry.diagnosis, hints_used=entry.hints_used,
                          seconds=entry.seconds, answered_at=parse_timestamp(entry.answered_at))
        store.insert_attempt(connection, attempt, uid=entry.uid)
        known_attempts.add(entry.uid)
        added += 1
    cards_added = cards_updated = 0
    for card_entry in document.review_cards:
        card = _card_from_entry(card_entry, "review card")
        existing_json = store.card_row(connection, card_entry.pack_id, card_entry.problem_id)
        if existing_json is not None:
            existing_last = json.loads(existing_json).get("last_review")
            incoming_last = card.last_review
            if incoming_last is None or (existing_last is not None and parse_timestamp(existing_last) >= incoming_last):
                continue
            cards_updated += 1
        else:
            cards_added += 1
        store.put_card(connection, pack_id=card_entry.pack_id, problem_id=card_entry.problem_id,
                       lesson_id=card_entry.lesson_id,
                       card_json=card.to_json(), due_at=card.due)
    entries_added = 0
    for review in document.review_log:
        entries_added += store.insert_review_entry(
            connection, pack_id=review.pack_id, problem_id=review.problem_id, lesson_id=review.lesson_id,
            rating=review.rating, reviewed_at=parse_timestamp(review.reviewed_at), duration_ms=review.duration_ms,
            attempt_uid=review.attempt_uid, uid=review.uid)
    return ImportSummary(attempts_added=added, attempts_already_present=already, cards_added=cards_added,
                         cards_updated=cards_updated, review_entries_added=entries_added)
