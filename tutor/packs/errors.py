"""Pack errors located at ``file:line:column``, and the translation of pydantic's errors into them.

Pydantic reports a location as a tuple such as ``("steps", 1, "trace", "hint")`` in which some
items index the data and some name the member of a union that was tried (``"trace"``). We walk
that location alongside the model's type annotations, so we know which items are data keys and,
at every step, which model we are in: that gives the exact YAML node and, for unknown keys, the
list of keys the author could have meant.
"""

from __future__ import annotations

import difflib
import os
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Union

from pydantic import BaseModel, Tag, ValidationError

from tutor.packs.yamlsource import DataPath, Position, PositionMap


@dataclass(frozen=True)
class PackError:
    """One problem in a pack, pointing at the YAML node at fault."""

    file: Path
    line: int
    column: int
    message: str
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        return f"{display_path(self.file)}:{self.line}:{self.column}: {self.severity}: {self.message}"


def display_path(path: Path) -> str:
    """Relative to the working folder when the file is inside it, else as given."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)
    return str(path) if relative.startswith("..") else relative


@dataclass
class SourceFile:
    """A YAML file of a pack with its positions; ``prefix`` is where a lesson sits inside it."""

    path: Path
    positions: PositionMap

    def error_at(self, path: DataPath, message: str, *, key: bool = False) -> PackError:
        position = self.positions.of_key(path) if key else self.positions.of_value(path)
        return self.error_at_position(position, message)

    def error_at_position(self, position: Position, message: str) -> PackError:
        return PackError(self.path, position.line, position.column, message)


def did_you_mean(word: str, candidates: typing.Iterable[str]) -> str:
    """ "; did you mean 'hints'?" or "" when nothing is close."""
    options = [str(candidate) for candidate in candidates]
    matches = difflib.get_close_matches(str(word), options, n=1, cutoff=0.6)
    if not matches:
        # Swapped letters ("tsets") score low with difflib but are the commonest typo.
        matches = [option for option in options if sorted(option) == sorted(str(word))][:1]
    return f"; did you mean '{matches[0]}'?" if matches else ""


def describe_value(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{str(value).lower()} (true/false)"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the text {shown!r}"
    if isinstance(value, dict):
        if value and all(isinstance(key, str) for key in value) and all(item is None for item in value.values()):
            # answer: {n} — YAML reads unquoted braces as a mapping {n: null}, never as the placeholder.
            braces = "{" + ", ".join(value) + "}"
            return f"a mapping (YAML reads an unquoted {braces} as one); quote the string: \"{braces}\""
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


# --- walking a pydantic location along the model's annotations ------------------------------------


def _unwrap(annotation: Any) -> tuple[Any, list[Any]]:
    """Strip Annotated (collecting its metadata) and Optional."""
    metadata: list[Any] = []
    while typing.get_origin(annotation) is typing.Annotated:
        metadata.extend(annotation.__metadata__)
        annotation = typing.get_args(annotation)[0]
    if _is_union(annotation):
        members = [member for member in typing.get_args(annotation) if member is not type(None)]
        if len(members) == 1:
            return _unwrap(members[0])[0], metadata
    return annotation, metadata


def _is_union(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (Union, types.UnionType)


def _tagged_members(annotation: Any) -> dict[str, Any]:
    members = {}
    for member in typing.get_args(annotation):
        for item in getattr(member, "__metadata__", ()):
            if isinstance(item, Tag):
                members[item.tag] = member
    return members


def _field_by_alias(model: type[BaseModel], name: Any) -> tuple[str, Any] | None:
    for field_name, info in model.model_fields.items():
        if name in (info.alias, field_name):
            return (info.alias or field_name), info.annotation
    return None


def model_keys(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


@dataclass
class ResolvedLocation:
    data_path: DataPath
    model: type[BaseModel] | None  # the model whose field (or extra key) the last item names
    annotation: Any  # the annotation at the end of the walk (None when unknown)
    through_plain_union: bool  # a non-discriminated union was crossed: one error per member


def resolve_location(root: Any, loc: tuple[Any, ...]) -> ResolvedLocation:
    annotation: Any = root
    path: list[Any] = []
    model: type[BaseModel] | None = None
    plain_union = False
    for item in loc:
        annotation, _ = _unwrap(annotation)
        # Unions first: a tagged union consumes the tag, a plain one the member's description.
        while _is_union(annotation):
            tagged = _tagged_members(annotation)
            if tagged and item in tagged:
                annotation = _unwrap(tagged[item])[0]
                item = None
            elif not tagged:
                plain_union = True
                annotation = _pick_plain_union_member(annotation, item)
                item = None
            else:
                annotation = None
            break
        if item is None:
            continue
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
            found = _field_by_alias(annotation, item)
            path.append(found[0] if found else item)
            annotation = found[1] if found else None
        elif typing.get_origin(annotation) in (list, tuple):
            path.append(item)
            arguments = typing.get_args(annotation)
            if typing.get_origin(annotation) is tuple and isinstance(item, int) and item < len(arguments):
                annotation = arguments[item]
            else:
                annotation = arguments[0] if arguments else None
        elif typing.get_origin(annotation) is dict:
            path.append(item)
            annotation = typing.get_args(annotation)[1]
        elif annotation is None or isinstance(item, int) or not _is_description(item):
            path.append(item)
            annotation = None
    return ResolvedLocation(tuple(path), model, annotation, plain_union)


def _is_description(item: Any) -> bool:
    """Pydantic's names for validators and types inside a plain union, e.g. 'function-before[...]'."""
    return isinstance(item, str) and ("[" in item or item in {"str", "int", "float", "bool", "list", "dict"})


