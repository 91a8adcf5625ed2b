"""Write an assistant's new id into its document, changing nothing else in the file.

The edit is textual: one line `id: "<id>"` is inserted, found through the positions the
project's loader records, and the file is otherwise kept byte for byte (comments, key
order, quoting, blank lines, line endings, a byte-order mark, a final line without a
newline, the other documents of the file). A round-trip library (ruamel.yaml) would add a
dependency whose re-emitter only mostly reproduces the input; a text insertion reproduces it
by construction, and is checked: the edited text is loaded again and must give exactly the
old data of every document plus the id, at the intended place, or nothing is written.

Where the line goes, in order of preference (the first that checks out wins):
- right after the `provider:` line, then before the key that follows `provider` (when the
  provider's value spans several lines);
- after the `metadata` entry, in the same two ways;
- before the first key, as the document's first entry.
The line takes the indentation of the document's top-level keys and the line ending of the
line before it.

A document in flow style (`{metadata: {...}, provider: x, spec: {...}}`) has no line to
insert, so `id: "<id>", ` goes inside the braces before the key that follows `provider`
(before the first key when `provider` is last or missing, as only the start of each value is
known): exactly one line changes instead of one being added.

A string id is written double-quoted with JSON's escapes for `"` and `\\`; anything but
printable ASCII is escaped as `\\uXXXX` or `\\UXXXXXXXX` (valid in YAML, and in JSON for
the basic plane). An integer id is written bare, as the schemas allow integer ids.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from voiceops.atomicfile import replace_file
from voiceops.errors import Location, VoiceopsError, display_path
from voiceops.runlock import LOCK_DIR
from voiceops.spec.environments import ENVIRONMENTS
from voiceops.spec.yamledit import (
    LINE_ENDING,
    Add,
    Quoted,
    Replace,
    edit_document,
    loads_as,
    quoted,
)
from voiceops.spec.yamlsource import YamlDocument, load_documents, read_text

IdValue = str | int
_BOM = "\ufeff"
# The line breaks YAML counts, so that line numbers agree with the loader's.
_YAML_BREAK = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")
_FLOW_START = re.compile(r"(?:![^\s{]*\s+)?\{")
# Held while a file is read, edited and replaced: applies of two environments run at once
# and write ids into the same files. Each holds it for a few file operations.
_EDIT_LOCK = "documents.lock"
_EDIT_LOCK_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class _Insertion:
    offset: int
    text: str
    after: str | None  # the key the id follows; None: the id is the first key


def id_text(new_id: IdValue) -> str:
    """The id as YAML: a double-quoted string, or a bare integer."""
    if isinstance(new_id, bool) or not isinstance(new_id, str | int):
        raise TypeError(f"an id is a string or an integer, not {type(new_id).__name__}")
    if isinstance(new_id, int):
        return str(new_id)
    if not new_id:
        raise VoiceopsError("the vendor returned an empty id; nothing was written")
    # Every control character as \uXXXX: an id has no business holding one.
    return quoted(new_id, named_escapes=False)


def insert_id(text: str, document: int | YamlDocument, new_id: IdValue, source: str) -> str:
    """`text` (a whole file, without its byte-order mark) with `id` added to one document.

    `document` is the loader's `YamlDocument`, or its `index` (the document's position in
    the file, counting empty documents). Refuses a document that has an id already, one that
    is not a mapping, and one that no longer holds the data it was loaded with."""
    written = id_text(new_id)
    documents = load_documents(text, source)
    doc = _target(documents, document, source)
    data = doc.data
    if not isinstance(data, dict) or not data:
        raise VoiceopsError(
            "cannot write an id into this document: it is not a mapping of keys",
            doc.location(()),
        )
    if "id" in data:
        raise VoiceopsError(
            f"this document has an id already; not writing a second one ({written})",
            doc.location(("id",), key=True),
        )
    for insertion in _insertions(text, doc, written):
        edited = text[: insertion.offset] + insertion.text + text[insertion.offset :]
        if loads_as(edited, source, documents, doc.index, _with_id(data, insertion, new_id)):
            return edited
    raise VoiceopsError(
        f"cannot add the id to this document without rewriting it; add `id: {written}` "
        "to it by hand",
        doc.location(()),
    )


def write_id(
    path: Path,
    document: int | YamlDocument,
    new_id: IdValue,
    *,
    root: Path,
    source: str | None = None,
) -> None:
    """Add `id` to one document of the file at `path`, atomically (see `insert_id`).

    `root` is the repository: a symlink that leads out of it is refused, as is a file that
    changes while it is being rewritten. The file keeps its permission bits."""
    source = source or display_path(path)
    edit_file(
        path, lambda text: insert_id(text, document, new_id, source), root=root, source=source
    )


def write_environment_id(
    path: Path,
    document: int | YamlDocument,
    env: str,
    new_id: IdValue,
    *,
    root: Path,
    source: str | None = None,
) -> None:
    """Add `environments.<env>.id` to one document of the file at `path`, atomically (see
    `insert_environment_id`)."""
    source = source or display_path(path)
    edit_file(
        path,
        lambda text: insert_environment_id(text, document, env, new_id, source),
        root=root,
        source=source,
    )


def insert_environment_id(
    text: str, document: int | YamlDocument, env: str, new_id: IdValue, source: str
) -> str:
    """`text` with the id of environment `env` added to one document: into its
    `environments.<env>` mapping, as a new `<env>:` entry of its `environments:`, or in a new
    `environments:` block at the end of the document. Everything else is kept byte for byte,
    and the edited text must load back as the old data plus the id, or nothing is returned
    but a `VoiceopsError`."""
    id_text(new_id)  # refuses an empty or odd id as `insert_id` does
    value: IdValue = Quoted(new_id) if isinstance(new_id, str) else new_id
    doc = _target(load_documents(text, source), document, source, env)
    data = doc.data
    at = doc.location((ENVIRONMENTS, env), key=True)
    if not isinstance(data, dict) or not data:
        raise VoiceopsError("cannot write an id into this document: it is not a mapping", at)
    environments = data.get(ENVIRONMENTS)
    if ENVIRONMENTS not in data:
        edit: Add | Replace = Add((), ENVIRONMENTS, {env: {"id": value}})
    elif environments is None:  # `environments:` with nothing after it says nothing yet
        edit = Replace((ENVIRONMENTS,), {env: {"id": value}})
    elif isinstance(environments, dict) and env not in environments:
        edit = Add((ENVIRONMENTS,), env, {"id": value})
    elif isinstance(environments, dict) and isinstance(environments[env], dict):
        if "id" in environments[env]:
            raise VoiceopsError(
                f"this document has an id in {env} already; not writing a second one", at
            )
        edit = Add((ENVIRONMENTS, env), "id", value)
    else:
        raise VoiceopsError(f"{ENVIRONMENTS}.{env} is not a mapping to write the id into", at)
    return edit_document(text, doc.index, [edit], source)


def edit_file(
    path: Path, edit: Callable[[str], str], *, root: Path, source: str, what: str = "the id"
) -> None:
    """Replace the text of the file at `path` by `edit(text)`, atomically, keeping its
    byte-order mark and permission bits. `what` names the change in error messages.

    `root` is the repository: a symlink that leads out of it is refused, as is a file that
    changes while it is being rewritten. Other voiceops runs wait while the file is read,
    edited and replaced, so that `edit` sees what they wrote."""
    target = _inside(path, root, source, what)
    with _editing(root, source, what):
        try:
            before = os.stat(target)
            text = read_text(target, source)
            raw = target.read_bytes()
        except OSError as exc:
            raise VoiceopsError(
                f"cannot read the file: {exc.strerror or exc}", Location(source)
            ) from None
        bom = _BOM.encode() if raw.startswith(_BOM.encode()) else b""
        if raw != bom + text.encode():
            raise _changed(source, what)
        edited = bom + edit(text).encode()
        try:
            if not _same_file(before, os.stat(target)):
                raise _changed(source, what)
            replace_file(target, edited, stat.S_IMODE(before.st_mode))
        except OSError as exc:
            raise VoiceopsError(
                f"cannot write {what} into the file: {exc.strerror or exc}", Location(source)
            ) from None


@contextlib.contextmanager
def _editing(root: Path, source: str, what: str) -> Iterator[None]:
    """The lock voiceops runs take to edit a file of the repository at `root`."""
    lock = root / LOCK_DIR / _EDIT_LOCK
    try:
        lock.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(lock), timeout=_EDIT_LOCK_TIMEOUT_S):
            yield
    except Timeout:
        raise VoiceopsError(
            f"cannot write {what} into the file: another voiceops run kept "
            f"{display_path(lock)} locked for {_EDIT_LOCK_TIMEOUT_S:g} s",
            Location(source),
        ) from None
    except OSError as exc:
        raise VoiceopsError(
            f"cannot write {what} into the file: cannot lock {display_path(lock)}: "
            f"{exc.strerror or exc}",
            Location(source),
        ) from None


def _target(
    documents: list[YamlDocument],
    document: int | YamlDocument,
    source: str,
    env: str | None = None,
) -> YamlDocument:
    """The document to edit, as the file holds it now. Refused when it changed since
    `document` was loaded, other than by the ids of environments other than `env` (an apply
    of another environment runs at the same time and writes them)."""
    index = document if isinstance(document, int) else document.index
    found = next((doc for doc in documents if doc.index == index), None)
    if found is None:
        raise VoiceopsError(f"the file has no document number {index + 1}", Location(source))
    if isinstance(document, YamlDocument) and repr(_mine(found.data, env)) != repr(
        _mine(document.data, env)
    ):
        raise _changed(source)
    return found


def _mine(data: Any, env: str | None) -> Any:
    """`data` without the ids of environments other than `env`, nor the mappings that only
    held such an id (None: every id counts)."""
    if env is None or not isinstance(data, dict):
        return data
    environments = data.get(ENVIRONMENTS)
    if environments is not None and not isinstance(environments, dict):
        return data
    kept = {}
    for name, value in (environments or {}).items():
        if name != env and isinstance(value, dict):
            value = {key: item for key, item in value.items() if key != "id"}
            if not value:
                continue
        kept[name] = value
    result = {key: value for key, value in data.items() if key != ENVIRONMENTS}
    if kept:
        result[ENVIRONMENTS] = kept
    return result


def _insertions(text: str, doc: YamlDocument, written: str) -> list[_Insertion]:
    """Where the id could go, best first."""
    keys = list(doc.data)
    at = doc.key_positions
    starts = _line_starts(text)
    start = doc.location(())
    if _FLOW_START.match(text, _offset(starts, start.line, start.col)):
        spots = [(keys[i + 1], key) for i, key in enumerate(keys[:-1]) if key == "provider"]
        return [
            _Insertion(_offset(starts, *at[(key,)]), f"id: {written}, ", after)
            for key, after in [*spots, (keys[0], None)]
        ]
    first_line, first_col = at[(keys[0],)]
    line = " " * (first_col - 1) + f"id: {written}"
    found: list[_Insertion] = []
    for anchor in ("provider", "metadata"):
        if anchor in keys:
            # After the anchor's line; failing that (its value spans lines), before the next key.
            lines = [at[(anchor,)][0] + 1]
            following = keys.index(anchor) + 1
            if following < len(keys):
                lines.append(at[(keys[following],)][0])
            found += [_line_insertion(text, starts, n, line, anchor) for n in lines]
    found.append(_line_insertion(text, starts, first_line, line, None))
    return found


def _line_insertion(
    text: str, starts: list[int], line_no: int, line: str, after: str | None
) -> _Insertion:
    """`line` inserted before line `line_no` (from 1), or after the last line."""
    if line_no <= len(starts):
        offset = starts[line_no - 1]
        return _Insertion(offset, line + _ending_before(text, offset), after)
    # After a last line that has no line break: the file still ends without one.
    return _Insertion(len(text), _ending_before(text, len(text)) + line, after)


def _ending_before(text: str, offset: int) -> str:
    """The line ending of the line before `offset`, else the file's first, else LF."""
    found = list(LINE_ENDING.finditer(text, 0, offset))
    if found and found[-1].end() == offset:
        return found[-1].group()
    first = LINE_ENDING.search(text)
    return first.group() if first else "\n"


