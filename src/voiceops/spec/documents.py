"""Assistant documents: the files users write, checked and turned into specs."""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Any

from voiceops.errors import Diagnostic, Location, Severity, VoiceopsError, display_path
from voiceops.paths import dotted, lookup
from voiceops.spec import envref, schema_errors
from voiceops.spec.accounts import account_key
from voiceops.spec.config import Config, Connection
from voiceops.spec.environments import (
    ENVIRONMENTS,
    EnvironmentView,
    effective_document,
    id_path,
    unknown_document_environments,
)
from voiceops.spec.schemas import ERROR_MESSAGE, SchemaStore
from voiceops.spec.vendors import (
    CREATE_SCHEMA,
    cannot_create,
    cannot_delete,
    creates,
    deletes,
    normalize_id,
    other_set_field,
    required_on_create,
    spec_schema,
    vendor_types,
)
from voiceops.spec.yamlsource import (
    Positions,
    YamlDocument,
    YamlPath,
    load_documents,
    read_text,
)

SPEC_SUFFIXES = (".yaml", ".yml")


class Ensure(StrEnum):
    """What a document asks for: the assistant kept as its spec says, or deleted."""

    PRESENT = "present"
    ABSENT = "absent"


@dataclass(frozen=True)
class AssistantSpec:
    """One assistant as git describes it. `spec` still holds `${env:…}` references.
    `id` is None for an assistant not created yet."""

    name: str
    connection: str
    id: str | None
    spec: dict[str, Any]
    doc: YamlDocument = field(repr=False, compare=False)
    labels: dict[str, str] = field(default_factory=dict)
    ensure: Ensure = Ensure.PRESENT
    # The environment this spec is of (its effective spec, id and ensure); None without
    # environments.
    environment: str | None = None

    @property
    def source(self) -> str:
        return self.doc.source

    @property
    def positions(self) -> Positions:
        """Where the values of this spec are written (an environment's at its overlay's line)."""
        return self.doc if self.environment is None else EnvironmentView(self.doc, self.environment)

    def position(self, path: YamlPath, *, key: bool = False) -> Location:
        """Where the value at `path` of the (effective) document is written."""
        return self.positions.location(path, key=key)

    @property
    def id_path(self) -> YamlPath:
        """Where the document keeps this spec's id, and where a create writes it."""
        return ("id",) if self.environment is None else id_path(self.environment)

    @property
    def known_id(self) -> str:
        """The id of an assistant that exists at the vendor; asking before it has one is a bug."""
        if self.id is None:
            raise ValueError(f"assistant {self.name!r} has no id yet")
        return self.id

    @cached_property
    def references(self) -> tuple[tuple[YamlPath, str], ...]:
        """(path in the spec, variable) of every `${env:…}` in it, found once per run."""
        return tuple(envref.references_in(self.spec))

    def location(self, spec_path: YamlPath = ()) -> Location:
        return self.position(("spec", *spec_path))

    def reference_problems(self, env: Mapping[str, str]) -> list[Diagnostic]:
        """Every `${env:…}` in the spec that is unset or empty, at the line that uses it."""
        found = []
        for path, variable in self.references:
            message = envref.problem(variable, env)
            if message:
                found.append(Diagnostic(message, self.location(path)))
        return found


@dataclass
class LoadResult:
    specs: list[AssistantSpec]
    diagnostics: list[Diagnostic]
    documents: int = 0
    # The names of documents the environment leaves out (`environments.<env>: false`).
    left_out: list[str] = field(default_factory=list)
    # Every document read, valid or not (whose ids count for the account checks).
    sources: list[YamlDocument] = field(default_factory=list)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.ERROR]


def spec_files(paths: Iterable[Path]) -> tuple[list[Path], list[Diagnostic]]:
    """Every YAML file named by `paths` (files as given, directories searched recursively),
    and what could not be searched: an unreadable directory or a dangling symlink is an
    error, never a silent skip. Symlinked directories are not followed, as before."""
    found: list[Path] = []
    problems: list[Diagnostic] = []
    for path in paths:
        if path.is_dir():
            inside: list[Path] = []
            _search(path, inside, problems)
            found.extend(sorted(inside))
        elif path.exists():
            found.append(path)
        elif path.is_symlink():
            problems.append(_dangling(path))
        else:
            raise VoiceopsError(f"{path} does not exist")
    return found, problems


