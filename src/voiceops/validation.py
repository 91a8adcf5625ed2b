"""`voiceops validate` and the input stage every other command starts with."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from voiceops.config import Config, load_config
from voiceops.documents import AssistantSpec, diagnostic_order, load_specs
from voiceops.errors import Diagnostic, InputErrors, VoiceopsError, display_path
from voiceops.schemas import SchemaStore


@dataclass
class ValidationReport:
    diagnostics: list[Diagnostic]
    documents: int

    @property
    def ok(self) -> bool:
        return not any(d.severity == "error" for d in self.diagnostics)


@dataclass
class Project:
    """Everything read from the repository: the config and the valid specs."""

    config: Config
    specs: list[AssistantSpec]
    schemas: SchemaStore
    warnings: list[Diagnostic]
    # Every assistant the repository manages, also when --target narrows `specs`.
    managed: int


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
    return ValidationReport(result.diagnostics, result.documents)


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
        unknown = sorted(set(targets) - {s.name for s in specs})
        if unknown:
            raise VoiceopsError(f"no assistant is named {', '.join(map(repr, unknown))}")
        specs = [s for s in specs if s.name in targets]
    warnings = [d for d in result.diagnostics if d.severity == "warning"]
    return Project(config, specs, schemas, warnings, managed=len(result.specs))
