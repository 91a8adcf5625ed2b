"""Assistant documents: the files users write, checked and turned into specs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voiceops import envref, schema_errors
from voiceops.config import Config
from voiceops.errors import Diagnostic, Location, VoiceopsError, display_path
from voiceops.providers import PROVIDER_TYPES
from voiceops.schemas import SchemaStore
from voiceops.yamlsource import YamlDocument, YamlPath, load_file, walk

SPEC_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class AssistantSpec:
    """One assistant as git describes it. `spec` still holds `${env:…}` references."""

    name: str
    connection: str
    id: str
    spec: dict[str, Any]
    doc: YamlDocument = field(repr=False, compare=False)
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def source(self) -> str:
        return self.doc.source

    def location(self, spec_path: YamlPath = ()) -> Location:
        return self.doc.location(("spec", *spec_path))


@dataclass
class LoadResult:
    specs: list[AssistantSpec]
    diagnostics: list[Diagnostic]
    documents: int = 0

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]


def spec_files(paths: Iterable[Path]) -> list[Path]:
    """Every YAML file named by `paths` (files as given, directories searched recursively)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                sorted(p for p in path.rglob("*") if p.suffix in SPEC_SUFFIXES and p.is_file())
            )
        elif path.exists():
            found.append(path)
        else:
            raise VoiceopsError(f"{path} does not exist")
    return found


def load_specs(
    paths: Iterable[Path], config: Config, schemas: SchemaStore, *, lenient: bool = False
) -> LoadResult:
    """Parse and check every document; report every problem, not just the first."""
    result = LoadResult(specs=[], diagnostics=[])
    envelopes: list[AssistantSpec] = []
    for path in spec_files(paths):
        source = display_path(path)
        try:
            documents = load_file(path, source)
        except VoiceopsError as exc:
            result.diagnostics.append(Diagnostic(exc.message, exc.location))
            continue
        if not documents:
            result.diagnostics.append(
                Diagnostic("file is empty; expected at least one assistant document", Location(source))
            )
        for doc in documents:
            result.documents += 1
            spec, problems = _check_document(doc, config, schemas, lenient)
            result.diagnostics.extend(problems)
            if spec is None:
                continue
            envelopes.append(spec)
            if not any(p.severity == "error" for p in problems):
                result.specs.append(spec)
    result.diagnostics.extend(_cross_check(envelopes))
    return result


def _check_document(
    doc: YamlDocument, config: Config, schemas: SchemaStore, lenient: bool
) -> tuple[AssistantSpec | None, list[Diagnostic]]:
    if not isinstance(doc.data, dict):
        kind = type(doc.data).__name__
        return None, [Diagnostic(f"an assistant document must be a mapping, not {kind}", doc.location(()))]
    data = doc.data
    problems = schema_errors.check(schemas.validator("assistant"), data, doc)
    if problems:
        return None, problems
    connection = config.connections.get(data["provider"])
    if connection is None:
        known = ", ".join(sorted(config.connections)) or "none"
        message = f"unknown connection {data['provider']!r}; voiceops.yaml defines: {known}"
        return None, [Diagnostic(message, doc.location(("provider",)))]
    spec = data["spec"]
    problems = schema_errors.check(
        schemas.validator(connection.type), spec, doc, ("spec",), lenient=lenient
    )
    mismatch = _type_mismatch(spec, connection.type, schemas)
    if mismatch:
        message = (
            f"connection {connection.name!r} is of type {connection.type}, but this spec uses "
            f"{mismatch} fields; point provider at a {mismatch} connection"
        )
        unknown_field = [p for p in problems if p.message.startswith("unknown field")]
        problems = [p for p in problems if p not in unknown_field]
        problems.insert(0, Diagnostic(message, doc.location(("provider",))))
    for path, value in walk(spec):
        if isinstance(value, str):
            bad = envref.malformed_reference(value)
            if bad:
                problems.append(Diagnostic(bad, doc.location(("spec", *path))))
    labels = data["metadata"].get("labels", {})
    return AssistantSpec(
        data["metadata"]["name"], connection.name, str(data["id"]), spec, doc, labels
    ), problems


def _type_mismatch(spec: dict[str, Any], kind: str, schemas: SchemaStore) -> str | None:
    """The other provider type whose fields this spec uses, when it is not `kind`'s."""
    keys = set(spec)
    if not keys or keys <= schemas.property_names(kind):
        return None
    for other in PROVIDER_TYPES:
        if other != kind and keys <= schemas.property_names(other):
            return other
    return None


def _cross_check(specs: list[AssistantSpec]) -> list[Diagnostic]:
    problems: list[Diagnostic] = []
    names: dict[str, AssistantSpec] = {}
    targets: dict[tuple[str, str], AssistantSpec] = {}
    for spec in specs:
        first = names.setdefault(spec.name, spec)
        if first is not spec:
            problems.append(
                Diagnostic(
                    f"duplicate assistant name {spec.name!r}; also defined at "
                    f"{first.doc.location(('metadata', 'name'))}",
                    spec.doc.location(("metadata", "name")),
                )
            )
        first = targets.setdefault((spec.connection, spec.id), spec)
        if first is not spec:
            problems.append(
                Diagnostic(
                    f"assistant {spec.id!r} on connection {spec.connection!r} is already managed "
                    f"by {first.name!r} ({first.doc.location(('id',))})",
                    spec.doc.location(("id",)),
                )
            )
    return problems