def _search(directory: Path, found: list[Path], problems: list[Diagnostic]) -> None:
    try:
        with os.scandir(directory) as scan:
            entries = sorted(scan, key=lambda e: e.name)
    except OSError as exc:
        problems.append(
            Diagnostic(
                f"cannot read the directory: {exc.strerror or exc}; voiceops would miss the "
                "assistants in it",
                Location(display_path(directory)),
            )
        )
        return
    for entry in entries:
        path = Path(entry.path)
        try:
            if entry.is_dir(follow_symlinks=False):
                _search(path, found, problems)
            elif path.suffix in SPEC_SUFFIXES:
                if entry.is_symlink() and not path.exists():
                    problems.append(_dangling(path))
                elif not entry.is_dir():  # a symlink to a directory is not followed
                    found.append(path)
        except OSError as exc:
            problems.append(Diagnostic(f"cannot read: {exc.strerror or exc}", _at(path)))


def _dangling(path: Path) -> Diagnostic:
    target = os.readlink(path)
    return Diagnostic(f"dangling symlink: its target {target} does not exist", _at(path))


def _at(path: Path) -> Location:
    # The parent is shown resolved, the entry itself not: it may be a symlink.
    return Location(str(Path(display_path(path.parent)) / path.name))


def load_specs(
    paths: Iterable[Path], config: Config, schemas: SchemaStore, *, lenient: bool = False
) -> LoadResult:
    """Parse and check every document; report every problem, not just the first."""
    files, problems = spec_files(paths)
    result = LoadResult(specs=[], diagnostics=problems)
    envelopes: list[AssistantSpec] = []
    for path in files:
        source = display_path(path)
        try:
            text = read_text(path, source)
            documents = load_documents(text, source)
        except VoiceopsError as exc:
            result.diagnostics.append(Diagnostic(exc.message, exc.location))
            continue
        if not documents:
            what = "holds only comments" if text.strip() else "is empty"
            result.diagnostics.append(
                Diagnostic(
                    f"file {what}; expected at least one assistant document "
                    "(apiVersion: voiceops/v1, kind: Assistant)",
                    Location(source),
                )
            )
        for doc in documents:
            result.documents += 1
            result.sources.append(doc)
            spec, problems = _check(doc, config, schemas, lenient)
            result.diagnostics.extend(problems)
            if spec is None:
                if _left_out(doc, config.environment):
                    result.left_out.append(str(lookup(doc.data, ("metadata", "name"))))
                continue
            envelopes.append(spec)
            if not any(p.severity is Severity.ERROR for p in problems):
                result.specs.append(spec)
    result.diagnostics.extend(_cross_check(envelopes, config, schemas))
    result.diagnostics = list(dict.fromkeys(result.diagnostics))
    result.diagnostics.sort(key=diagnostic_order)
    return result


def _left_out(doc: YamlDocument, environment: str | None) -> bool:
    return environment is not None and lookup(doc.data, (ENVIRONMENTS, environment)) is False


def diagnostic_order(d: Diagnostic) -> tuple[bool, Location]:
    """File, then line, then column; diagnostics about no file in particular first."""
    return (d.location is not None, d.location or Location(""))


@dataclass(frozen=True)
class _EffectiveView(EnvironmentView):
    """A document as one environment sees it: its effective data (base spec with the
    overlay merged over it, the environment's id and ensure), at the lines that wrote it."""

    data: dict[str, Any] = field(default_factory=dict)


_Doc = YamlDocument | _EffectiveView


def _check(
    doc: YamlDocument, config: Config, schemas: SchemaStore, lenient: bool
) -> tuple[AssistantSpec | None, list[Diagnostic]]:
    """`doc` checked as it is, or as the environment `config` is of sees it."""
    env = config.environment
    if not isinstance(doc.data, dict):
        return _check_document(doc, config, schemas, lenient)
    problems = unknown_document_environments(doc, config.environments)
    if env is None:
        if config.environments:
            raise VoiceopsError(f"checking {doc.source} needs an environment")
        spec, found = _check_document(doc, config, schemas, lenient)
        return spec, problems + found
    if isinstance(doc.data.get(ENVIRONMENTS), dict):
        validator = schemas.validator("assistant", "/$defs/environments")
        problems += schema_errors.check(validator, doc.data[ENVIRONMENTS], doc, (ENVIRONMENTS,))
    effective = effective_document(doc, env)
    reported = {p.location for p in problems}
    problems += [p for p in effective.problems if p.location not in reported]
    if effective.left_out:
        return None, problems
    view = _EffectiveView(doc, env, _effective_data(doc.data, env, effective.spec))
    spec, found = _check_document(view, config, schemas, lenient)
    return spec, problems + found


