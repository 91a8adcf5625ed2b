"""`voiceops validate` and the input stage every other command starts with."""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass
from pathlib import Path

from voiceops.errors import Diagnostic, InputErrors, Severity, VoiceopsError, display_path
from voiceops.spec.config import Config, load_config
from voiceops.spec.documents import AssistantSpec, LoadResult, diagnostic_order, load_specs
from voiceops.spec.policies import policy_problems
from voiceops.spec.schemas import SchemaStore


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

    @property
    def every_spec(self) -> list[AssistantSpec]:
        return self.specs if self.untargeted is None else self.untargeted


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
    found = list(dict.fromkeys(d for result in results for d in result.diagnostics))
    empty = not results[0].documents and not paths
    diagnostics = sorted(found, key=diagnostic_order) + ([_nothing_here(config)] if empty else [])
    assistants = display_path(config.assistants_dir)
    return ValidationReport(diagnostics, results[0].documents, record, assistants, names)


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
) -> Project:
    """The validated project (of `environment`: its connections, and the effective spec, id
    and ensure of each document that does not leave it out); raises InputErrors unless every
    document is valid. With environments defined, one must be chosen. `targets` narrows the
    specs to those names, `connections` the specs and the config to those connections."""
    schemas = SchemaStore()
    config = load_config(config_path, schemas).choose(environment)
    result = load_specs([_assistants_dir(config)], config, schemas, lenient=config.lenient)
    errors = result.errors or policy_problems(config.policies, result.specs, config.vendor_of)
    if errors:
        raise InputErrors(sorted(errors, key=diagnostic_order))
    specs = _targeted(result.specs, targets)
    if connections:
        config = only_connections(config, connections)
        specs = [s for s in specs if s.connection in connections]
    warnings = [d for d in result.diagnostics if d.severity is Severity.WARNING]
    if not result.documents:
        warnings.append(_nothing_here(config))
    return Project(
        config, specs, schemas, warnings, managed=len(result.specs), untargeted=result.specs
    )


def _targeted(specs: list[AssistantSpec], targets: tuple[str, ...]) -> list[AssistantSpec]:
    """The specs --target names (all without --target)."""
    if not targets:
        return specs
    names = [s.name for s in specs]
    unknown = sorted(set(targets) - set(names))
    if unknown:
        raise VoiceopsError(_unknown_targets(unknown, names))
    return [s for s in specs if s.name in targets]


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
