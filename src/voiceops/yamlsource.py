"""Read YAML files into plain data while remembering where every value came from.

PyYAML accepts duplicate keys silently and expands aliases without bound, and YAML 1.1
turns words like `no` and `on` into booleans. This loader refuses the first two and
remembers the third, so schema errors can explain it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from voiceops.errors import Location, VoiceopsError

MAX_FILE_BYTES = 1024 * 1024
YamlPath = tuple[str | int, ...]

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BOOL_TAG = "tag:yaml.org,2002:bool"
_PLAIN_TAGS = {
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:null",
    _BOOL_TAG,
    "tag:yaml.org,2002:str",
}


@dataclass
class YamlDocument:
    """One YAML document: its data, and the position of every value and key in it."""

    data: Any
    source: str
    index: int
    value_positions: dict[YamlPath, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[YamlPath, tuple[int, int]] = field(default_factory=dict)
    # Plain scalars that YAML 1.1 turned into something other than the text (e.g. `no` -> False).
    surprises: dict[YamlPath, str] = field(default_factory=dict)

    def location(self, path: YamlPath, *, key: bool = False) -> Location:
        """Where `path` is written; falls back to the nearest enclosing value that exists."""
        positions = self.key_positions if key else self.value_positions
        if path in positions:
            line, col = positions[path]
            return Location(self.source, line, col)
        for end in range(len(path) - 1, -1, -1):
            prefix = path[:end]
            if prefix in self.key_positions and prefix:
                line, col = self.key_positions[prefix]
                return Location(self.source, line, col)
            if prefix in self.value_positions:
                line, col = self.value_positions[prefix]
                return Location(self.source, line, col)
        return Location(self.source, 1, 1)


def read_text(path: Path, source: str) -> str:
    """File contents as text, refusing oversized files and bytes that are not UTF-8."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise VoiceopsError(
            f"file is {size / 1_000_000:.1f} MB; voiceops reads spec files of at most 1 MiB",
            Location(source, 1, 1),
        )
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise VoiceopsError(
            f"byte 0x{raw[exc.start]:02x} is not valid UTF-8; save the file as UTF-8",
            Location(source, line, col),
        ) from None


def load_documents(text: str, source: str) -> list[YamlDocument]:
    """Parse every document in `text`. Empty documents (e.g. a trailing `---`) are skipped."""
    loader = _Loader(text)
    documents: list[YamlDocument] = []
    try:
        index = 0
        while loader.check_node():
            node = loader.get_node()
            if node is not None:
                doc = YamlDocument(data=None, source=source, index=index)
                doc.data = _Builder(doc).build(node, ())
                documents.append(doc)
            index += 1
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Location(source, mark.line + 1, mark.column + 1) if mark else Location(source)
        problem = exc.problem or exc.context or "invalid YAML"
        raise VoiceopsError(f"invalid YAML: {problem}", where) from None
    except yaml.YAMLError as exc:
        raise VoiceopsError(f"invalid YAML: {exc}", Location(source)) from None
    finally:
        loader.dispose()
    return documents


def load_file(path: Path, source: str) -> list[YamlDocument]:
    return load_documents(read_text(path, source), source)


class _Builder:
    """Turns a composed node graph into plain data, recording positions on the way."""

    def __init__(self, doc: YamlDocument) -> None:
        self.doc = doc
        self.constructor = yaml.constructor.SafeConstructor()
        self.seen: set[int] = set()

    def build(self, node: yaml.Node, path: YamlPath) -> Any:
        if id(node) in self.seen:
            raise self._error(
                node,
                "this value is reused through a YAML alias; anchors and aliases (&name, *name) "
                "are not allowed in voiceops files",
            )
        self.seen.add(id(node))
        self.doc.value_positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        return self._scalar(node, path)

    def _mapping(self, node: yaml.MappingNode, path: YamlPath) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise self._error(key_node, "YAML merge keys (<<) are not allowed")
            if not isinstance(key_node, yaml.ScalarNode):
                raise self._error(key_node, "a mapping key must be a plain string")
            key = self._scalar(key_node, None)
            if not isinstance(key, str):
                hint = ""
                if isinstance(key, bool):
                    hint = f'; YAML 1.1 reads {key_node.value} as a boolean: quote it ("{key_node.value}")'
                raise self._error(key_node, f"mapping key {key_node.value!r} is not a string{hint}")
            child = (*path, key)
            if key in result:
                first_line, _ = self.doc.key_positions[child]
                raise self._error(
                    key_node, f"duplicate key {key!r} (first defined on line {first_line})"
                )
            self.doc.key_positions[child] = (
                key_node.start_mark.line + 1,
                key_node.start_mark.column + 1,
            )
            result[key] = self.build(value_node, child)
        return result

    def _scalar(self, node: yaml.ScalarNode, path: YamlPath | None) -> Any:
        if node.tag not in _PLAIN_TAGS:
            # Timestamps, binary and custom tags stay text: specs are JSON-shaped.
            return node.value
        value = self.constructor.construct_object(node)
        if path is not None and not node.style and not isinstance(value, str):
            text = node.value
            if node.tag == _BOOL_TAG and text.lower() not in ("true", "false"):
                self.doc.surprises[path] = text
            elif isinstance(value, int | float) and (":" in text or text.startswith("0")):
                if text not in ("0", "0.0") and not text.startswith("0."):
                    self.doc.surprises[path] = text
        return value

    def _error(self, node: yaml.Node, message: str) -> VoiceopsError:
        mark = node.start_mark
        return VoiceopsError(message, Location(self.doc.source, mark.line + 1, mark.column + 1))


def walk(data: Any, path: YamlPath = ()) -> Iterator[tuple[YamlPath, Any]]:
    """Every (path, value) pair in a JSON-shaped value, depth first, containers included."""
    yield path, data
    if isinstance(data, dict):
        for key, value in data.items():
            yield from walk(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from walk(value, (*path, i))
