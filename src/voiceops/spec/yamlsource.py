"""Read YAML files into plain data while remembering where every value came from.

PyYAML accepts duplicate keys silently and expands aliases without bound, and YAML 1.1
turns words like `no` and `on` into booleans. This loader refuses the first two and
remembers the third, so schema errors can explain it.

Positions are kept compactly: the start of every key and value, in the depth-first order
of the loaded data, packed into one integer array. A location is found by walking the data
along a path and counting, which only happens when something is reported.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import stat
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol, cast

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from voiceops.errors import Location, VoiceopsError

MAX_FILE_BYTES = 1024 * 1024
# Specs are a few levels deep; anything far deeper is a mistake or an attack on the parser.
MAX_DEPTH = 64
YamlPath = tuple[str | int, ...]

_BaseLoader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR_TAG = "tag:yaml.org,2002:str"
_NULL_TAG = "tag:yaml.org,2002:null"
_BOOL_TAG = "tag:yaml.org,2002:bool"
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_SHIFT = 32
_COL_MASK = (1 << _SHIFT) - 1
# libyaml's composer recurses in C for each nesting level and crashes on a few hundred
# thousand levels, which fit in 1 MiB as brackets (`[[[`) or compact block collections
# (`- - -`, `? ? ?`). Nesting by indentation costs quadratic space and cannot get that deep.
# When either form could be deep, nesting is measured from tokens before composing.
_BRACKETS_BEFORE_SCAN = 2 * MAX_DEPTH
_COMPACT_NESTING = re.compile(r"[-?][ \t]+[-?][ \t]")
_OPENING_TOKENS = (
    yaml.FlowSequenceStartToken,
    yaml.FlowMappingStartToken,
    yaml.BlockSequenceStartToken,
    yaml.BlockMappingStartToken,
)
_CLOSING_TOKENS = (yaml.FlowSequenceEndToken, yaml.FlowMappingEndToken, yaml.BlockEndToken)


class _Loader(_BaseLoader):  # type: ignore[misc]
    """The safe loader, resolving implicit tags without the general resolver's detours:
    it is called for every node, and most plain scalars can only be strings."""

    _IMPLICIT: ClassVar[dict[str, tuple[tuple[str, re.Pattern[str]], ...]]] = {
        first: tuple(resolvers)
        for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
        if first is not None
    }

    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode:
            if implicit[0]:
                for tag, pattern in self._IMPLICIT.get(value[:1], ()):
                    if pattern.match(value):
                        return tag
            return _STR_TAG
        return _MAP_TAG if kind is MappingNode else _SEQ_TAG


_constructor = yaml.constructor.SafeConstructor()
_BOOL_VALUES: dict[str, bool] = _constructor.bool_values


class Positions(Protocol):
    """Where the values of a document are written: a `YamlDocument`, or a view of one that
    maps paths elsewhere (an environment's effective document)."""

    @property
    def source(self) -> str: ...

    def location(self, path: YamlPath, *, key: bool = False) -> Location: ...

    def surprise(self, path: YamlPath) -> str | None: ...


@dataclass(eq=False)
class YamlDocument:
    """One YAML document: its data, and the position of every value and key in it.

    `data` must not be changed after loading: positions are found by walking it.
    """

    data: Any
    source: str
    index: int = 0
    # Start of each key and value (line << 32 | column, both from 0), depth first.
    marks: array[int] = field(default_factory=lambda: array("Q"), repr=False)
    # Plain scalars that YAML 1.1 turned into something other than the text (`no` -> False),
    # by their index in `marks`.
    surprising: dict[int, str] = field(default_factory=dict, repr=False)

    def location(self, path: YamlPath, *, key: bool = False) -> Location:
        """Where `path` is written: its key (with `key=True`, when it has one) or its value.
        Falls back to the nearest enclosing key or value that exists."""
        key_at, value_at, found = self._find(path)
        at = key_at if key_at is not None and (key or not found) else value_at
        if at >= len(self.marks):
            return Location(self.source, 1, 1)
        mark = self.marks[at]
        return Location(self.source, (mark >> _SHIFT) + 1, (mark & _COL_MASK) + 1)

    def surprise(self, path: YamlPath) -> str | None:
        """The text YAML 1.1 read as something else at `path`, if it did."""
        if not self.surprising:
            return None
        _, value_at, found = self._find(path)
        return self.surprising.get(value_at) if found else None

    @property
    def surprises(self) -> dict[YamlPath, str]:
        if not self.surprising:
            return {}
        paths = self._paths()
        return {paths[i][0]: text for i, text in self.surprising.items()}

    @property
    def value_positions(self) -> dict[YamlPath, tuple[int, int]]:
        return {
            path: self._position(i) for i, (path, is_key) in enumerate(self._paths()) if not is_key
        }

    @property
    def key_positions(self) -> dict[YamlPath, tuple[int, int]]:
        return {path: self._position(i) for i, (path, is_key) in enumerate(self._paths()) if is_key}

    def _position(self, at: int) -> tuple[int, int]:
        mark = self.marks[at]
        return (mark >> _SHIFT) + 1, (mark & _COL_MASK) + 1

    def _find(self, path: YamlPath) -> tuple[int | None, int, bool]:
        """(index of the key, index of the value, whether the whole path exists); when it
        does not, the indices are those of the deepest part that does."""
        data = self.data
        key_at: int | None = None
        value_at = 0
        for part in path:
            if isinstance(data, dict) and isinstance(part, str) and part in data:
                at = value_at + 1
                for name, child in data.items():
                    if name == part:
                        key_at, value_at, data = at, at + 1, child
                        break
                    at += 1 + _size(child)
            elif isinstance(data, list) and type(part) is int and 0 <= part < len(data):
                at = value_at + 1
                for child in data[:part]:
                    at += _size(child)
                key_at, value_at, data = None, at, data[part]
            else:
                return key_at, value_at, False
        return key_at, value_at, True

    def _paths(self) -> list[tuple[YamlPath, bool]]:
        """(path, is a key) for every entry of `marks`, in the same order."""
        out: list[tuple[YamlPath, bool]] = []

        def visit(value: Any, path: YamlPath) -> None:
            out.append((path, False))
            if isinstance(value, dict):
                for name, child in value.items():
                    out.append(((*path, name), True))
                    visit(child, (*path, name))
            elif isinstance(value, list):
                for i, child in enumerate(value):
                    visit(child, (*path, i))

        visit(self.data, ())
        return out


def _size(value: Any) -> int:
    """How many entries of `marks` a value and everything inside it take up."""
    if isinstance(value, dict):
        return 1 + sum(1 + _size(child) for child in value.values())
    if isinstance(value, list):
        return 1 + sum(_size(child) for child in value)
    return 1


def read_text(path: Path, source: str) -> str:
    """File contents as text, refusing oversized files, anything but a regular file (a FIFO
    or a device could block or never end), and bytes that are not UTF-8."""
    try:
        raw = _read_regular_file(path, source)
    except OSError as exc:
        raise VoiceopsError(
            f"cannot read the file: {exc.strerror or exc}", Location(source)
        ) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        line = raw.count(b"\n", 0, exc.start) + 1
        # Columns count characters, as editors do; everything before the bad byte decodes.
        col = len(raw[line_start : exc.start].decode("utf-8-sig")) + 1
        raise VoiceopsError(
            f"byte 0x{raw[exc.start]:02x} is not valid UTF-8; save the file as UTF-8",
            Location(source, line, col),
        ) from None


def _read_regular_file(path: Path, source: str) -> bytes:
    # Opened without blocking, so that a FIFO is refused instead of waited on.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise VoiceopsError(
                f"is {_file_kind(info.st_mode)}, not a regular file; voiceops reads only files",
                Location(source),
            )
        if info.st_size > MAX_FILE_BYTES:
            raise _too_large(info.st_size, source)
        raw = file.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:  # it grew since fstat
        raise _too_large(len(raw), source)
    return raw


