"""The JSON Schemas voiceops ships, compiled once per run.

The schemas are the single source of truth for what a spec may contain and for which
fields are sensitive or write-only: those are marked with the annotation keywords below,
and this module reads them back as field paths.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema_rs

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator, ValidationError

SENSITIVE = "x-voiceops-sensitive"
WRITE_ONLY = "x-voiceops-write-only"
# Taken by the vendor's create, no longer by its update: never sent in an update.
CREATE_ONLY = "x-voiceops-create-only"
# Readable, but left out of reads in some configurations: `doctor` does not miss it.
READ_OPTIONAL = "x-voiceops-read-optional"
ERROR_MESSAGE = "x-voiceops-error"
HINT = "x-voiceops-hint"
# The risk labels a change to the field gets (`model`, `voice`, `prompt`, ...).
LABELS = "x-voiceops-labels"

FieldPath = tuple[str, ...]


def bundled_schema_dir() -> Path:
    """`schemas/` inside an installed wheel, or at the top of a source checkout."""
    packaged = Path(str(resources.files("voiceops"))) / "_schemas"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "schemas"


class CompiledSchema:
    """One schema, compiled twice: a fast yes/no check (jsonschema-rs, in Rust) for the
    common case of a valid document, and python-jsonschema to explain the failures.

    The fast check validates formats, so it is never more lenient than the explaining one;
    an instance it rejects is valid if jsonschema finds no error in it. The explaining
    validator is built (and python-jsonschema imported) only when an instance fails."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema
        self.fast = jsonschema_rs.Draft202012Validator(schema, validate_formats=True)

    @cached_property
    def explainer(self) -> Draft202012Validator:
        from jsonschema import Draft202012Validator

        checker = Draft202012Validator.FORMAT_CHECKER
        return Draft202012Validator(self.schema, format_checker=checker)

    def is_valid(self, instance: Any) -> bool:
        return bool(self.fast.is_valid(instance)) or self.explainer.is_valid(instance)

    def iter_errors(self, instance: Any) -> Iterator[ValidationError]:
        if self.fast.is_valid(instance):
            return iter(())
        errors: Iterator[ValidationError] = self.explainer.iter_errors(instance)
        return errors


class SchemaStore:
    """Loads each schema file at most once and keeps one compiled validator per schema."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or bundled_schema_dir()
        self._documents: dict[str, dict[str, Any]] = {}
        self._validators: dict[tuple[str, str], CompiledSchema] = {}
        self._property_names: dict[str, frozenset[str]] = {}
        self._annotated: dict[tuple[str, str], dict[FieldPath, Any]] = {}

    @cached_property
    def names(self) -> tuple[str, ...]:
        """Every schema in the directory, by name (listed once per store)."""
        files = self.directory.glob("*.schema.json")
        return tuple(sorted(p.name.removesuffix(".schema.json") for p in files))

    def document(self, name: str) -> dict[str, Any]:
        if name not in self._documents:
            path = self.directory / f"{name}.schema.json"
            self._documents[name] = json.loads(path.read_text(encoding="utf-8"))
        return self._documents[name]

    def validator(self, name: str, pointer: str = "") -> CompiledSchema:
        """Validator for a schema file, or for a subschema of it given as a JSON pointer."""
        key = (name, pointer)
        if key not in self._validators:
            root = self.document(name)
            schema: dict[str, Any] = root
            if pointer:
                # Keep $defs reachable from a subschema by referencing it inside the root.
                schema = {"$schema": root.get("$schema"), "$defs": root.get("$defs", {})}
                schema["$ref"] = f"#{pointer}"
            self._validators[key] = CompiledSchema(schema)
        return self._validators[key]

    def annotated_fields(self, name: str, keyword: str) -> frozenset[FieldPath]:
        """Paths of spec fields whose schema carries `keyword: true`."""
        return frozenset(p for p, v in self._annotations(name, keyword).items() if v is True)

    def field_labels(self, name: str) -> dict[FieldPath, tuple[str, ...]]:
        """The risk labels the vendor's schema gives its fields: `x-voiceops-labels` on a
        property, or at the schema's top as a map of dotted field names to labels (for
        names a vendor uses that the properties do not spell yet)."""
        found = dict(self._annotations(name, LABELS))
        top = self.document(name).get(LABELS, {})
        for dotted_name, value in top.items() if isinstance(top, dict) else ():
            found.setdefault(tuple(dotted_name.split(".")), value)
        return {path: tuple(map(str, value)) for path, value in found.items()}

    def _annotations(self, name: str, keyword: str) -> dict[FieldPath, Any]:
        """The value of `keyword` on each spec field whose schema carries it."""
        if (name, keyword) not in self._annotated:
            root = self.document(name)
            found: dict[FieldPath, Any] = {}
            _collect(root, root, (), keyword, found, depth=0)
            self._annotated[name, keyword] = found
        return self._annotated[name, keyword]

    def property_names(self, name: str) -> frozenset[str]:
        if name not in self._property_names:
            self._property_names[name] = frozenset(self.document(name).get("properties", {}))
        return self._property_names[name]


def _collect(
    root: dict[str, Any],
    schema: Any,
    path: FieldPath,
    keyword: str,
    found: dict[FieldPath, Any],
    depth: int,
) -> None:
    if not isinstance(schema, dict) or depth > 32:
        return
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        _collect(root, target, path, keyword, found, depth + 1)
    if keyword in schema and path:
        found[path] = schema[keyword]
    for name, sub in schema.get("properties", {}).items():
        _collect(root, sub, (*path, name), keyword, found, depth + 1)
    for combinator in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(combinator, []):
            _collect(root, sub, path, keyword, found, depth + 1)
