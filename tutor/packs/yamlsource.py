"""Read YAML safely and remember where every node came from.

PyYAML's ``SafeLoader`` builds plain dicts and lists, forgetting positions. We subclass it so
each mapping and sequence records the start mark of every key and value, then walk the result
once to build a map from data path (``("steps", 2, "program")``) to line and column. Error
messages anywhere in the pack code can then point at the exact YAML node at fault.

Guards: a size limit on the file, a limit on the number of nodes after alias expansion (a
"billion laughs" file would otherwise expand exponentially in the validator), and duplicate
keys are errors instead of PyYAML's silent "last one wins".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

MAX_FILE_BYTES = 2_000_000
MAX_EXPANDED_NODES = 200_000

DataPath = tuple[Any, ...]


@dataclass(frozen=True)
class Position:
    """1-based line and column in a file."""

    line: int
    column: int


@dataclass(frozen=True)
class ScalarInfo:
    """How a string scalar was written, so a column inside it can be mapped back to the file."""

    style: str | None  # None (plain), "'", '"', "|", ">"
    single_line: bool


@dataclass
class PositionMap:
    """Data path -> position of the value (and, for mapping entries, of the key)."""

    values: dict[DataPath, Position] = field(default_factory=dict)
    keys: dict[DataPath, Position] = field(default_factory=dict)
    scalars: dict[DataPath, ScalarInfo] = field(default_factory=dict)

    def of_value(self, path: DataPath) -> Position:
        """The value at ``path``, or the nearest enclosing node that exists."""
        for length in range(len(path), -1, -1):
            position = self.values.get(tuple(path[:length]))
            if position is not None:
                return position
        return Position(1, 1)

    def of_key(self, path: DataPath) -> Position:
        """The key of the mapping entry at ``path`` (falls back to the value's position)."""
        return self.keys.get(tuple(path)) or self.of_value(path)

    def inside_string(self, path: DataPath, column: int, line: int = 1) -> Position:
        """Where character ``column`` (1-based) of line ``line`` of the string at ``path`` sits in the file.

        Exact for plain and quoted one-line scalars and for block scalars (``|``) whose lines are
        indented uniformly; otherwise the start of the value.
        """
        start = self.of_value(path)
        info = self.scalars.get(tuple(path))
        if info is None:
            return start
        if info.style in (None, "'", '"') and info.single_line and line == 1:
            opening_quote = 1 if info.style in ("'", '"') else 0
            return Position(start.line, start.column + opening_quote + column - 1)
        if info.style == "|" and (block_start := self.values.get(tuple(path) + ("<block>",))) is not None:
            return Position(block_start.line + line - 1, block_start.column + column - 1)
        return start


class YamlLoadError(Exception):
    def __init__(self, message: str, position: Position) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


@dataclass
class YamlDocument:
    data: Any
    positions: PositionMap
    duplicate_keys: list[tuple[str, Position, Position]]  # key, where repeated, where first written


def _position(mark: yaml.Mark) -> Position:
    return Position(mark.line + 1, mark.column + 1)


class _RecordingConstructor(yaml.constructor.SafeConstructor):
    """SafeConstructor that records node marks per constructed container (by object id)."""

    def start_recording(self) -> None:
        self.mapping_marks: dict[int, dict[Any, tuple[yaml.Node, yaml.Node]]] = {}
        self.sequence_marks: dict[int, list[yaml.Node]] = {}
        self.containers: list[Any] = []  # keeps ids valid while we read them
        self.duplicate_keys: list[tuple[str, Position, Position]] = []

    def construct_recorded_mapping(self, node: yaml.MappingNode) -> Iterator[dict[Any, Any]]:
        data: dict[Any, Any] = {}
        self.containers.append(data)
        yield data
        self.flatten_mapping(node)  # resolves "<<" merge keys into plain entries
        marks: dict[Any, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=False)
            try:
                hash(key)
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark, "found a key that is not text or a number",
                    key_node.start_mark,
                ) from None
            if key in marks:
                self.duplicate_keys.append(
                    (str(key), _position(key_node.start_mark), _position(marks[key][0].start_mark))
                )
            data[key] = self.construct_object(value_node, deep=False)
            marks[key] = (key_node, value_node)
        self.mapping_marks[id(data)] = marks

    def construct_recorded_sequence(self, node: yaml.SequenceNode) -> Iterator[list[Any]]:
        data: list[Any] = []
        self.containers.append(data)
        yield data
        data.extend(self.construct_object(child, deep=False) for child in node.value)
        self.sequence_marks[id(data)] = list(node.value)


