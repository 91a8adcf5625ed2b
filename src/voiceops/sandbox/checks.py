"""A small, table-driven checker for request bodies.

Each stand-in describes its writable fields with `Spec` values and turns the
resulting `Problem`s into its own vendor's wording and error envelope.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    path: Path
    kind: str  # type | enum | min | max | min_len | max_len | pattern | unknown | required | custom
    spec: Spec | None = None
    detail: str = ""


@dataclass(frozen=True)
class Spec:
    """What one value may be. `kind` is str, int, num, bool, obj, list or any."""

    kind: str
    nullable: bool = False
    enum: tuple[Any, ...] | None = None
    min: float | None = None
    max: float | None = None
    min_len: int | None = None
    max_len: int | None = None
    pattern: str | None = None
    items: Spec | None = None
    fields: Mapping[str, Spec] | None = None  # None: any object content is accepted
    required: frozenset[str] = frozenset()
    extra: str = "allow"  # what to do with keys not in `fields`: allow | reject | drop
    ignore: frozenset[str] = frozenset()  # keys dropped silently even when extra == "reject"
    custom: Callable[[Any], str | None] | None = field(default=None, compare=False)


def is_int(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and value.is_integer()


def is_num(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


_TYPE_TESTS: dict[str, Callable[[Any], bool]] = {
    "str": lambda v: isinstance(v, str),
    "int": is_int,
    "num": is_num,
    "bool": lambda v: isinstance(v, bool),
    "obj": lambda v: isinstance(v, dict),
    "list": lambda v: isinstance(v, list),
    "any": lambda v: True,
}


def check(value: Any, spec: Spec, path: Path = ()) -> tuple[Any, list[Problem]]:
    """Return the value as it would be stored (ints normalised, dropped keys removed)
    and the problems found. The stored value is meaningful only without problems."""
    if value is None:
        if spec.nullable or spec.kind == "any":
            return None, []
        return None, [Problem(path, "type", spec)]
    if not _TYPE_TESTS[spec.kind](value):
        return value, [Problem(path, "type", spec)]
    if spec.kind == "int":
        value = int(value)
    if spec.enum is not None and value not in spec.enum:
        return value, [Problem(path, "enum", spec)]
    problems = _limit_problems(value, spec, path)
    value, inner_problems = _check_inside(value, spec, path)
    return value, problems + inner_problems


def _limit_problems(value: Any, spec: Spec, path: Path) -> list[Problem]:
    """Range, length, pattern and custom checks on a value of the right type."""
    kinds: list[str] = []
    if spec.kind in ("int", "num"):
        kinds += _outside(value, spec.min, spec.max, "min", "max")
    if spec.kind in ("str", "list"):
        kinds += _outside(len(value), spec.min_len, spec.max_len, "min_len", "max_len")
    if spec.kind == "str" and spec.pattern is not None and not re.fullmatch(spec.pattern, value):
        kinds.append("pattern")
    problems = [Problem(path, kind, spec) for kind in kinds]
    if spec.custom is not None:
        detail = spec.custom(value)
        if detail:
            problems.append(Problem(path, "custom", spec, detail))
    return problems


def _outside(
    amount: float, low: float | None, high: float | None, low_kind: str, high_kind: str
) -> list[str]:
    kinds: list[str] = []
    if low is not None and amount < low:
        kinds.append(low_kind)
    if high is not None and amount > high:
        kinds.append(high_kind)
    return kinds


def _check_inside(value: Any, spec: Spec, path: Path) -> tuple[Any, list[Problem]]:
    """Check a list's items or an object's fields, when the spec describes them."""
    if spec.kind == "list" and spec.items is not None:
        problems: list[Problem] = []
        cleaned_items = []
        for index, item in enumerate(value):
            cleaned, item_problems = check(item, spec.items, (*path, index))
            cleaned_items.append(cleaned)
            problems.extend(item_problems)
        return cleaned_items, problems
    if spec.kind == "obj" and spec.fields is not None:
        return _check_object(value, spec, path)
    return value, []


def _check_object(value: dict[str, Any], spec: Spec, path: Path) -> tuple[Any, list[Problem]]:
    assert spec.fields is not None
    problems: list[Problem] = []
    cleaned: dict[str, Any] = {}
    for name in spec.required:
        if name not in value:
            problems.append(Problem((*path, name), "required", spec.fields.get(name)))
    for key, item in value.items():
        if key in spec.ignore:
            continue
        sub = spec.fields.get(key)
        if sub is None:
            if spec.extra == "reject":
                problems.append(Problem((*path, key), "unknown"))
            elif spec.extra == "allow":
                cleaned[key] = item
            continue
        cleaned[key], sub_problems = check(item, sub, (*path, key))
        problems.extend(sub_problems)
    return cleaned, problems


def dotted(path: Path) -> str:
    return ".".join(str(part) for part in path)


def number_text(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)
