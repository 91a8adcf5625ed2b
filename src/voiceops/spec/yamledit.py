"""Change values inside one document of a YAML file, keeping every other byte as it was.

Two edits exist: `Replace` sets the value of an existing key, `Add` appends a key to a
mapping. Each becomes a splice of the file's text, found through the start and end of the
parsed nodes, so comments, key order, quoting, blank lines, line endings and the other
documents of the file are kept by construction:
- a replaced value's text is swapped for the new value's, written as `voiceops import`
  writes values (a multi-line string as a `|` block, a mapping or list in block style
  indented under its key); a one-line value replacing a one-line value keeps the spacing
  and any comment around it;
- an added key goes on a line of its own after the mapping's last entry, with the
  indentation of the mapping's keys;
- inside a flow collection (`{a: 1, b: [x]}`) values are written in flow style (strings
  double-quoted), and an added key goes before the closing brace.
The edited text is loaded again and must hold exactly the intended data (keys, order and
types) in that document and the unchanged data in every other one; when it does not, or an
edit has no precise form (a comment between a key and a block value that changes shape),
nothing is returned but one `VoiceopsError` sentence.
"""

from __future__ import annotations

import copy
import itertools
import re
from dataclasses import dataclass, replace
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode

from voiceops.errors import Location, VoiceopsError
from voiceops.spec.yamlsource import YamlDocument, YamlPath, load_documents

LINE_ENDING = re.compile(r"\r\n|\r|\n")
_BLOCK_TAIL = " \t\r\n\x85\u2028\u2029"
_NO_WRAP = 1 << 30
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_NOT_STRINGS = {"y", "yes", "n", "no", "true", "false", "on", "off", "null"}
_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}
# The depth of a splice that must come before any keys added at the same place.
_BEFORE_ADDITIONS = 1 << 30


@dataclass(frozen=True)
class Replace:
    """Set the value of the existing key at `path` (whose last part is the key)."""

    path: tuple[str, ...]
    value: Any


@dataclass(frozen=True)
class Add:
    """Append `key` (absent so far) to the mapping at `path`."""

    path: tuple[str, ...]
    key: str
    value: Any


Edit = Replace | Add


@dataclass(frozen=True)
class _Splice:
    start: int
    end: int
    text: str
    depth: int = 0  # of the mapping keys are added to: the deepest go first at one place


class _NoPreciseEdit(Exception):
    """An edit that has no precise text form; reported as one sentence, at `path`."""

    def __init__(self, message: str, path: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.path = path


class _Dumper(yaml.SafeDumper):
    pass


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style: str | None = None
    if not value.replace("\n", "").replace("\t", "").isprintable():
        style = '"'  # escaped: the emitter writes some breaks (U+0085, U+2028) unescaped
    elif "\n" in value:
        style = "|"
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


class Quoted(str):
    """A string written double-quoted in block style too (as voiceops writes ids)."""

    __slots__ = ()


def _quoted_text(dumper: yaml.SafeDumper, value: Quoted) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style='"')


_Dumper.add_representer(Quoted, _quoted_text)


def dump_yaml(data: Any, *, width: int = 100) -> str:
    """Block-style YAML as `voiceops import` writes it (multi-line strings as `|` blocks)."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=width)


def edit_document(text: str, index: int, edits: list[Edit], source: str) -> str:
    """`text` (a whole file, without its byte-order mark) with `edits` made to the document
    numbered `index` (as `YamlDocument.index` counts); see the module's docstring."""
    documents = load_documents(text, source)
    doc = next((d for d in documents if d.index == index), None)
    if doc is None:
        raise VoiceopsError(f"the file has no document number {index + 1}", Location(source))
    if not edits:
        return text
    try:
        root = _compose(text, index)
        splices = [part for edit in _grouped(edits) for part in _splice(text, root, edit)]
        edited = _apply(text, splices)
    except _NoPreciseEdit as exc:
        raise _refusal(doc, str(exc), exc.path) from None
    if not loads_as(edited, source, documents, index, _expected(doc.data, edits)):
        raise _refusal(doc, "the edited text would not load back as intended")
    return edited


def _refusal(doc: YamlDocument, why: str, path: tuple[str, ...] = ()) -> VoiceopsError:
    return VoiceopsError(
        f"cannot update this document in place ({why}); nothing was written: change it by "
        "hand, or remove it and import again",
        doc.location(path, key=True),
    )


def _compose(text: str, index: int) -> Node:
    """The node tree of document `index`, with exact character offsets."""
    loader = yaml.SafeLoader(text)
    try:
        at = 0
        while loader.check_node():
            node = loader.get_node()
            empty = isinstance(node, ScalarNode) and node.value == "" and not node.style
            if node is not None and not empty and at == index:
                return node
            at += 1
    finally:
        loader.dispose()
    raise _NoPreciseEdit("the document was not found")  # pragma: no cover