def _pick_plain_union_member(annotation: Any, description: Any) -> Any:
    for member in typing.get_args(annotation):
        inner = _unwrap(member)[0]
        if typing.get_origin(inner) is list and str(description).startswith("list"):
            return inner
    return None


# --- turning pydantic errors into PackErrors ---------------------------------------------------------


def errors_from_validation(
    error: ValidationError, root_model: Any, data: Any, source: SourceFile, prefix: DataPath = ()
) -> list[PackError]:
    """One PackError per pydantic error, at the YAML node at fault, with messages for authors."""
    results: list[PackError] = []
    details = error.errors(include_url=False)
    resolved_all = [resolve_location(root_model, tuple(detail["loc"])) for detail in details]
    # Each member of a plain union reports its own failure: gather what every member expected.
    union_expectations: dict[DataPath, list[str]] = {}
    for detail, resolved in zip(details, resolved_all):
        if resolved.through_plain_union:
            expected = _EXPECTED_BY_TYPE.get(detail["type"])
            if expected:
                union_expectations.setdefault(prefix + resolved.data_path, []).append(expected)
    union_paths = [prefix + resolved.data_path for resolved in resolved_all if resolved.through_plain_union]
    seen_union_paths: set[DataPath] = set()
    for detail, resolved in zip(details, resolved_all):
        path = prefix + resolved.data_path
        if resolved.through_plain_union:
            deeper = any(len(other) > len(path) and other[: len(path)] == path for other in union_paths)
            if path in seen_union_paths or deeper:
                # Keep the member that got furthest (a list whose item is wrong beats "not text").
                continue
            seen_union_paths.add(path)
            expectations = list(dict.fromkeys(union_expectations.get(path, [])))
            if "a number" in expectations and "a whole number" in expectations:
                expectations.remove("a whole number")
            if expectations and detail["type"] in _EXPECTED_BY_TYPE:
                message = f"expected {' or '.join(expectations)}, got {describe_value(detail.get('input'))}"
                message += _quoted_number_hint(detail.get("input"), expectations)
                results.append(source.error_at(path, message))
                continue
        message, at_key, path = _message_for(detail, resolved, data, path, prefix)
        results.append(source.error_at(path, message, key=at_key))
    return _sorted_unique(results)


