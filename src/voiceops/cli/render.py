"""`voiceops render`: print the effective documents of one environment, for review."""

from __future__ import annotations

from pathlib import Path

import click

from voiceops.cli.common import (
    chosen_environment,
    config_option,
    emit_warnings,
    env_option,
    no_color_option,
    reports_errors,
    safe_output,
    target_option,
)
from voiceops.render.effective import render as render_documents
from voiceops.spec.validation import load_project


@click.command()
@env_option
@target_option
@config_option
@no_color_option
@reports_errors
def render(targets: tuple[str, ...], config_path: Path | None) -> None:
    """Print the effective documents of one environment (base spec with the environment's
    patch merged over it), `${env:…}` references unresolved. Offline."""
    project = load_project(config_path, targets=targets, environment=chosen_environment())
    emit_warnings(project.warnings)
    output = render_documents(project.specs)
    if output:
        click.echo(safe_output(output), nl=False)
