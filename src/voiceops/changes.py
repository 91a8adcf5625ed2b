"""The semantic diff between a desired spec and live state, as a list of `Change`s.

Only fields the spec names are compared: live state is first projected onto the spec's
shape (field by field inside nested mappings; lists are compared whole, order counting).
Numbers compare by value, so `1` equals `1.0`; key order never matters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from deepdiff import DeepDiff

from voiceops.schemas import FieldPath

ValuePath = tuple[str | int, ...]


class _Absent:
    """Marks a field the live assistant does not have."""

    _instance: _Absent | None = None

    def __new__(cls) -> _Absent:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "(absent)"

    def __bool__(self) -> bool:
        return False


ABSENT: Any = _Absent()
# The live value of a write-only field: the vendor never shows it.
UNKNOWN_WRITE_ONLY = "(write-only: not readable)"


@dataclass(frozen=True)
class Change:
    path: ValuePath
    before: Any
    after: Any
    sensitive: bool = False
    write_only: bool = False

    @property
    def field(self) -> str:
        return dotted(self.path)

    @property
    def top(self) -> str:
        return str(self.path[0])


def dotted(path: ValuePath) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def project(live: Any, desired: Any) -> Any:
    """The part of `live` that `desired` manages, with ABSENT where live lacks a field."""
    if isinstance(desired, dict) and isinstance(live, dict):
        return {key: project(live.get(key, ABSENT), value) for key, value in desired.items()}
    return live


def lookup(data: Any, path: ValuePath) -> Any:
    for part in path:
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return ABSENT
    return data


def diff(
    live: dict[str, Any],
    desired: dict[str, Any],
    *,
    sensitive: frozenset[FieldPath] = frozenset(),
    secret_paths: frozenset[ValuePath] = frozenset(),
) -> list[Change]:
    """Changes that turn the managed part of `live` into `desired`, in spec order.

    `sensitive` are schema paths whose values (and everything below) are secret;
    `secret_paths` are paths whose desired value came from the environment.
    """
    managed = project(live, desired)
    report = DeepDiff(
        managed,
        desired,
        ignore_numeric_type_changes=True,
        view="tree",
        verbose_level=2,
    )
    paths: dict[ValuePath, None] = {}
    for level in (level for group in report.values() for level in group):
        paths[_atomic(tuple(level.path(output_format="list")), desired)] = None
    order = {key: i for i, key in enumerate(desired)}
    changes = []
    for path in sorted(paths, key=lambda p: (order.get(p[0], len(order)), _sort_key(p))):
        is_secret = _under(path, sensitive) or any(
            _prefix(s, path) or _prefix(path, s) for s in secret_paths
        )
        changes.append(
            Change(path, lookup(managed, path), lookup(desired, path), sensitive=is_secret)
        )
    return changes


def _atomic(path: ValuePath, desired: Any) -> ValuePath:
    """Cut a path at the first list, or where live and desired stop both being mappings."""
    data = desired
    for i, part in enumerate(path):
        if not isinstance(data, dict) or part not in data:
            return path[:i] if i else path
        data = data[part]
    return path


def _sort_key(path: ValuePath) -> tuple[str, ...]:
    return tuple(str(p) for p in path)


def _prefix(prefix: ValuePath, path: ValuePath) -> bool:
    return path[: len(prefix)] == prefix


def _under(path: ValuePath, fields: frozenset[FieldPath]) -> bool:
    """True when `path` is a sensitive field, inside one, or contains one."""
    return any(_prefix(f, path) or _prefix(path, f) for f in fields)