def _find(root: Node, path: tuple[str, ...]) -> tuple[list[Node], Node]:
    """The mappings along `path` (outermost first) and the node at its end."""
    chain: list[Node] = []
    node = root
    for part in path:
        if not isinstance(node, MappingNode):
            raise _NoPreciseEdit(f"{'.'.join(path)} is not inside a mapping")
        chain.append(node)
        found: Node | None = next((v for k, v in node.value if k.value == part), None)
        if found is None:
            raise _NoPreciseEdit(f"{'.'.join(path)} is not in the document")
        node = found
    return chain, node


def _key_node(mapping: Node, key: str) -> Node:
    found: Node = next(k for k, _ in mapping.value if k.value == key)
    return found


def _in_flow(chain: list[Node]) -> bool:
    return any(getattr(node, "flow_style", False) for node in chain)


@dataclass(frozen=True)
class _Additions:
    """The keys added to one mapping, in order: one splice, as they go to the same place."""

    path: tuple[str, ...]
    items: dict[str, Any]


def _grouped(edits: list[Edit]) -> list[Replace | _Additions]:
    grouped: list[Replace | _Additions] = []
    additions: dict[tuple[str, ...], _Additions] = {}
    for edit in edits:
        if isinstance(edit, Replace):
            grouped.append(edit)
        elif edit.path in additions:
            additions[edit.path].items[edit.key] = edit.value
        else:
            additions[edit.path] = _Additions(edit.path, {edit.key: edit.value})
            grouped.append(additions[edit.path])
    return grouped


def _splice(text: str, root: Node, edit: Replace | _Additions) -> list[_Splice]:
    if isinstance(edit, _Additions):
        chain, mapping = _find(root, edit.path)
        if not isinstance(mapping, MappingNode):
            raise _NoPreciseEdit(f"{'.'.join(edit.path)} is not a mapping")
        if _in_flow([*chain, mapping]):
            return [_flow_add(mapping, edit.items)]
        return [replace(_block_add(text, mapping, edit.items), depth=len(edit.path))]
    chain, node = _find(root, edit.path)
    if _in_flow(chain):
        return [_Splice(node.start_mark.index, _content_end(text, node), _flow(edit.value))]
    return _block_replace(text, chain[-1], edit.path, node, edit.value)


def _content_end(text: str, node: Node) -> int:
    """Where a value's own text ends: a block scalar without the blank lines after it, a
    block collection at the end of its last entry (comments after it are not part of it)."""
    if isinstance(node, ScalarNode):
        end: int = node.end_mark.index
        if node.style in ("|", ">"):
            while end > node.start_mark.index and text[end - 1] in _BLOCK_TAIL:
                end -= 1
        return end
    if getattr(node, "flow_style", False) or not node.value:
        return int(node.end_mark.index)
    last = node.value[-1]
    return _content_end(text, last[1] if isinstance(node, MappingNode) else last)


def _block_replace(
    text: str, mapping: Node, path: tuple[str, ...], node: Node, value: Any
) -> list[_Splice]:
    key_node = _key_node(mapping, path[-1])
    colon = text.index(":", key_node.end_mark.index)
    start, end = node.start_mark.index, _content_end(text, node)
    if isinstance(node, ScalarNode) and not node.value and not node.style:
        start = end = colon + 1  # `key:` with nothing after it (null)
    ending = _ending(text, colon)
    rest = _entry({"x": value}, key_node.start_mark.column, ending)[len("x:") :]
    gap = text[colon + 1 : start]
    if LINE_ENDING.search(gap):
        return [_below_key(start, end, gap, rest, node, ending, path)]
    if not LINE_ENDING.search(rest):
        spaced = rest if start == colon + 1 else rest.lstrip(" ")
        return [_Splice(start, end, _same_quoting(node, value) or spaced)]
    # A value on the key's line becomes several lines: what follows it on that line (a
    # comment) stays there, after `key: |` or `key:`, and the new lines go below it.
    head, _, body = rest.partition(ending)
    line_end = LINE_ENDING.search(text, end)
    tail_end = line_end.start() if line_end else len(text)
    if not text[end:tail_end].strip():
        return [_Splice(colon + 1, tail_end, rest)]
    if line_end is None:
        return [_Splice(colon + 1, end, head), _Splice(len(text), len(text), ending + body)]
    below = _Splice(line_end.end(), line_end.end(), body + line_end.group(), _BEFORE_ADDITIONS)
    return [_Splice(colon + 1, end, head), below]


def _below_key(
    start: int, end: int, gap: str, rest: str, node: Node, ending: str, path: tuple[str, ...]
) -> _Splice:
    """The splice for a value that starts on a line after its key's."""
    if "#" not in gap:
        return _Splice(start - len(gap), end, rest)
    # A comment follows the key: the new block starts where the old value did, if the new
    # value's first line has the old value's indentation.
    first = rest.removeprefix(ending)
    if first != rest and len(first) - len(first.lstrip(" ")) == node.start_mark.column:
        return _Splice(start, end, first.lstrip(" "))
    raise _NoPreciseEdit(f"a comment stands between {path[-1]!r} and its new value", path)