def _too_large(size: int, source: str) -> VoiceopsError:
    return VoiceopsError(
        f"file is {size / 1024 / 1024:.1f} MiB; voiceops reads spec files of at most "
        "1 MiB, so split it into several files",
        Location(source, 1, 1),
    )


def _file_kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def load_documents(text: str, source: str) -> list[YamlDocument]:
    """Parse every document in `text`. Empty documents (e.g. a trailing `---`) are skipped."""
    brackets = text.count("[") + text.count("{") - text.count("${")
    if brackets > _BRACKETS_BEFORE_SCAN or _COMPACT_NESTING.search(text):
        _check_depth(text, source)
    if _INVISIBLE_BREAKS.search(text):
        _check_invisible_breaks(text, source)
    check_aliases = "&" in text  # an alias needs an anchor, and an anchor needs `&`
    loader = _Loader(text)
    documents: list[YamlDocument] = []
    try:
        index = 0
        while loader.check_node():
            node = loader.get_node()
            # An empty document (`---` followed by nothing) holds nothing to check.
            empty = node.__class__ is ScalarNode and node.value == "" and not node.style
            if not empty:
                doc = YamlDocument(data=None, source=source, index=index)
                doc.data = _Builder(doc, text, check_aliases).value(node, 0)
                documents.append(doc)
            index += 1
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc, source) from None
    except yaml.reader.ReaderError as exc:
        line, col = _line_col(text, exc.position)
        raise VoiceopsError(
            f"character U+{exc.character:04X} is not allowed in YAML ({exc.reason}); "
            "remove it or write it as an escape in a double-quoted string",
            Location(source, line, col),
        ) from None
    except yaml.YAMLError as exc:
        raise VoiceopsError(f"invalid YAML: {exc}", Location(source)) from None
    finally:
        loader.dispose()
    return documents