def _effective_data(data: dict[str, Any], env: str, spec: dict[str, Any]) -> dict[str, Any]:
    """The document's data in `env`: the overlay's spec, id and ensure in place of the
    top-level ones (a top-level id is reported, not used)."""
    overlay = lookup(data, (ENVIRONMENTS, env))
    overlay = overlay if isinstance(overlay, dict) else {}
    result = {k: v for k, v in data.items() if k not in (ENVIRONMENTS, "id", "ensure", "spec")}
    if isinstance(data.get("spec"), dict) or (data.get("spec") is None and "spec" in overlay):
        result["spec"] = spec
    elif "spec" in data:
        result["spec"] = data["spec"]  # not a mapping: the schema says so at its line
    if "id" in overlay:
        result["id"] = overlay["id"]
    if "ensure" in overlay or "ensure" in data:
        result["ensure"] = overlay.get("ensure", data.get("ensure"))
    return result


def _check_document(
    doc: _Doc, config: Config, schemas: SchemaStore, lenient: bool
) -> tuple[AssistantSpec | None, list[Diagnostic]]:
    data = doc.data
    if not isinstance(data, dict):
        message = (
            "an assistant document must be a mapping with apiVersion, kind, metadata, "
            f"provider, id and spec, not {_kind(data)}"
        )
        return None, [Diagnostic(message, doc.location(()))]
    problems = schema_errors.check(schemas.validator("assistant"), data, doc)
    envelope_ok = not problems
    connection = _connection(doc, config, problems)
    spec = data.get("spec")
    if isinstance(spec, dict):
        if connection is not None:
            problems += _check_spec(doc, spec, connection, config, schemas, lenient)
        references = envref.malformed_references(spec, ("spec",))
        if references:
            # A malformed reference also breaks the field's pattern; say only the first.
            at = {doc.location(path) for path, _ in references}
            problems = [p for p in problems if p.location not in at]
            problems += [Diagnostic(message, doc.location(path)) for path, message in references]
    # When the spec is for another vendor, the provider line says so; the id would only echo it.
    mismatch = any(p.location == doc.location(("provider",)) for p in problems)
    if connection is not None and not mismatch:
        problems += _check_lifecycle(doc, connection, schemas, envelope_ok)
    source = doc.doc if isinstance(doc, _EffectiveView) else doc
    problems += _number_surprises(source, problems)
    if connection is not None:
        problems += _free_form_booleans(source, schemas.document(connection.type), problems)
    if not envelope_ok or connection is None:
        return None, problems
    return _assistant_spec(doc, source, connection, schemas), problems


def _assistant_spec(
    doc: _Doc, source: YamlDocument, connection: Connection, schemas: SchemaStore
) -> AssistantSpec:
    """The spec of a document whose envelope is valid."""
    data = doc.data
    labels = data["metadata"].get("labels", {})
    raw_id = data.get("id")
    assistant_id = None if raw_id is None else normalize_id(schemas, connection.type, str(raw_id))
    ensure = Ensure(data.get("ensure", Ensure.PRESENT))
    env = doc.env if isinstance(doc, _EffectiveView) else None
    name, spec = data["metadata"]["name"], data.get("spec", {})
    return AssistantSpec(name, connection.name, assistant_id, spec, source, labels, ensure, env)


def _check_lifecycle(
    doc: _Doc, connection: Connection, schemas: SchemaStore, envelope_ok: bool
) -> list[Diagnostic]:
    """The id's form when there is one, else what creating the assistant needs; and
    `ensure: absent` only where the vendor deletes."""
    data = doc.data
    if "id" in data:
        problems = _check_id(doc, data["id"], connection, schemas) if envelope_ok else []
        if data.get("ensure") == Ensure.ABSENT and not deletes(schemas, connection.type):
            message = cannot_delete(schemas, connection.type)
            problems.append(Diagnostic(message, doc.location(("ensure",))))
        return problems
    if data.get("ensure") == Ensure.ABSENT:
        return []  # the assistant schema has said that a delete needs the id
    if not creates(schemas, connection.type):
        return [Diagnostic(cannot_create(connection.type, connection.name), doc.location(()))]
    spec = data.get("spec")
    if not isinstance(spec, dict):
        return []
    validator = schemas.validator(spec_schema(connection), CREATE_SCHEMA)
    reason = required_on_create(connection.type)
    return schema_errors.check(validator, spec, doc, ("spec",), missing_reason=reason)


