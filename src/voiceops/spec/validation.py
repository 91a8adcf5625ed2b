"""`voiceops validate` and the input stage every other command starts with."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from voiceops.errors import Diagnostic, InputErrors, Severity, VoiceopsError, display_path
from voiceops.spec.config import Config, load_config
from voiceops.spec.documents import AssistantSpec, diagnostic_order, load_specs
from voiceops.spec.schemas import SchemaStore


@dataclass
class ValidationReport:
    diagnostics: list[Diagnostic]
    documents: int
    # Where apply keeps its record (as the user would type it); None when the config is broken.
    write_only_record: str | None = None
    # The assistants directory (the same way); None when the config is broken.
    assistants: str | None = None

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
    paths: list[Path], config_path: Path | None, *, lenient: bool = False
) -> ValidationReport:
    """Check every document offline. Never raises for a user mistake: it reports it."""
    schemas = SchemaStore()
    try:
        config = load_config(config_path, schemas)
        result = load_specs(
            paths or [_assistants_dir(config)], config, schemas, lenient=lenient or config.lenient
        )
    except InputErrors as exc:
        return ValidationReport(sorted(exc.diagnostics, key=diagnostic_order), 0)
    except VoiceopsError as exc:
        return ValidationReport([Diagnostic(exc.message, exc.location)], 0)
    record = display_path(config.write_only_record)
    empty = not result.documents and not paths
    diagnostics = result.diagnostics + ([_nothing_here(config)] if empty else [])
    assistants = display_path(config.assistants_dir)
    return ValidationReport(diagnostics, result.documents, record, assistants)


def _assistants_dir(config: Config) -> Path:
    directory = config.assistants_dir
    if not directory.is_dir():
        raise VoiceopsError(
            f"the assistants directory {display_path(directory)} named in "
            f"{display_path(config.path)} does not exist"
        )
    return directory


def load_project(config_path: Path | None, *, targets: tuple[str, ...] = ()) -> Project:
    """The validated project; raises InputErrors unless every document is valid."""
    schemas = SchemaStore()
    config = load_config(config_path, schemas)
    result = load_specs([_assistants_dir(config)], config, schemas, lenient=config.lenient)
    if result.errors:
        raise InputErrors(result.errors)
    specs = result.specs
    if targets:
        names = [s.name for s in specs]
        unknown = sorted(set(targets) - set(names))
        if unknown:
            raise VoiceopsError(_unknown_targets(unknown, names))
        specs = [s for s in specs if s.name in targets]
    warnings = [d for d in result.diagnostics if d.severity is Severity.WARNING]
    if not result.documents:
        warnings.append(_nothing_here(config))
    return Project(
        config, specs, schemas, warnings, managed=len(result.specs), untargeted=result.specs
    )


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