# YAML 1.1 ends a line at NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR, which editors and
# diffs show as nothing or as a space: `# note<U+2028>ensure: absent` reviews as a comment.
_INVISIBLE_BREAKS = re.compile("[\x85\u2028\u2029]")


def _check_invisible_breaks(text: str, source: str) -> None:
    """Refuse an invisible line break anywhere but inside a quoted scalar, where it is text."""
    quoted = _quoted_spans(text)
    for found in _INVISIBLE_BREAKS.finditer(text):
        at = found.start()
        if any(start < at < end for start, end in quoted):
            continue
        line, col = _line_col(text, at)
        raise VoiceopsError(
            f"character U+{ord(found.group()):04X} is a line break in YAML that most editors "
            "do not show; remove it, or write it as an escape in a double-quoted string",
            Location(source, line, col),
        )


def _quoted_spans(text: str) -> list[tuple[int, int]]:
    """Where the quoted scalars of `text` start and end (the pure-Python scanner's marks
    count characters, as `text` is indexed). A syntax error ends the scan; the parser
    proper reports it."""
    spans: list[tuple[int, int]] = []
    scanner: Any = yaml.SafeLoader(text)
    try:
        while scanner.check_token():
            token = scanner.get_token()
            if isinstance(token, yaml.ScalarToken) and token.style in ("'", '"'):
                spans.append((token.start_mark.index, token.end_mark.index))
    except yaml.YAMLError:
        pass
    finally:
        scanner.dispose()
    return spans


def load_file(path: Path, source: str) -> list[YamlDocument]:
    return load_documents(read_text(path, source), source)


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


def _check_depth(text: str, source: str) -> None:
    try:
        _scan_depth(_Loader(text), source)
    except yaml.YAMLError:
        # libyaml 0.2.6 and later stop at their own nesting limit, which lies past ours but
        # inside the lookahead of the first token. The pure-Python scanner has no such limit,
        # so it finds our limit's position whatever libyaml the wheel bundles.
        # The parser proper reports syntax errors, with better context.
        with contextlib.suppress(yaml.YAMLError):
            _scan_depth(yaml.SafeLoader(text), source)