def _check_id(
    doc: _Doc, value: Any, connection: Connection, schemas: SchemaStore
) -> list[Diagnostic]:
    """The id has the form its vendor gives ids (it becomes part of request URLs)."""
    validator = schemas.validator(connection.type, "/$defs/id")
    if validator.is_valid(str(value)):
        return []
    schema = schemas.document(connection.type)["$defs"]["id"]
    message = schema.get(ERROR_MESSAGE) or f"not a valid {connection.type} id"
    return [Diagnostic(f"id {value!r} is not valid here: {message}", doc.location(("id",)))]


def _connection(doc: _Doc, config: Config, problems: list[Diagnostic]) -> Connection | None:
    """The connection the document names; reports an unknown one in `problems`."""
    provider = doc.data.get("provider")
    if not isinstance(provider, str):
        return None
    connection = config.connections.get(provider)
    if connection is not None:
        return connection
    where = doc.location(("provider",))
    if not any(p.location == where for p in problems):
        names = sorted(config.connections)
        message = f"unknown connection {provider!r}"
        close = difflib.get_close_matches(provider, names, n=1, cutoff=0.6)
        if close:
            message += f"; did you mean {close[0]!r}?"
        known = ", ".join(names) if names else "no connections"
        problems.append(Diagnostic(f"{message} (voiceops.yaml defines {known})", where))
    return None


def _check_spec(
    doc: _Doc,
    spec: dict[str, Any],
    connection: Connection,
    config: Config,
    schemas: SchemaStore,
    lenient: bool,
) -> list[Diagnostic]:
    problems = schema_errors.check(
        schemas.validator(spec_schema(connection)), spec, doc, ("spec",), lenient=lenient
    )
    problems = _other_field_set(doc, spec, connection, schemas, problems)
    mismatch = _type_mismatch(spec, connection, schemas) if problems else None
    if mismatch:
        message = (
            f"connection {connection.name!r} is of type {connection.type}, but this spec uses "
            f"{mismatch} fields; point provider at a connection of type {mismatch}"
        )
        suitable = sorted(c.name for c in config.connections.values() if c.type == mismatch)
        if suitable:
            message += f", such as {', '.join(map(repr, suitable))}"
        else:
            message += ", after adding one to voiceops.yaml"
        problems = [p for p in problems if p.keyword != "additionalProperties"]
        problems.insert(0, Diagnostic(message, doc.location(("provider",))))
    return problems


def _number_surprises(doc: YamlDocument, problems: list[Diagnostic]) -> list[Diagnostic]:
    """Warnings for numbers YAML 1.1 read from unusual notation (`0755` is 493, `1:30`
    is 90) that the schema accepted, so that the change of meaning is not silent."""
    texts = doc.surprising.values()
    if not any(":" in t or t.lstrip("+-")[:1] == "0" for t in texts):
        return []
    reported = {p.location for p in problems}
    warnings = []
    for path, text in doc.surprises.items():
        where = doc.location(path)
        value = lookup(doc.data, path)
        if where in reported or isinstance(value, bool) or not isinstance(value, int | float):
            continue
        warnings.append(
            Diagnostic(
                f"{dotted(path)} is written {text}, which YAML 1.1 reads as "
                f'the number {value}; write {value} if you meant that, or "{text}" in quotes '
                "for the text",
                where,
                severity=Severity.WARNING,
            )
        )
    return warnings