# types-PyYAML wants a constructor's `self` to be a whole Loader; ours is a mixin of one, hence the ignores.
_RecordingConstructor.add_constructor(  # type: ignore[type-var]
    "tag:yaml.org,2002:map", _RecordingConstructor.construct_recorded_mapping
)
_RecordingConstructor.add_constructor(  # type: ignore[type-var]
    "tag:yaml.org,2002:seq", _RecordingConstructor.construct_recorded_sequence
)
# Sets and ordered maps are not part of the format; refusing them keeps every container a dict or list.
for _tag in ("tag:yaml.org,2002:set", "tag:yaml.org,2002:omap", "tag:yaml.org,2002:pairs"):
    _RecordingConstructor.add_constructor(_tag, yaml.constructor.SafeConstructor.construct_undefined)  # type: ignore[type-var]


class _Resolver(yaml.resolver.Resolver):
    pass


# YAML 1.1 (PyYAML) reads 1e-5 as text because it wants a dot in the mantissa; YAML 1.2, which
# editors use, reads it as a number. Authors write 1e-5, so we accept the 1.2 form too.
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


class _PurePythonLoader(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser, yaml.composer.Composer,
                        _RecordingConstructor, _Resolver):
    def __init__(self, stream: str) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        _RecordingConstructor.__init__(self)
        _Resolver.__init__(self)
        self.start_recording()


if yaml.__with_libyaml__:
    # libyaml parses about ten times faster; construction (and so the recording) stays in Python.
    class _LibyamlLoader(yaml.cyaml.CParser, _RecordingConstructor, _Resolver):  # type: ignore[name-defined,misc]
        def __init__(self, stream: str) -> None:
            yaml.cyaml.CParser.__init__(self, stream)  # type: ignore[attr-defined]  # the stubs do not export CParser
            _RecordingConstructor.__init__(self)
            _Resolver.__init__(self)
            self.start_recording()

    _PositionRecordingLoader: type = _LibyamlLoader
else:  # pragma: no cover - PyYAML built without libyaml
    _PositionRecordingLoader = _PurePythonLoader


def _record_scalar(positions: PositionMap, path: DataPath, node: yaml.Node, lines: list[str]) -> None:
    if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:str":
        single_line = node.start_mark.line == node.end_mark.line
        positions.scalars[path] = ScalarInfo(node.style or None, single_line)  # libyaml says "" for plain
        if node.style == "|" and node.start_mark.line + 1 < len(lines):
            # Block content starts on the line after the indicator, at the block's indentation.
            first = lines[node.start_mark.line + 1]
            indent = len(first) - len(first.lstrip(" "))
            positions.values[path + ("<block>",)] = Position(node.start_mark.line + 2, indent + 1)


def _build_position_map(loader: Any, root: Any, root_node: yaml.Node, lines: list[str]) -> PositionMap:
    positions = PositionMap()
    positions.values[()] = _position(root_node.start_mark)
    _record_scalar(positions, (), root_node, lines)
    budget = [MAX_EXPANDED_NODES]
    stack: list[tuple[DataPath, Any]] = [((), root)]
    while stack:
        path, value = stack.pop()
        budget[0] -= 1
        if budget[0] < 0:
            raise YamlLoadError(
                f"the file has more than {MAX_EXPANDED_NODES} nodes once aliases (*name) are expanded",
                positions.values[()],
            )
        if isinstance(value, dict):
            for key, (key_node, value_node) in loader.mapping_marks.get(id(value), {}).items():
                child = path + (key,)
                positions.keys[child] = _position(key_node.start_mark)
                positions.values[child] = _position(value_node.start_mark)
                _record_scalar(positions, child, value_node, lines)
                stack.append((child, value[key]))
        elif isinstance(value, list):
            for index, child_node in enumerate(loader.sequence_marks.get(id(value), [])):
                child = path + (index,)
                positions.values[child] = _position(child_node.start_mark)
                _record_scalar(positions, child, child_node, lines)
                stack.append((child, value[index]))
    return positions


