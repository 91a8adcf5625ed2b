"""`voiceops.yaml`: where specs live and how to reach each provider connection."""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voiceops.errors import (
    Diagnostic,
    InputErrors,
    Location,
    Severity,
    VoiceopsError,
    display_path,
)
from voiceops.spec import schema_errors
from voiceops.spec.defaults import DEFAULTS
from voiceops.spec.environments import (
    ENVIRONMENTS,
    EnvironmentView,
    effective_providers,
    environment_names,
    unknown_environment,
    written_at,
)
from voiceops.spec.policies import Policy, read_policies
from voiceops.spec.schemas import SchemaStore
from voiceops.spec.urls import base_url_problem
from voiceops.spec.vendors import REPORT_UNMANAGED, cannot_list, lists, vendor_types
from voiceops.spec.yamlsource import Positions, YamlDocument, YamlPath, load_file

CONFIG_NAMES = ("voiceops.yaml", "voiceops.yml")


@dataclass(frozen=True)
class Connection:
    """A named provider connection: its type and its settings (never secret values)."""

    name: str
    type: str
    settings: dict[str, Any]
    location: Location

    def setting(self, key: str, default: Any = None) -> Any:
        return self.settings.get(key, default)

    @property
    def report_unmanaged(self) -> bool:
        """Whether plan and drift list the live assistants no document manages."""
        return self.setting(REPORT_UNMANAGED) is True


@dataclass(frozen=True)
class Config:
    path: Path
    assistants_dir: Path
    connections: dict[str, Connection]
    lenient: bool = DEFAULTS.lenient
    concurrency: int = DEFAULTS.concurrency
    max_update_share: float = DEFAULTS.max_update_share
    min_managed: int = DEFAULTS.min_managed
    dashboard_edits: str = DEFAULTS.dashboard_edits
    # review.labels: per vendor type, a field's risk labels (dotted path -> labels).
    review_labels: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    policies: tuple[Policy, ...] = ()
    write_only_record: Path = field(default_factory=lambda: Path(DEFAULTS.write_only_record))
    # The environments voiceops.yaml defines (in its order), and the one chosen, if any.
    environments: tuple[str, ...] = ()
    environment: str | None = None
    # The connections of each environment (with environments defined, `connections` holds
    # the chosen environment's, or none until one is chosen).
    per_environment: dict[str, dict[str, Connection]] = field(default_factory=dict, repr=False)

    @property
    def vendor_of(self) -> dict[str, str]:
        """Each connection's vendor type."""
        return {name: c.type for name, c in self.connections.items()}

    @property
    def root(self) -> Path:
        return self.path.parent

    def in_environment(self, name: str) -> Config:
        """This config as environment `name` sees it: its connections, and its own
        write-only record (`<record dir>/<name>/<record file>`)."""
        if name not in self.environments:
            raise VoiceopsError(unknown_environment(name, self.environments))
        record = self.write_only_record
        if self.environment is not None:  # the base record is one directory up
            record = record.parent.parent / record.name
        return dataclasses.replace(
            self,
            connections=self.per_environment[name],
            environment=name,
            write_only_record=record.parent / name / record.name,
        )

    def choose(self, name: str | None) -> Config:
        """The config of environment `name`; with environments defined one must be chosen,
        and without them none can be."""
        if name is not None:
            return self.in_environment(name)
        if self.environments:
            raise VoiceopsError(no_environment_chosen(self.environments))
        return self

    def connection(self, name: str) -> Connection:
        """The connection called `name`; a clear error when voiceops.yaml has none."""
        if name not in self.connections:
            known = ", ".join(sorted(self.connections)) or "none"
            raise VoiceopsError(f"voiceops.yaml has no connection {name!r}; it has: {known}")
        return self.connections[name]


def find_config(start: Path | None = None) -> Path:
    start = (start or Path.cwd()).resolve()
    for directory in (start, *start.parents):
        for name in CONFIG_NAMES:
            candidate = directory / name
            if candidate.is_file():
                return candidate
    raise VoiceopsError(
        f"no voiceops.yaml in {start} or any parent directory; "
        "run voiceops init to create one, or pass --config"
    )


def no_environment_chosen(names: tuple[str, ...]) -> str:
    """One sentence for a command run without --env in a project that defines environments."""
    return (
        f"voiceops.yaml defines the environments {', '.join(names)}; choose one with "
        "--env NAME (or VOICEOPS_ENV)"
    )


