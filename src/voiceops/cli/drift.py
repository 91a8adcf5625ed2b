from __future__ import annotations

from pathlib import Path

import click

from voiceops.cli.common import (
    concurrency_option,
    config_option,
    connection_option,
    emit,
    emit_warnings,
    env_option,
    lenient_option,
    no_color_option,
    prepare_run,
    read_report,
    render_report,
    report_errors,
    report_format_option,
    reports_errors,
    run_async,
    sandbox_option,
    use_color,
)
from voiceops.exitcodes import ExitCode
from voiceops.live.session import RunOptions
from voiceops.reconcile.drift import detect_drift
from voiceops.reconcile.plan import Plan
from voiceops.reconcile.redaction import Redactor
from voiceops.reconcile.runner import sandbox_if
from voiceops.render.values import DRIFT
from voiceops.spec.validation import Project


async def run_drift(project: Project, options: RunOptions) -> tuple[Plan, Redactor]:
    return await read_report(project, options, detect_drift)


@click.command()
@report_format_option
@connection_option
@env_option
@lenient_option
@config_option
@concurrency_option
@sandbox_option
@no_color_option
@reports_errors
def drift(output: str, config_path: Path | None, concurrency: int | None, sandbox: bool) -> None:
    """Report live state that differs from git; exit 2 when any does."""
    with sandbox_if(sandbox) as endpoints:
        project, options = prepare_run(config_path, concurrency=concurrency, sandbox=endpoints)
        report, redactor = run_async(run_drift(project, options))
    emit_warnings(project.warnings)
    emit(render_report(report, output, DRIFT), redactor, styled=output == "text" and use_color())
    report_errors(report, redactor)
    if report.has_errors:
        raise SystemExit(ExitCode.ERROR)
    # Live assistants no document manages are drift too, where the connection asks for them.
    raise SystemExit(ExitCode.CHANGES if DRIFT.has_findings(report) else ExitCode.OK)