def _same_quoting(node: Node, value: Any) -> str | None:
    """A one-line string in the quotes the old value had, or None."""
    if not isinstance(value, str) or not isinstance(node, ScalarNode) or "\n" in value:
        return None
    if node.style == '"':
        return quoted(value)
    if node.style == "'" and value.isprintable():
        return "'" + value.replace("'", "''") + "'"
    return None


def _block_add(text: str, mapping: MappingNode, items: dict[str, Any]) -> _Splice:
    indent = mapping.value[0][0].start_mark.column
    end = _content_end(text, mapping)
    ending = _ending(text, end)
    entry = " " * indent + _entry(items, indent, ending)
    found = LINE_ENDING.search(text, end)
    if found is None:  # the file ends without a line break, and still does
        return _Splice(len(text), len(text), ending + entry)
    return _Splice(found.end(), found.end(), entry + found.group())


def _entry(items: dict[str, Any], indent: int, ending: str) -> str:
    """`key: value` lines in block style, all but the first indented by `indent`, without
    a final line break. Long strings stay on one line: only the changed lines change."""
    dumped = dump_yaml(items, width=_NO_WRAP)
    lines = dumped.removesuffix("\n").split("\n")
    return ending.join([lines[0], *(" " * indent + line if line else line for line in lines[1:])])


def _flow_add(mapping: MappingNode, items: dict[str, Any]) -> _Splice:
    close = mapping.end_mark.index - 1
    added = ", ".join(f"{_flow_key(key)}: {_flow(value)}" for key, value in items.items())
    return _Splice(close, close, (", " if mapping.value else "") + added)


def _flow(value: Any) -> str:
    """`value` in flow style: strings double-quoted, so no character can end them early."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_flow_key(k)}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    if isinstance(value, str):
        return quoted(value)
    return yaml.dump(value, Dumper=_Dumper, default_flow_style=True).splitlines()[0]


def _flow_key(key: Any) -> str:
    """A key plain when YAML 1.1 reads it as that string, else double-quoted."""
    if isinstance(key, str) and _PLAIN_KEY.fullmatch(key) and key.lower() not in _NOT_STRINGS:
        return key
    return _flow(key)


def quoted(value: str, *, named_escapes: bool = True) -> str:
    """`value` as a YAML double-quoted scalar of printable ASCII: `"` and `\\` escaped,
    newline, tab and carriage return as `\\n`, `\\t`, `\\r` (with `named_escapes`), every
    other character outside printable ASCII as `\\uXXXX` or `\\UXXXXXXXX`."""
    out = ['"']
    for char in value:
        code = ord(char)
        if char in '"\\':
            out.append("\\" + char)
        elif named_escapes and char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif 0x20 <= code < 0x7F:
            out.append(char)
        else:
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


def _ending(text: str, offset: int) -> str:
    """The line ending of the line at `offset`, else the file's first, else LF."""
    found = LINE_ENDING.search(text, offset) or LINE_ENDING.search(text)
    return found.group() if found else "\n"


def _apply(text: str, splices: list[_Splice]) -> str:
    """All splices made at once; two that touch the same text have no precise form."""
    merged: dict[int, _Splice] = {}
    others = []
    for splice in sorted(splices, key=lambda s: -s.depth):
        if splice.start != splice.end or not splice.depth:
            others.append(splice)
        elif splice.start in merged:  # keys added to nested mappings that end together
            merged[splice.start] = replace(splice, text=merged[splice.start].text + splice.text)
        else:
            merged[splice.start] = splice
    ordered = sorted([*others, *merged.values()], key=lambda s: (s.start, s.end))
    for before, after in itertools.pairwise(ordered):
        if after.start < before.end or (after.start == before.start == after.end):
            raise _NoPreciseEdit("two changes touch the same text")
    for splice in reversed(ordered):
        text = text[: splice.start] + splice.text + text[splice.end :]
    return text


def _expected(data: Any, edits: list[Edit]) -> Any:
    result = copy.deepcopy(data)
    for edit in edits:
        if isinstance(edit, Add):
            _at(result, edit.path)[edit.key] = copy.deepcopy(edit.value)
        else:
            _at(result, edit.path[:-1])[edit.path[-1]] = copy.deepcopy(edit.value)
    return result


def _at(data: Any, path: YamlPath) -> Any:
    for part in path:
        data = data[part]
    return data


def loads_as(text: str, source: str, before: list[YamlDocument], index: int, expected: Any) -> bool:
    """Whether `text` holds the documents of `before`, but `expected` at `index`. `repr`
    compares key order and types too (`1 == True`, `{a, b} == {b, a}`)."""
    try:
        after = load_documents(text, source)
    except VoiceopsError:
        return False
    want = [(d.index, repr(expected if d.index == index else d.data)) for d in before]
    return [(d.index, repr(d.data)) for d in after] == want