def _check_node_graph(root_node: yaml.Node) -> None:
    """Refuse recursive aliases and alias bombs on the composed nodes, before anything is built.

    ``x: &r [*r]`` makes a node its own descendant; building data from it (and walking that data)
    never ends. We walk the node graph depth first, counting every node as often as aliases make
    it appear, and stop at the first node that is its own ancestor or past the expansion budget.
    """
    budget = MAX_EXPANDED_NODES
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root_node, False)]
    while stack:
        node, leaving = stack.pop()
        if leaving:
            on_path.discard(id(node))
            continue
        if id(node) in on_path:
            raise YamlLoadError("an alias (*name) refers to the node that contains it, so it would never end",
                                _position(node.start_mark))
        budget -= 1
        if budget < 0:
            raise YamlLoadError(
                f"the file has more than {MAX_EXPANDED_NODES} nodes once aliases (*name) are expanded",
                _position(node.start_mark),
            )
        if isinstance(node, (yaml.SequenceNode, yaml.MappingNode)):
            on_path.add(id(node))
            stack.append((node, True))
            if isinstance(node, yaml.SequenceNode):
                children = list(node.value)
            else:
                children = [child for pair in node.value for child in pair]
            stack.extend((child, False) for child in reversed(children))


def load_yaml_text(text: str, *, pure_python: bool = False) -> YamlDocument:
    """Parse one YAML document. Raises YamlLoadError with the position of the problem."""
    loader = (_PurePythonLoader if pure_python else _PositionRecordingLoader)(text)
    try:
        root_node = loader.get_single_node()
        if root_node is None:
            return YamlDocument(None, PositionMap(), [])
        _check_node_graph(root_node)
        data = loader.construct_document(root_node)
        positions = _build_position_map(loader, data, root_node, text.split("\n"))
        return YamlDocument(data, positions, loader.duplicate_keys)
    except yaml.MarkedYAMLError as error:
        if not pure_python and _PositionRecordingLoader is not _PurePythonLoader:
            # PyYAML's own parser words syntax errors better (names the alias, points at the end of
            # an unclosed bracket); errors are rare, so parse once more to report with its words.
            return load_yaml_text(text, pure_python=True)
        message, position = explain_syntax_error(error, text)
        raise YamlLoadError(message if message.startswith("YAML syntax") else f"YAML syntax: {message}",
                            position) from None
    except yaml.YAMLError as error:
        raise YamlLoadError(f"YAML syntax: {error}", Position(1, 1)) from None
    except RecursionError:
        raise YamlLoadError("the YAML is nested too deeply", Position(1, 1)) from None
    except ValueError as error:
        # Python refuses to read integers longer than its int-string limit (4,300 digits).
        raise YamlLoadError(f"a value cannot be read: {_first_words(str(error))}", Position(1, 1)) from None
    finally:
        loader.dispose()


_STARTS_SPECIAL = re.compile(r"^\s*(?:-\s+)*(?:[^\s:#][^:#]*?:\s+)?(?P<value>[{\[*&!%@`|>])")


