from __future__ import annotations

import os
from pathlib import Path

import click

from voiceops.render.diagnostics import as_json, github_annotation
from voiceops.validation import validate as validate_files


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--config", "config_path", type=click.Path(path_type=Path), help="voiceops.yaml to use."
)
@click.option(
    "--format", "output", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option("--lenient", is_flag=True, help="Treat unknown enum values as warnings.")
def validate(paths: tuple[Path, ...], config_path: Path | None, output: str, lenient: bool) -> None:
    """Check assistant files offline: YAML, schemas, cross-document rules."""
    report = validate_files(list(paths), config_path, lenient=lenient)
    if output == "json":
        click.echo(as_json(report.diagnostics, report.documents))
    else:
        for diagnostic in report.diagnostics:
            click.echo(str(diagnostic), err=True)
        if report.ok:
            click.echo(f"{report.documents} assistant document(s) valid.")
    if os.environ.get("GITHUB_ACTIONS") == "true":
        for diagnostic in report.diagnostics:
            click.echo(github_annotation(diagnostic))
    raise SystemExit(0 if report.ok else 1)
