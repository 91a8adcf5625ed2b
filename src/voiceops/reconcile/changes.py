"""The semantic diff between a desired spec and live state, as a list of `Change`s.

Only fields the spec names are compared: live state is first projected onto the spec's
shape (field by field inside nested mappings and inside the items of lists; a list's
length and order count).
Numbers compare by value, so `1` equals `1.0` (but `true` never equals `1`); key order
never matters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from voiceops import paths
from voiceops.paths import dotted, is_under
from voiceops.spec.schemas import FieldPath

# A path into spec-shaped data: keys and list indices.
ValuePath = paths.Path


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
    # Whose change it is (`origins.Origin`), and what it touches (risk labels); set by
    # planning, None and () where nothing set them (older plan files).
    origin: str | None = None
    labels: tuple[str, ...] = ()

    @property
    def field(self) -> str:
        return dotted(self.path)

    @property
    def top(self) -> str:
        return str(self.path[0])


def project(live: Any, desired: Any) -> Any:
    """The part of `live` that `desired` manages, with ABSENT where live lacks a field.

    A list item is projected onto the item at the same place in `desired`, so keys a live
    item has and the spec's item does not name are not compared (a voice's tuning the
    spec leaves out); items past the end of `desired` stay as they are, so a longer or
    shorter list still differs."""
    if isinstance(desired, dict) and isinstance(live, dict):
        return {key: project(live.get(key, ABSENT), value) for key, value in desired.items()}
    if isinstance(desired, list) and isinstance(live, list):
        return _project_items(live, desired)
    return live


def _project_items(live: list[Any], desired: list[Any]) -> list[Any]:
    """Each live item projected onto the desired item at its place; a key the live item
    lacks stays out (no ABSENT marker inside a value shown as a whole)."""
    return [_project_item(item, desired[i]) if i < len(desired) else item
            for i, item in enumerate(live)]  # fmt: skip


def _project_item(live: Any, desired: Any) -> Any:
    if isinstance(desired, dict) and isinstance(live, dict):
        return {k: _project_item(live[k], v) for k, v in desired.items() if k in live}
    if isinstance(desired, list) and isinstance(live, list):
        return _project_items(live, desired)
    return live


def lookup(data: Any, path: ValuePath) -> Any:
    """The value at `path`, or ABSENT."""
    return paths.lookup(data, path, ABSENT)


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
    paths = _changed_paths(_comparable(managed), _comparable(desired))
    changes = []
    for path in sorted(paths, key=lambda p: _spec_order(p, desired)):
        is_secret = _under(path, sensitive) or _under(path, secret_paths)
        changes.append(
            Change(path, lookup(managed, path), lookup(desired, path), sensitive=is_secret)
        )
    return changes


def _changed_paths(old: dict[str, Any], new: dict[str, Any]) -> dict[ValuePath, None]:
    """Paths where the comparable forms differ. A field that is a mapping on both sides is
    looked into; any other differing value, a list included, changes as a whole. (`old` is
    the projection of live onto `new`, so both have the same keys at every level.)"""
    paths: dict[ValuePath, None] = {}
    _collect_changed(old, new, (), paths)
    return paths  # (put in spec order by the caller)


def _collect_changed(
    old: dict[str, Any], new: dict[str, Any], at: ValuePath, paths: dict[ValuePath, None]
) -> None:
    for key, value in new.items():
        before = old.get(key, ABSENT)
        if before == value:
            continue
        if isinstance(before, dict) and isinstance(value, dict):
            _collect_changed(before, value, (*at, key), paths)
        else:
            paths[(*at, key)] = None


# Python equates True with 1 and False with 0; JSON does not.
_BOOLEAN_TAGS = {True: "\x00voiceops:true", False: "\x00voiceops:false"}
_NAN_TAG = "\x00voiceops:nan"


def _comparable(value: Any) -> Any:
    """`value` prepared for an exact comparison with JSON's notion of equality: a whole
    float becomes an int (so `1.0` equals `1`), and each boolean a tag no number equals.

    Python's == then agrees with JSON's equality, with no rounding of numbers."""
    if isinstance(value, bool):
        return _BOOLEAN_TAGS[value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, float) and value != value:
        return _NAN_TAG  # NaN (only YAML can write it) equals itself here
    if isinstance(value, dict):
        return {key: _comparable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_comparable(item) for item in value]
    return value


def _spec_order(path: ValuePath, desired: Any) -> tuple[int, ...]:
    """Where each step of `path` is written in the spec, so that changes read in spec order
    at every level of nesting."""
    positions = []
    data = desired
    for part in path:
        keys = list(data) if isinstance(data, dict) else []
        positions.append(keys.index(part) if part in keys else len(keys))
        data = data[part] if part in keys else None
    return tuple(positions)


def _under(path: ValuePath, fields: frozenset[ValuePath]) -> bool:
    """True when `path` is one of `fields`, inside one, or contains one."""
    if not fields:
        return False
    return any(is_under(path, f) or is_under(f, path) for f in fields)
