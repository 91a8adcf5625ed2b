"""`voiceops validate` and the input stage every other command starts with."""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass
from pathlib import Path

from voiceops.errors import Diagnostic, InputErrors, Severity, VoiceopsError, display_path
from voiceops.spec.accounts import across_environments, managed_on, owners
from voiceops.spec.config import Config, load_config
from voiceops.spec.documents import AssistantSpec, LoadResult, diagnostic_order, load_specs
from voiceops.spec.policies import policy_problems
from voiceops.spec.schemas import SchemaStore
from voiceops.spec.yamlsource import YamlDocument


@dataclass
class ValidationReport:
    diagnostics: list[Diagnostic]
    documents: int
    # Where apply keeps its record (as the user would type it); None when the config is broken.
    write_only_record: str | None = None
    # The assistants directory (the same way); None when the config is broken.
    assistants: str | None = None
    # The environments voiceops.yaml defines (in its order); empty without.
    environments: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not any(d.severity is Severity.ERROR for d in self.diagnostics)


@dataclass
class Project:
    """Everything read from the repository: the config and the valid specs."""

    config: Config
    specs: list[AssistantSpec]
    schemas: SchemaStore
    warnings: list[Diagnostic]
    # Every assistant the repository manages, also when --target narrows `specs`.
    managed: int
    # The valid documents before --target narrowed them (None: `specs` are all of them).
    untargeted: list[AssistantSpec] | None = None
    # Per connection: the ids documents manage on its account, in any environment (None:
    # worked out from `every_spec`, this environment's only).
    account_ids: dict[str, frozenset[str]] | None = None
    # Every document read, valid or not (import: whose ids, names and references count).
    documents: list[YamlDocument] = dataclasses.field(default_factory=list)

    @property
    def every_spec(self) -> list[AssistantSpec]:
        return self.specs if self.untargeted is None else self.untargeted

    def managed_ids(self, connection: str) -> frozenset[str]:
        """The ids no adopt or create on `connection` may take: those any document manages
        on its account, through any connection, in any environment (--target or not)."""
        if self.account_ids is not None and connection in self.account_ids:
            return self.account_ids[connection]
        return frozenset(
            s.id for s in self.every_spec if s.connection == connection and s.id is not None
        )


def validate(
    paths: list[Path],
    config_path: Path | None,
    *,
    lenient: bool = False,
    environment: str | None = None,
) -> ValidationReport:
    """Check every document offline, in every environment (or in `environment` only).
    Never raises for a user mistake: it reports it. The write-only record reported is the
    one of `environment`, and none for a project with environments when none is given."""
    schemas = SchemaStore()
    names: tuple[str, ...] = ()
    try:
        config = load_config(config_path, schemas)
        names = config.environments
        configs = [config.in_environment(environment)] if environment else [config]
        if names and not environment:
            configs = [config.in_environment(name) for name in names]
        results = [_load(paths, each, schemas, lenient) for each in configs]
    except InputErrors as exc:
        return ValidationReport(sorted(exc.diagnostics, key=diagnostic_order), 0, None, None, names)
    except VoiceopsError as exc:
        return ValidationReport([Diagnostic(exc.message, exc.location)], 0, None, None, names)
    chosen = configs[0] if len(configs) == 1 else None
    record = display_path(chosen.write_only_record) if chosen else None
    found = _naming_environments(configs, results)
    if names:
        found += across_environments(owners(results[0].sources, config, schemas))
    empty = not results[0].documents and not paths
    diagnostics = sorted(found, key=diagnostic_order) + ([_nothing_here(config)] if empty else [])
    assistants = display_path(config.assistants_dir)
    return ValidationReport(diagnostics, results[0].documents, record, assistants, names)


def _naming_environments(configs: list[Config], results: list[LoadResult]) -> list[Diagnostic]:
    """Each distinct finding once, naming the environments it was found in."""
    found: dict[Diagnostic, list[str]] = {}
    for config, result in zip(configs, results, strict=True):
        for diagnostic in result.diagnostics:
            names = found.setdefault(diagnostic, [])
            if config.environment is not None and config.environment not in names:
                names.append(config.environment)
    return [dataclasses.replace(d, environments=tuple(names)) for d, names in found.items()]


def _load(paths: list[Path], config: Config, schemas: SchemaStore, lenient: bool) -> LoadResult:
    directories = paths or [_assistants_dir(config)]
    result = load_specs(directories, config, schemas, lenient=lenient or config.lenient)
    result.diagnostics += policy_problems(config.policies, result.specs, config.vendor_of)
    return result


def _assistants_dir(config: Config) -> Path:
    directory = config.assistants_dir
    if not directory.is_dir():
        raise VoiceopsError(
            f"the assistants directory {display_path(directory)} named in "
            f"{display_path(config.path)} does not exist"
        )
    return directory


