"""What every command shares: options, error reporting, output that never leaks secrets."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from voiceops.errors import InputErrors, VoiceopsError
from voiceops.redaction import Redactor

F = TypeVar("F", bound=Callable[..., Any])

config_option = click.option(
    "--config", "config_path", type=click.Path(path_type=Path), help="voiceops.yaml to use."
)
sandbox_option = click.option(
    "--sandbox", is_flag=True, help="Run against the embedded sandbox on a free loopback port."
)
target_option = click.option(
    "--target", "targets", multiple=True, metavar="NAME", help="Only these assistants (repeatable)."
)
concurrency_option = click.option(
    "--concurrency",
    type=click.IntRange(1, 256),
    default=None,
    help="Requests in flight at once [16].",
)


def use_color() -> bool:
    return "NO_COLOR" not in os.environ and sys.stdout.isatty()


def reports_errors(command: F) -> F:
    """User mistakes and vendor failures end as one line on stderr and exit 1, no traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except InputErrors as exc:
            for diagnostic in exc.diagnostics:
                click.echo(str(diagnostic), err=True)
        except VoiceopsError as exc:
            click.echo(f"error: {exc}", err=True)
        raise SystemExit(1)

    return wrapper  # type: ignore[return-value]


def emit(text: str, redactor: Redactor, *, err: bool = False) -> None:
    click.echo(redactor.redact(text), err=err)