def _line_starts(text: str) -> list[int]:
    return [0, *(match.end() for match in _YAML_BREAK.finditer(text))]


def _offset(starts: list[int], line: int, col: int) -> int:
    return starts[line - 1] + col - 1


def _with_id(data: dict[str, Any], insertion: _Insertion, new_id: IdValue) -> dict[str, Any]:
    result: dict[str, Any] = {} if insertion.after is not None else {"id": new_id}
    for key, value in data.items():
        result[key] = value
        if key == insertion.after:
            result["id"] = new_id
    return result


def _inside(path: Path, root: Path, source: str, what: str) -> Path:
    """The file `path` names, refused when a symlink leads it out of `root`."""
    try:
        target = path.resolve(strict=True)
    except OSError as exc:
        raise VoiceopsError(
            f"cannot write {what} into the file: {exc.strerror or exc}", Location(source)
        ) from None
    if not target.is_relative_to(root.resolve()):
        raise VoiceopsError(
            f"the file leads to {target}, outside the repository {root}; voiceops writes "
            "only into files inside it",
            Location(source),
        )
    return target


def _same_file(before: os.stat_result, now: os.stat_result) -> bool:
    def key(info: os.stat_result) -> tuple[int, ...]:
        return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)

    return key(before) == key(now)


def _changed(source: str, what: str = "the id") -> VoiceopsError:
    return VoiceopsError(
        f"the file changed while voiceops was writing {what} into it; nothing was "
        "written, run again",
        Location(source),
    )