def _value_at(data: Any, path: DataPath) -> Any:
    value = data
    for item in path:
        try:
            value = value[item]
        except (KeyError, IndexError, TypeError):
            return None
    return value


def _message_for(
    detail: Any, resolved: ResolvedLocation, data: Any, path: DataPath, prefix: DataPath
) -> tuple[str, bool, DataPath]:
    kind = detail["type"]
    value = detail.get("input")
    where = resolved.data_path
    last = where[-1] if where else None
    if kind == "missing":
        return f"missing required key '{last}'", False, path[:-1]
    if kind == "extra_forbidden":
        candidates = model_keys(resolved.model) if resolved.model else []
        present = _value_at(data, path[:-1])
        if isinstance(present, dict):
            candidates = [name for name in candidates if name not in present]
        hint = did_you_mean(str(last), candidates)
        return f"unknown key '{last}'{hint}", True, path
    if kind == "step_kind":
        if isinstance(value, dict) and "kind" in value:
            kinds = [kind_name for kind_name in _step_kinds()]
            hint = did_you_mean(str(value["kind"]), kinds)
            return (
                f"unknown problem kind {value['kind']!r}{hint} (kinds: {', '.join(kinds[1:])})",
                False,
                path + ("kind",),
            )
        if isinstance(value, dict):
            for key in value:
                hint = did_you_mean(str(key), ["kind", "text"])
                if hint:
                    return f"unknown key '{key}'{hint}", True, path + (key,)
            return "a step needs `text:` (Markdown) or `kind:` (a problem)", False, path
        return f"a step is a mapping with `text:` or `kind:`, not {describe_value(value)}", False, path
    if kind == "param_kind" and isinstance(value, dict):
        for key in value:
            hint = did_you_mean(str(key), ["int", "choice"])
            if hint and key not in ("not",):
                return f"unknown key '{key}'{hint}", True, path + (key,)
        return str(detail["msg"]), False, path
    if kind == "literal_error":
        allowed = [argument for argument in typing.get_args(_unwrap(resolved.annotation)[0])]
        names = [str(option) for option in allowed]
        what = "lab" if last == "lab" else "value"
        hint = did_you_mean(str(value), names)
        return f"unknown {what} {value!r}{hint} (allowed: {', '.join(names)})", False, path
    if kind == "value_error":
        message = str(detail["msg"]).removeprefix("Value error, ")
        return message, False, path
    if kind in _EXPECTED_BY_TYPE:
        message = f"expected {_EXPECTED_BY_TYPE[kind]}, got {describe_value(value)}"
        return message + _quoted_number_hint(value, [_EXPECTED_BY_TYPE[kind]]), False, path
    if kind == "too_short":
        minimum = detail.get("ctx", {}).get("min_length", 1)
        return f"'{last}' needs at least {minimum} item{'s' if minimum != 1 else ''}", False, path
    return str(detail["msg"]), False, path


def _quoted_number_hint(value: Any, expectations: list[str]) -> str:
    if isinstance(value, str) and any("number" in expected for expected in expectations):
        try:
            float(value)
        except ValueError:
            return ""
        return "; write the number without quotes"
    return ""


_EXPECTED_BY_TYPE = {
    "string_type": "text",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "tuple_type": "a list",
    "string_pattern_mismatch": "an id",
}


def _step_kinds() -> list[str]:
    from tutor.packs.models import STEP_KINDS

    return list(STEP_KINDS)


def _sorted_unique(errors: list[PackError]) -> list[PackError]:
    unique = list(dict.fromkeys(errors))
    return sorted(unique, key=lambda error: (str(error.file), error.line, error.column))


__all__ = [
    "PackError", "SourceFile", "describe_value", "did_you_mean", "display_path",
    "errors_from_validation", "model_keys", "resolve_location",
]
