"""`voiceops validate`: check assistant files offline."""

from __future__ import annotations

from pathlib import Path

import click

from voiceops.cli.common import (
    chosen_environment,
    config_option,
    env_option,
    no_color_option,
    reports_errors,
    safe_output,
    under_github_actions,
)
from voiceops.errors import Severity
from voiceops.exitcodes import success_or_error
from voiceops.render.diagnostics import as_json, github_annotation
from voiceops.spec.validation import validate as validate_files


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@config_option
@env_option
@click.option(
    "--format", "output", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option("--lenient", is_flag=True, help="Report unknown enum values as warnings.")
@no_color_option
@reports_errors
def validate(paths: tuple[Path, ...], config_path: Path | None, output: str, lenient: bool) -> None:
    """Check assistant files offline: YAML, schemas, cross-document rules; in every
    environment of voiceops.yaml, or in the one --env names."""
    report = validate_files(
        list(paths), config_path, lenient=lenient, environment=chosen_environment()
    )
    if output == "json":
        click.echo(as_json(report))
    else:
        for diagnostic in report.diagnostics:
            click.echo(safe_output(str(diagnostic)), err=True)
        errors = sum(d.severity is Severity.ERROR for d in report.diagnostics)
        warnings = len(report.diagnostics) - errors
        if errors:
            click.echo(f"{_count(errors, 'error')}, {_count(warnings, 'warning')}.", err=True)
        else:
            noted = f" ({_count(warnings, 'warning')})" if warnings else ""
            click.echo(f"{report.documents} assistant document(s) valid{noted}.")
    if under_github_actions():
        # With --format json, stdout carries only the JSON document.
        for diagnostic in report.diagnostics:
            click.echo(github_annotation(diagnostic), err=output == "json")
    raise SystemExit(success_or_error(report.ok))


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")
