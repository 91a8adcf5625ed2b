from __future__ import annotations

from pathlib import Path

import click

from voiceops.cli.common import (
    chosen_connections,
    chosen_environment,
    config_option,
    connection_option,
    emit,
    env_option,
    no_color_option,
    open_run,
    reports_errors,
    run_async,
    sandbox_option,
)
from voiceops.exitcodes import ExitCode
from voiceops.live.session import RunOptions
from voiceops.reconcile.doctor import DoctorReport, run_doctor
from voiceops.reconcile.redaction import Redactor
from voiceops.reconcile.runner import (
    SandboxEndpoints,
    check_ready,
    prepare_connections,
    sandbox_if,
)
from voiceops.render import doctor as render
from voiceops.spec.validation import Project


async def check(
    project: Project, options: RunOptions, names: list[str]
) -> tuple[DoctorReport, Redactor]:
    async with open_run(project, options) as run:
        report = await run_doctor(run, names)
    return report, run.redactor


def _prepare(
    config_path: Path | None, endpoints: SandboxEndpoints | None
) -> tuple[Project, RunOptions, list[str]]:
    """The connections to check, ready to read. Documents only name the assistants to
    read: doctor runs on day one, before there are any, and beside invalid ones."""
    project, options = prepare_connections(
        config_path, sandbox=endpoints, environment=chosen_environment()
    )
    names = list(chosen_connections()) or list(project.config.connections)
    check_ready(project, options.env, names, [])
    return project, options, names


@click.command()
@click.option(
    "--format", "output", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@connection_option
@env_option
@config_option
@sandbox_option
@no_color_option
@reports_errors
def doctor(output: str, config_path: Path | None, sandbox: bool) -> None:
    """Read-only: check voiceops' model of each vendor against the account (GET requests
    only); exit 2 when the answers differ from it."""
    with sandbox_if(sandbox) as endpoints:
        project, options, names = _prepare(config_path, endpoints)
        report, redactor = run_async(check(project, options, names))
    shown = render.render_json(report) if output == "json" else render.render_text(report)
    emit(shown, redactor)
    if report.has_errors:
        raise SystemExit(ExitCode.ERROR)
    raise SystemExit(ExitCode.CHANGES if report.has_findings else ExitCode.OK)