def _free_form_booleans(
    doc: YamlDocument, schema: dict[str, Any], problems: list[Diagnostic]
) -> list[Diagnostic]:
    """Warnings for `NO`, `yes`, `off`… read as true or false inside a map the schema leaves
    free-form (Autocalls `variables`, Edmo `metadata`): no type check can catch them there."""
    reported = {p.location for p in problems}
    warnings = []
    for path, text in doc.surprises.items():
        field_path = _spec_part(path)
        value = lookup(doc.data, path)
        where = doc.location(path)
        if field_path is None or not isinstance(value, bool) or where in reported:
            continue
        if _declared(schema, field_path):
            continue
        warnings.append(
            Diagnostic(
                f"{dotted(path)} is written {text}, which YAML 1.1 reads as "
                f'{str(value).lower()}; write "{text}" in quotes if you meant the text',
                where,
                severity=Severity.WARNING,
            )
        )
    return warnings


def _spec_part(path: YamlPath) -> YamlPath | None:
    """The path inside the spec, for a value of `spec` or of an environment's `spec`."""
    if path[:1] == ("spec",):
        return path[1:]
    if path[:1] == ("environments",) and path[2:3] == ("spec",):
        return path[3:]
    return None


def _declared(schema: dict[str, Any], path: YamlPath) -> bool:
    """Whether the schema names every field along `path` (not a free-form map's key)."""
    node: Any = schema
    for key in path:
        ref = node.get("$ref") if isinstance(node, dict) else None
        if isinstance(ref, str) and ref.startswith("#/"):
            node = lookup(schema, tuple(ref[2:].split("/")))
        if isinstance(key, int) and isinstance(node, dict):
            node = node.get("items")
            continue
        properties = node.get("properties") if isinstance(node, dict) else None
        if not isinstance(properties, dict) or key not in properties:
            return False
        node = properties[key]
    return True


def _kind(value: Any) -> str:
    if value is None:
        return "an empty document"
    if isinstance(value, list):
        return "a list"
    return f"a single value ({value!r})"


def _other_field_set(
    doc: _Doc,
    spec: dict[str, Any],
    connection: Connection,
    schemas: SchemaStore,
    problems: list[Diagnostic],
) -> list[Diagnostic]:
    """`problems` with each unknown field that another field set of the vendor has said as
    such: its name in the connection's set, or the setting that selects the other set."""
    known = schemas.property_names(spec_schema(connection))
    replaced: dict[Location | None, str] = {}
    for key in (k for k in spec if isinstance(k, str) and k not in known):
        message = other_set_field(schemas, connection, key)
        if message is not None:
            replaced[doc.location(("spec", key), key=True)] = message
    if not replaced:
        return problems
    return [
        Diagnostic(replaced[p.location], p.location, keyword=p.keyword)
        if p.keyword == "additionalProperties" and p.location in replaced
        else p
        for p in problems
    ]


def _type_mismatch(
    spec: dict[str, Any], connection: Connection, schemas: SchemaStore
) -> str | None:
    """The other provider type whose fields this spec uses, when it is not the connection's."""
    kind = connection.type
    keys = set(spec)
    if not keys or keys <= schemas.property_names(spec_schema(connection)):
        return None
    fits = [o for o in vendor_types(schemas) if o != kind and keys <= schemas.property_names(o)]
    return fits[0] if len(fits) == 1 else None


def _cross_check(
    specs: list[AssistantSpec], config: Config, schemas: SchemaStore
) -> list[Diagnostic]:
    """Names are unique, and no assistant is managed twice: ids are compared in their
    normalised form, on the account their connection reaches."""
    problems: list[Diagnostic] = []
    names: dict[str, AssistantSpec] = {}
    targets: dict[tuple[Any, str], AssistantSpec] = {}
    accounts = {name: account_key(c, schemas) for name, c in config.connections.items()}
    for spec in specs:
        first = names.setdefault(spec.name, spec)
        if first is not spec:
            problems.append(
                Diagnostic(
                    f"duplicate assistant name {spec.name!r}; also defined at "
                    f"{first.position(('metadata', 'name'))}",
                    spec.position(("metadata", "name")),
                )
            )
        if spec.id is None:
            continue
        first = targets.setdefault((accounts[spec.connection], spec.id), spec)
        if first is not spec:
            where = f"connection {spec.connection!r}"
            if spec.environment is not None:
                where += f" in environment {spec.environment!r}"
            if first.connection != spec.connection:
                where += f" (the same account as {first.connection!r})"
            problems.append(
                Diagnostic(
                    f"assistant {spec.id!r} on {where} is already managed "
                    f"by {first.name!r} ({first.position(('id',))})",
                    spec.position(("id",)),
                )
            )
    return problems
