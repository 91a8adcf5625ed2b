"""Paths into JSON-shaped data: tuples of mapping keys and list indices.

A schema field path (`("assistantServer", "headers")`) is the special case with keys only.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

Path = tuple[str | int, ...]

_MISSING: Any = object()


def dotted(path: Path) -> str:
    """A path as users write it: `assistantServer.headers`, `hints[2]`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def walk(data: Any, path: Path = ()) -> Iterator[tuple[Path, Any]]:
    """Every (path, value) pair in a JSON-shaped value, depth first, containers included;
    paths start with `path`."""
    yield path, data
    if isinstance(data, dict):
        for key, value in data.items():
            yield from walk(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from walk(value, (*path, i))


def lookup(data: Any, path: Path, default: Any = None) -> Any:
    """The value at `path` in `data`, or `default` where there is none."""
    for part in path:
        in_dict = isinstance(data, dict) and part in data
        in_list = isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)
        if not (in_dict or in_list):
            return default
        data = data[part]
    return data


def drop(data: Any, path: Path) -> bool:
    """Remove the value at `path` from `data` (changed in place); False if there is none.

    The containers on the way are replaced by copies before anything is removed: they may
    be shared with other data, which must not change."""
    if len(path) == 1 and isinstance(data, dict):  # the common case: a top-level field
        return data.pop(path[0], _MISSING) is not _MISSING
    if not path or lookup(data, path, _MISSING) is _MISSING:
        return False
    first, rest = path[0], path[1:]
    if rest:
        child = data[first]
        data[first] = child = dict(child) if isinstance(child, dict) else list(child)
        return drop(child, rest)
    del data[first]
    return True


def is_under(path: Path, ancestor: Path) -> bool:
    """True when `path` is `ancestor` or lies inside it."""
    return path[: len(ancestor)] == ancestor
