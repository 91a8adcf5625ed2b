from __future__ import annotations

from pathlib import Path

import click

from voiceops.cli.common import (
    concurrency_option,
    config_option,
    emit,
    emit_warnings,
    no_color_option,
    prepare_run,
    read_report,
    render_report,
    report_errors,
    report_format_option,
    reports_errors,
    run_async,
    sandbox_option,
    selection_options,
    use_color,
)
from voiceops.errors import VoiceopsError
from voiceops.exitcodes import ExitCode
from voiceops.live.session import RunOptions
from voiceops.reconcile import plan as plan_file
from voiceops.reconcile.plan import Plan
from voiceops.reconcile.planning import make_plan
from voiceops.reconcile.redaction import Redactor
from voiceops.reconcile.runner import sandbox_if
from voiceops.spec.validation import Project


async def run_plan(project: Project, options: RunOptions) -> tuple[Plan, Redactor]:
    return await read_report(project, options, make_plan)


@click.command()
@click.option("--out", type=click.Path(path_type=Path), help="Write the plan file here.")
@report_format_option
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when there are changes.")
@selection_options
@config_option
@concurrency_option
@sandbox_option
@no_color_option
@reports_errors
def plan(
    out: Path | None,
    output: str,
    detailed_exitcode: bool,
    targets: tuple[str, ...],
    config_path: Path | None,
    concurrency: int | None,
    sandbox: bool,
) -> None:
    """Read live state and show what apply would change."""
    with sandbox_if(sandbox) as endpoints:
        project, options = prepare_run(
            config_path, targets=targets, concurrency=concurrency, sandbox=endpoints
        )
        result, redactor = run_async(run_plan(project, options))
    emit_warnings(project.warnings)
    if out is not None:
        try:
            out.write_text(redactor.redact(plan_file.dump(result)), encoding="utf-8")
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise VoiceopsError(f"cannot write the plan file {out}: {reason}") from None
    emit(render_report(result, output), redactor, styled=output == "text" and use_color())
    report_errors(result, redactor)
    if result.has_errors:
        raise SystemExit(ExitCode.ERROR)
    raise SystemExit(ExitCode.CHANGES if detailed_exitcode and result.has_changes else ExitCode.OK)
