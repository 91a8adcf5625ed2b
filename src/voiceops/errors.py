"""Errors and diagnostics that point at a place in a user's file."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path


@dataclass(frozen=True, order=True)
class Location:
    path: str
    line: int = 1
    col: int = 1

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Diagnostic:
    """One finding about the user's input: an error, or a warning that does not fail the run."""

    message: str
    location: Location | None = None
    severity: Severity = Severity.ERROR
    # The JSON Schema keyword a schema finding comes from, for code that filters findings.
    keyword: str | None = field(default=None, compare=False)
    # The environments of voiceops.yaml the finding is about (none: no environments).
    environments: tuple[str, ...] = ()

    def __str__(self) -> str:
        """`path:line:col: message` where a file is at fault, else `error: message`;
        warnings say `warning:` in both forms. The environment, if any, ends the line."""
        if self.location is None:
            return f"{self.severity}: {self.worded}"
        prefix = "warning: " if self.severity is Severity.WARNING else ""
        return f"{self.location}: {prefix}{self.worded}"

    @property
    def worded(self) -> str:
        """The message, naming the environments it is about."""
        names = self.environments
        if not names:
            return self.message
        if len(names) == 1:
            return f"{self.message} (in environment {names[0]})"
        return f"{self.message} (in environments {', '.join(names[:-1])} and {names[-1]})"

    @property
    def environment(self) -> str | None:
        """The environments it is about as one string (JSON's `environment`)."""
        return ", ".join(self.environments) or None


class VoiceopsError(Exception):
    """A problem the user can act on. Rendered as one line, never as a traceback."""

    def __init__(self, message: str, location: Location | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location

    def __str__(self) -> str:
        """The message, after its location when there is one; no severity prefix, so it can
        be embedded in a report. `Diagnostic` adds `error:` for a line of its own."""
        return f"{self.location}: {self.message}" if self.location else self.message

    def as_diagnostic(self) -> Diagnostic:
        return Diagnostic(self.message, self.location)


class ConnectionFailed(VoiceopsError):
    """A failure of one whole connection; its message names the connection already."""


class InputErrors(VoiceopsError):
    """Several diagnostics at once, e.g. every schema error in every file."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__(f"{len(diagnostics)} error(s) in the input")
        self.diagnostics = diagnostics


def display_path(path: Path, base: Path | None = None) -> str:
    """Path as users see it in messages: relative to the working directory when possible."""
    base = base or Path.cwd()
    try:
        return str(path.resolve().relative_to(base.resolve()))
    except ValueError:
        return str(path)