def load_project(
    config_path: Path | None,
    *,
    targets: tuple[str, ...] = (),
    environment: str | None = None,
    connections: tuple[str, ...] = (),
    lenient: bool = False,
) -> Project:
    """The validated project (of `environment`: its connections, and the effective spec, id
    and ensure of each document that does not leave it out); raises InputErrors unless every
    document is valid. With environments defined, one must be chosen. `targets` narrows the
    specs to those names, `connections` the specs and the config to those connections."""
    schemas = SchemaStore()
    config = load_config(config_path, schemas).choose(environment)
    lenient = lenient or config.lenient
    result = load_specs([_assistants_dir(config)], config, schemas, lenient=lenient)
    ids = owners(result.sources, config, schemas)
    errors = result.errors + (across_environments(ids) if config.environments else [])
    errors = errors or policy_problems(config.policies, result.specs, config.vendor_of)
    if errors:
        raise InputErrors(sorted(errors, key=diagnostic_order))
    specs = _targeted(result, targets, config.environment)
    if connections:
        config = only_connections(config, connections)
        specs = [s for s in specs if s.connection in connections]
        reporting = any(c.report_unmanaged for c in config.connections.values())
        if not specs and (targets or result.specs) and not reporting:
            raise VoiceopsError(_no_match(targets, connections))
    warnings = [d for d in result.diagnostics if d.severity is Severity.WARNING]
    if not result.documents:
        warnings.append(_nothing_here(config))
    account_ids = managed_on(ids, config, schemas)
    managed = len(result.specs)
    return Project(
        config, specs, schemas, warnings, managed, result.specs, account_ids, result.sources
    )


def _targeted(
    result: LoadResult, targets: tuple[str, ...], environment: str | None
) -> list[AssistantSpec]:
    """The specs --target names (all without --target)."""
    specs = result.specs
    if not targets:
        return specs
    names = [s.name for s in specs]
    left_out = sorted(set(targets) & set(result.left_out))
    if left_out:
        raise VoiceopsError(
            f"{', '.join(map(repr, left_out))} is left out of the environment {environment!r} "
            f"(environments.{environment}: false in its document)"
        )
    unknown = sorted(set(targets) - set(names))
    if unknown:
        raise VoiceopsError(_unknown_targets(unknown, names))
    return [s for s in specs if s.name in targets]


def _no_match(targets: tuple[str, ...], connections: tuple[str, ...]) -> str:
    named = f" named {', '.join(map(repr, targets))}" if targets else ""
    return (
        f"no assistant{named} uses the connection {', '.join(map(repr, connections))}; "
        "nothing to do"
    )


def only_connections(config: Config, names: tuple[str, ...]) -> Config:
    """`config` with only the connections `names` (each one it defines, or one sentence)."""
    known = list(config.connections)
    unknown = sorted(set(names) - set(known))
    if unknown:
        where = f" in environment {config.environment!r}" if config.environment else ""
        raise VoiceopsError(
            f"no connection is named {', '.join(map(repr, unknown))}{where}"
            f"{did_you_mean(unknown, known)}; voiceops.yaml defines {', '.join(sorted(known))}"
        )
    chosen = {n: c for n, c in config.connections.items() if n in names}
    return dataclasses.replace(config, connections=chosen)


def _unknown_targets(unknown: list[str], names: list[str]) -> str:
    return f"no assistant is named {', '.join(map(repr, unknown))}{did_you_mean(unknown, names)}"


def did_you_mean(unknown: list[str], names: list[str]) -> str:
    """` (did you mean 'x'?)` for the closest known name to each unknown one, or nothing:
    a name that starts with or contains the mistyped one, else a close spelling."""
    close = []
    for name in unknown:
        starting = sorted(n for n in names if n.startswith(name) or name in n)
        spelled = difflib.get_close_matches(name, names, n=1, cutoff=0.75)
        close += (starting or spelled)[:1]
    return f" (did you mean {', '.join(map(repr, close))}?)" if close else ""


def _nothing_here(config: Config) -> Diagnostic:
    return Diagnostic(
        f"{display_path(config.assistants_dir)} holds no assistant documents yet: write one "
        "(voiceops init writes examples), or take over live assistants with voiceops import",
        severity=Severity.WARNING,
    )


def policy_warnings(project: Project, paths: list[Path]) -> list[Diagnostic]:
    """Warnings for the documents at `paths` (just imported) that break a policy: an
    import writes what live has, and the person who reviews the files is told."""
    config = project.config
    if not config.policies or not paths:
        return []
    result = load_specs(paths, config, project.schemas, lenient=True)
    warning = Severity.WARNING
    return policy_problems(config.policies, result.specs, config.vendor_of, warning)