def load_config(path: Path | None, schemas: SchemaStore) -> Config:
    """Read and check voiceops.yaml; raises InputErrors listing every problem in it.

    With `environments:` defined, every environment's connections are checked (each error at
    the overlay's line when the overlay wrote the value); `Config.choose` picks one."""
    path = (path or find_config()).resolve()
    if not path.is_file():
        raise VoiceopsError(f"config file {path} does not exist")
    source = display_path(path)
    documents = load_file(path, source)
    if len(documents) != 1 or not isinstance(documents[0].data, dict):
        raise VoiceopsError(_shape_problem(documents, path.name), Location(source, 1, 1))
    doc = documents[0]
    data: dict[str, Any] = doc.data
    problems = schema_errors.check(schemas.validator("voiceops-config"), data, doc)
    policies, policy_problems = read_policies(data.get("policies"), doc)
    problems += policy_problems
    names = environment_names(data)
    per_environment: dict[str, dict[str, Connection]] = {}
    if not names:
        connections = _connections(data.get("providers"), doc, schemas, problems)
    for name in names:
        view = _ProvidersView(doc, name)
        try:
            providers = effective_providers(data, name)
        except VoiceopsError as exc:
            problems.append(Diagnostic(exc.message, doc.location((ENVIRONMENTS, name))))
            continue
        per_environment[name] = _connections(providers, view, schemas, problems)
    errors = _unique(p for p in problems if p.severity is Severity.ERROR)
    if errors:
        raise InputErrors(sorted(errors, key=lambda d: d.location or Location("")))
    config = _config(path, data, {} if names else connections)
    return dataclasses.replace(
        config, environments=names, per_environment=per_environment, policies=policies
    )


def _connections(
    providers: Any, doc: Positions, schemas: SchemaStore, problems: list[Diagnostic]
) -> dict[str, Connection]:
    """The valid connections of `providers`; the problems of the others go to `problems`."""
    connections: dict[str, Connection] = {}
    for name, settings in (providers if isinstance(providers, dict) else {}).items():
        if not isinstance(settings, dict) or not isinstance(settings.get("type"), str):
            if isinstance(doc, _ProvidersView):
                problems.append(Diagnostic(_no_type(name), doc.location(("providers", name))))
            continue  # without environments, the config schema has reported it
        connection, connection_problems = _connection(name, settings, doc, schemas)
        problems += connection_problems
        if connection is not None:
            connections[name] = connection
    return connections


def _no_type(name: str) -> str:
    return f"connection {name!r} has no type in this environment: give it type: <vendor>"


def _unique(diagnostics: Any) -> list[Diagnostic]:
    """Each diagnostic once: a base problem shows in every environment."""
    return list(dict.fromkeys(diagnostics))


def _config(path: Path, data: dict[str, Any], connections: dict[str, Connection]) -> Config:
    safety = data.get("safety") or {}
    return Config(
        path=path,
        assistants_dir=(path.parent / data.get("assistants", DEFAULTS.assistants)).resolve(),
        connections=connections,
        lenient=bool(data.get("lenient", DEFAULTS.lenient)),
        concurrency=int(data.get("concurrency", DEFAULTS.concurrency)),
        max_update_share=float(safety.get("max_update_share", DEFAULTS.max_update_share)),
        min_managed=int(safety.get("min_managed", DEFAULTS.min_managed)),
        dashboard_edits=str(safety.get("dashboard_edits", DEFAULTS.dashboard_edits)),
        review_labels={
            vendor: {name: tuple(labels) for name, labels in fields.items()}
            for vendor, fields in ((data.get("review") or {}).get("labels") or {}).items()
        },
        write_only_record=path.parent / data.get("write_only_record", DEFAULTS.write_only_record),
    )


class _ProvidersView(EnvironmentView):
    """voiceops.yaml's positions as one environment sees its `providers`: a path under
    `providers` points at the overlay's line when the overlay wrote the value."""

    def written_at(self, path: YamlPath) -> YamlPath:
        if path[:1] != ("providers",):
            return path
        overlay = (ENVIRONMENTS, self.env, "providers")
        return written_at(self.doc, ("providers",), overlay, path[1:])


def _shape_problem(documents: list[YamlDocument], name: str) -> str:
    if not documents:
        return f"{name} is empty; it must be a mapping with at least a providers: section"
    if len(documents) > 1:
        return f"{name} must hold one YAML document, not {len(documents)}"
    return f"{name} must be a mapping of settings (assistants:, providers:, ...)"


def _connection(
    name: str, settings: dict[str, Any], doc: Positions, schemas: SchemaStore
) -> tuple[Connection | None, list[Diagnostic]]:
    at = ("providers", name)
    kind = settings["type"]
    types = vendor_types(schemas)
    if kind not in types:
        message = f"connection {name!r} has unknown type {kind!r}"
        close = difflib.get_close_matches(kind, types, n=1, cutoff=0.6)
        if close:
            message += f" (did you mean {close[0]!r}?)"
        message += f"; use one of: {', '.join(types)}"
        return None, [Diagnostic(message, doc.location((*at, "type")))]
    validator = schemas.validator(kind, "/$defs/connection")
    problems = []
    if REPORT_UNMANAGED in settings and not lists(schemas, kind):
        where = doc.location((*at, REPORT_UNMANAGED), key=True)
        problems.append(Diagnostic(cannot_list(kind), where))
        settings = {k: v for k, v in settings.items() if k != REPORT_UNMANAGED}
    problems += schema_errors.check(validator, settings, doc, at)
    base_url = settings.get("base_url")
    if isinstance(base_url, str) and not problems:
        problem = base_url_problem(base_url)
        if problem:
            problems.append(
                Diagnostic(f"connection {name!r}: {problem}", doc.location((*at, "base_url")))
            )
    if problems:
        return None, problems
    return Connection(name, kind, dict(settings), doc.location(at, key=True)), []
