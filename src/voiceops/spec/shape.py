"""What a vendor schema says a live assistant looks like, for checking vendor answers.

`validate` checks what users write; this checks what vendors answer, so it is lenient where
validation is strict: it only asks which keys the schema knows, which JSON type each value
has, and which readable fields are missing. `voiceops doctor` reports all three, and `plan`
and `drift` count the unknown keys to point at `doctor`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from voiceops.paths import Path

# Deeper than this, vendor data is not walked (assistants are a few levels deep).
MAX_DEPTH = 16

ITEM_KEY = "x-voiceops-item-key"
_JSON_TYPES = ("string", "integer", "number", "boolean", "object", "array", "null")


@dataclass
class Shape:
    """One node of a schema, reduced to what an answer can be checked against."""

    types: frozenset[str] = frozenset()  # empty: any type
    properties: dict[str, Shape] | None = None  # None: not an object with known keys
    closed: bool = False  # additionalProperties: false
    values: Shape | None = None  # additionalProperties given as a schema
    items: Shape | None = None
    # The key that names a list's item (`x-voiceops-item-key`): items are matched by it.
    item_key: str | None = None


def shape_of(root: dict[str, Any], node: Any = None, depth: int = 0) -> Shape:
    """The `Shape` of `node` (the schema root when None), local `$ref`s followed."""
    node = root if node is None else node
    if not isinstance(node, dict) or depth > MAX_DEPTH:
        return Shape()
    node = _resolved(root, node)
    types = node.get("type", ())
    types = frozenset([types] if isinstance(types, str) else types)
    shape = Shape(types=types)
    if "properties" in node:
        shape.properties = {
            name: shape_of(root, sub, depth + 1) for name, sub in node["properties"].items()
        }
    additional = node.get("additionalProperties")
    shape.closed = additional is False
    if isinstance(additional, dict):
        shape.values = shape_of(root, additional, depth + 1)
    if isinstance(node.get("items"), dict):
        shape.items = shape_of(root, node["items"], depth + 1)
    key = node.get(ITEM_KEY)
    shape.item_key = key if isinstance(key, str) else None
    return shape


def _resolved(root: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if not (isinstance(ref, str) and ref.startswith("#/")):
        return node
    target: Any = root
    for part in ref[2:].split("/"):
        target = target.get(part, {}) if isinstance(target, dict) else {}
    return {**target, **{k: v for k, v in node.items() if k != "$ref"}}


def json_type(value: Any) -> str:
    """The JSON type of a decoded value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def fits(types: frozenset[str], value: Any) -> bool:
    """Whether `value` has one of the JSON `types` (an integer is a number too)."""
    if not types:
        return True
    kind = json_type(value)
    if kind == "number" and "integer" in types and float(value).is_integer():
        return True
    return kind in types or (kind == "integer" and "number" in types)


@dataclass(frozen=True)
class Finding:
    """Something in a vendor's answer that the schema does not expect."""

    kind: str  # unknown | type | missing
    path: Path
    detail: str = ""


def child(shape: Shape | None, key: str) -> Shape | None:
    """The shape of `key` inside an object of `shape` (None where the schema says nothing)."""
    if shape is None:
        return None
    return (shape.properties or {}).get(key, shape.values)


def unknown_keys(shape: Shape, value: Any, path: Path = (), depth: int = 0) -> Iterator[Path]:
    """Paths of keys in `value` that the schema does not know (in closed objects). Only
    containers are walked: a plan asks this of every assistant it reads."""
    if depth > MAX_DEPTH:
        return
    if isinstance(value, dict):
        known = shape.properties or {}
        for key, item in value.items():
            sub = known.get(key, shape.values)
            if sub is None:
                if shape.closed:
                    yield (*path, key)
            elif isinstance(item, dict | list):
                yield from unknown_keys(sub, item, (*path, key), depth + 1)
    elif isinstance(value, list) and shape.items is not None:
        for index, item in enumerate(value):
            if isinstance(item, dict | list):
                yield from unknown_keys(shape.items, item, (*path, index), depth + 1)


def findings(shape: Shape, value: Any, path: Path = (), depth: int = 0) -> Iterator[Finding]:
    """Unknown keys and values of another JSON type than the schema's, in `value`."""
    if depth > MAX_DEPTH:
        return
    if value is None:
        return  # reads show an unset field as null, whatever its type
    if not fits(shape.types, value):
        wanted = " or ".join(t for t in _JSON_TYPES if t in shape.types)
        yield Finding("type", path, f"{json_type(value)} where the schema has {wanted}")
        return
    if isinstance(value, dict):
        yield from _object_findings(shape, value, path, depth)
    elif isinstance(value, list) and shape.items is not None:
        for index, item in enumerate(value):
            yield from findings(shape.items, item, (*path, index), depth + 1)


def _object_findings(
    shape: Shape, value: dict[str, Any], path: Path, depth: int
) -> Iterator[Finding]:
    known = shape.properties or {}
    for key, item in value.items():
        sub = known.get(key, shape.values)
        if sub is not None:
            yield from findings(sub, item, (*path, key), depth + 1)
        elif shape.closed:
            yield Finding("unknown", (*path, key))


def missing_fields(
    shape: Shape, value: dict[str, Any], unreadable: frozenset[tuple[str, ...]]
) -> list[str]:
    """Top-level fields the schema has and `value` lacks, but for `unreadable` ones (those
    the vendor is known not to show: write-only, create-only). Nested keys are often
    optional in reads, so only the top level is asked for."""
    return [key for key in shape.properties or {} if key not in value and (key,) not in unreadable]