def explain_syntax_error(error: yaml.MarkedYAMLError, text: str) -> tuple[str, Position]:
    """PyYAML's syntax error in plain words, with how to fix it, at the line and column it concerns."""
    mark = error.problem_mark or error.context_mark
    position = _position(mark) if mark is not None else Position(1, 1)
    problem = error.problem or "invalid YAML"
    context = error.context or ""
    lines = text.split("\n")

    def line_at(number: int) -> str:
        return lines[number - 1] if 0 < number <= len(lines) else ""

    line = line_at(position.line)
    if "'\\t'" in problem or "\t" in problem or line[: position.column].endswith("\t") or line.startswith("\t"):
        return ("YAML does not allow tabs for indentation; use spaces (two per level, the same as the lines "
                "around it)"), Position(position.line, line.index("\t") + 1 if "\t" in line else position.column)
    if "quoted scalar" in context and "end of stream" in problem:
        start = _position(error.context_mark) if error.context_mark is not None else position
        return ("this quoted string is never closed: end it with the same quote it starts with (\" or '); "
                "inside \"...\", write a \" as \\\""), start
    above = line_at(position.line - 1)
    if above.replace('\\"', "").count('"') % 2 == 1 and not above.rstrip().endswith("|"):
        # "unclosed<newline>version: "1" — the string ran on into the next line and ended at its first quote.
        return ("this quoted string is never closed on its line, so YAML read on into the next one: end it with "
                "the same quote it starts with"), Position(position.line - 1, above.index('"') + 1)
    if problem.startswith("mapping values are not allowed"):
        return ("': ' inside a value starts a mapping, so this value cannot be read; quote the string, e.g. "
                "title: \"Step 1: the forward pass\""), position
    if "undefined alias" in problem:
        return ("a value starting with * is read as a reference to an anchor (&name), and there is none by this "
                "name; quote the string, e.g. answer: \"*x\""), position
    if "cannot start any token" in problem:
        character = problem.split("'")[1] if problem.count("'") >= 2 else "this character"
        return (f"a plain value cannot start with {character}; quote the string, e.g. text: \"{character}...\""), position
    if context.startswith("while parsing a flow"):
        opening = _position(error.context_mark) if error.context_mark is not None else position
        bracket, closing, what = ("[", "]", "list") if "sequence" in context else ("{", "}", "mapping")
        return (f"the {what} opened with {bracket} at line {opening.line}, column {opening.column} is not closed "
                f"before this point, or two of its items have no comma between them: close it with {closing}; "
                f"if the value is text, quote it (\"{bracket}...\")"), position
    # The line holds a value that YAML reads as something else: {n} is a mapping, [..] a list, *x an alias.
    for number in (position.line,):
        match = _STARTS_SPECIAL.match(line_at(number))
        if match and match.group("value") in "{[*&!%@`":
            first = match.group("value")
            what = {"{": "a mapping", "[": "a list", "*": "an alias", "&": "an anchor", "!": "a tag"}.get(
                first, "a reserved character")
            written = line_at(number)[match.start("value"):].split(" #")[0].rstrip()
            key = line_at(number)[: match.start("value")].strip()
            example = f"{key} \"{written}\"" if key.endswith(":") and '"' not in written else \
                "prompt: \"{n} layers\""
            return (f"a value starting with {first} is read as {what}, not as text; quote the string: {example}"),\
                Position(number, match.start("value") + 1)
    if "expected <block end>" in problem or "expected <block mapping start>" in problem or \
            "could not find expected ':'" in problem:
        return ("the indentation here does not fit the lines above: the keys of one mapping, and the items (-) of "
                "one list, must start in the same column; indent with spaces, and quote a value that runs on "
                "over several lines (or use | for a block of text)"), position
    detail = f" ({context})" if context else ""
    return f"YAML syntax: {problem}{detail}", position


def _first_words(message: str) -> str:
    """Python's message up to the first ';' (the rest advises changing interpreter settings)."""
    return message.split(";", 1)[0]


def load_yaml_file(path: Path) -> YamlDocument:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise YamlLoadError(f"the file is {size} bytes; a pack file may have at most {MAX_FILE_BYTES}", Position(1, 1))
        raw = path.read_bytes()
    except OSError as error:
        raise YamlLoadError(f"cannot read the file: {error.strerror or error}", Position(1, 1)) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise YamlLoadError(f"the file is not UTF-8 text (byte {error.start})", Position(1, 1)) from None
    return load_yaml_text(text)