def _scan_depth(loader: Any, source: str) -> None:
    depth = 0
    try:
        while loader.check_token():
            token = loader.get_token()
            if isinstance(token, _OPENING_TOKENS):
                depth += 1
                if depth > MAX_DEPTH:
                    mark = token.start_mark
                    raise VoiceopsError(
                        f"values are nested more than {MAX_DEPTH} levels deep",
                        Location(source, mark.line + 1, mark.column + 1),
                    )
            elif isinstance(token, _CLOSING_TOKENS):
                depth -= 1
    finally:
        loader.dispose()


_SYNTAX_HINTS = (
    ("found character that cannot start any token", "; if this is a tab, indent with spaces"),
    ("tab character", "; indent YAML with spaces, not tabs"),
    ("mapping values are not allowed", "; check the indentation, or quote a value containing ': '"),
    ("did not find expected key", "; check the indentation of this line"),
    ("did not find expected '-'", "; check the indentation of this line"),
    ("found undefined alias", "; anchors and aliases (&name, *name) are not allowed"),
    ("duplicate anchor", "; anchors and aliases (&name, *name) are not allowed"),
    ("incompatible YAML document", "; remove the %YAML line, voiceops reads YAML 1.1"),
    (
        "invalid Unicode character escape",
        "; a \\u escape of \\uD800-\\uDFFF is half a character: write the character itself,"
        " or \\U and all 8 hex digits",
    ),
)


def _syntax_error(exc: yaml.MarkedYAMLError, source: str) -> VoiceopsError:
    mark = exc.problem_mark or exc.context_mark
    where = Location(source, mark.line + 1, mark.column + 1) if mark else Location(source)
    problem = exc.problem or exc.context or "not valid YAML"
    message = f"invalid YAML: {problem}"
    context_mark = exc.context_mark
    if exc.context and context_mark is not None and context_mark is not mark:
        opener = exc.context.removeprefix("while ")
        message += f" ({opener} that starts at line {context_mark.line + 1}"
        message += f", column {context_mark.column + 1})"
    for needle, hint in _SYNTAX_HINTS:
        if needle in problem:
            message += hint
            break
    if "flow sequence" in (exc.context or ""):
        message += "; is a ] missing?"
    elif "flow mapping" in (exc.context or ""):
        message += "; is a } missing?"
    elif "quoted scalar" in (exc.context or "") and "escape" not in problem:
        message += "; is a closing quote missing?"
    return VoiceopsError(message, where)


class _Builder:
    """Turns a composed node graph into plain data, recording positions on the way."""

    __slots__ = ("doc", "marks", "seen", "text")

    def __init__(self, doc: YamlDocument, text: str, check_aliases: bool) -> None:
        self.doc = doc
        self.text = text
        self.marks = doc.marks
        self.seen: set[int] | None = set() if check_aliases else None

    def value(self, node: Node, depth: int) -> Any:
        seen = self.seen
        if seen is not None:
            if id(node) in seen:
                raise self._alias_error(node)
            seen.add(id(node))
        mark = node.start_mark
        marks = self.marks
        marks.append(mark.line << _SHIFT | mark.column)
        kind = node.__class__
        if kind is ScalarNode:
            if node.tag == _STR_TAG:
                return node.value
            return self._scalar(cast(ScalarNode, node), len(marks) - 1)
        if depth >= MAX_DEPTH:
            raise self._error(node, f"values are nested more than {MAX_DEPTH} levels deep")
        if kind is MappingNode:
            return self._mapping(cast(MappingNode, node), depth + 1)
        if kind is SequenceNode:
            return [self.value(item, depth + 1) for item in node.value]
        raise self._error(node, "unsupported YAML node")  # pragma: no cover

    def _mapping(self, node: MappingNode, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        marks = self.marks
        for key_node, value_node in node.value:
            if key_node.__class__ is not ScalarNode:
                raise self._error(key_node, "a mapping key must be a plain string")
            tag = key_node.tag
            if tag == _STR_TAG:
                key = key_node.value
            elif tag == _MERGE_TAG:
                raise self._error(
                    key_node, "YAML merge keys (<<) are not allowed; write the fields out in full"
                )
            else:
                raise self._error(key_node, _key_message(key_node, self._scalar(key_node, None)))
            if key in result:
                raise self._duplicate(node, key_node, key)
            mark = key_node.start_mark
            marks.append(mark.line << _SHIFT | mark.column)
            result[key] = self.value(value_node, depth)
        return result

    def _scalar(self, node: ScalarNode, at: int | None) -> Any:
        tag = node.tag
        text: str = node.value
        value: Any
        if tag == _NULL_TAG:
            return None
        if tag == _BOOL_TAG:
            value = _BOOL_VALUES[text.lower()]
            if at is not None and not node.style and text.lower() not in ("true", "false"):
                self.doc.surprising[at] = text
            return value
        if tag == _INT_TAG:
            value = _constructor.construct_yaml_int(node)
            surprising = _surprising_int(text)
        elif tag == _FLOAT_TAG:
            value = _constructor.construct_yaml_float(node)
            surprising = ":" in text
            if at is not None and not math.isfinite(value):
                raise self._error(
                    node,
                    f"{text} is not a number any vendor can take (JSON has no NaN or "
                    f'infinity); write a finite number, or "{text}" in quotes for the text',
                )
        else:
            # Timestamps, binary and custom tags stay text: specs are JSON-shaped.
            return text
        if surprising and at is not None and not node.style:
            self.doc.surprising[at] = text
        return value

    def _duplicate(self, mapping: MappingNode, key_node: ScalarNode, key: str) -> VoiceopsError:
        first = next(k for k, _ in mapping.value if k.tag == _STR_TAG and k.value == key)
        return self._error(
            key_node,
            f"duplicate key {key!r} (first defined on line {first.start_mark.line + 1}); "
            "a key may appear only once in a mapping",
        )

    def _alias_error(self, node: Node) -> VoiceopsError:
        rule = "anchors and aliases (&name, *name) are not allowed in voiceops files"
        # Composed nodes do not remember the alias that reached them: find it in the events.
        loader = _Loader(self.text)
        try:
            while loader.check_event():
                event = loader.get_event()
                if isinstance(event, yaml.AliasEvent):
                    mark = event.start_mark
                    assert mark is not None  # every parsed event has one
                    return VoiceopsError(
                        f"*{event.anchor} is a YAML alias; {rule}: write the value out in full",
                        Location(self.doc.source, mark.line + 1, mark.column + 1),
                    )
        finally:
            loader.dispose()
        return self._error(node, f"a value is reused through a YAML alias; {rule}")

    def _error(self, node: Node, message: str) -> VoiceopsError:
        mark = node.start_mark
        return VoiceopsError(message, Location(self.doc.source, mark.line + 1, mark.column + 1))


def _surprising_int(text: str) -> bool:
    """Whether YAML 1.1 reads this integer unexpectedly: sexagesimal (`1:30` is 90),
    octal (`0755` is 493), hexadecimal or binary."""
    digits = text.lstrip("+-")
    return ":" in digits or (len(digits) > 1 and digits[0] == "0")


def _key_message(node: ScalarNode, key: Any) -> str:
    text = node.value
    if key is None and not text:
        return "a mapping key is missing before the colon"
    if isinstance(key, bool):
        reading = f"YAML 1.1 reads {text} as {str(key).lower()}"
        return f'mapping key {text} is not a string: {reading}; quote it ("{text}")'
    return f'mapping key {text} is not a string; quote it ("{text}")'
