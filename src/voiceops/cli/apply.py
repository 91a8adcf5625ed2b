from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import click

from voiceops.cli.common import (
    chosen_connections,
    chosen_environment,
    concurrency_option,
    config_option,
    emit,
    emit_warnings,
    error_line,
    locked_run,
    no_color_option,
    open_run,
    prepare_run,
    progress_bar,
    reports_errors,
    run_async,
    safe_output,
    selection_options,
    take_environment,
    use_color,
    writing_options,
)
from voiceops.cli.hooks import run_hooks
from voiceops.errors import VoiceopsError
from voiceops.exitcodes import ExitCode, success_or_error
from voiceops.live.interrupts import GracefulStop, graceful_stop
from voiceops.live.session import RunOptions
from voiceops.reconcile.apply import ApplyReport, apply_project, refuse_unconfirmable
from voiceops.reconcile.context import RunContext
from voiceops.reconcile.plan import Plan, planned_environment, read_plan_file
from voiceops.reconcile.redaction import Redactor, scrub_plan
from voiceops.render import apply_report, text
from voiceops.render.progress import ApplyProgress
from voiceops.spec.validation import Project


async def run_apply(
    project: Project,
    options: RunOptions,
    *,
    planfile: Path | None,
    auto_approve: bool,
    allow_mass_update: bool,
    targets: tuple[str, ...],
    overwrite_dashboard_edits: bool = False,
) -> ApplyReport | None:
    interactive = not auto_approve and run_hooks().is_terminal(sys.stdin)
    refuse_unconfirmable(
        saved_plan=planfile is not None, auto_approve=auto_approve, interactive=interactive
    )
    # Read (and refused, if it is no plan file) before anything is sent.
    saved = (read_plan_file(planfile), str(planfile)) if planfile else None
    async with open_run(project, options) as run:
        run.overwrite_dashboard_edits = overwrite_dashboard_edits
        with _apply_screen(run, auto_approve=auto_approve) as screen:
            report = await apply_project(
                run,
                saved_plan=saved,
                show=screen.show,
                confirm=screen.confirm,
                allow_mass_update=allow_mass_update,
                interactive=interactive,
                targets=targets,
                connections=chosen_connections(),
                watch=screen.progress,
            )
        if report is not None:
            _summarize(report, run.redactor)
    return report


@dataclass
class _ApplyScreen:
    """The terminal side of one apply: the plan shown, the question asked, progress."""

    redactor: Redactor
    auto_approve: bool
    signals: GracefulStop
    progress: ApplyProgress

    def show(self, plan: Plan) -> None:
        output = text.render(scrub_plan(plan, self.redactor), color=use_color())
        self.progress.print(safe_output(output, self.redactor, styled=use_color()))

    def confirm(self, plan: Plan) -> bool:
        if self.auto_approve:
            return True
        # Ctrl-C at the question cancels it, as anywhere else.
        with self.signals.paused():
            return click.confirm("Apply these changes?", default=False)


@contextmanager
def _apply_screen(run: RunContext, *, auto_approve: bool) -> Iterator[_ApplyScreen]:
    """Ctrl-C stops the run gently, and progress is drawn, for the length of the block."""
    with (
        graceful_stop(run.session.stop, lambda m: click.echo(m, err=True)) as signals,
        ApplyProgress(lambda out: safe_output(out, run.redactor), bar=progress_bar()) as progress,
    ):
        yield _ApplyScreen(run.redactor, auto_approve, signals, progress)


def _summarize(report: ApplyReport, redactor: Redactor) -> None:
    scrubbed = report.scrubbed(redactor)
    emit(apply_report.render_summary(scrubbed), redactor)
    for error in scrubbed.errors:
        emit(error_line(error, redactor), redactor, err=True)


_overwrite_option = click.option(
    "--overwrite-dashboard-edits",
    is_flag=True,
    help="Apply over dashboard edits that safety.dashboard_edits: refuse would keep.",
)


@click.command()
@click.argument("planfile", required=False, type=click.Path(exists=True, path_type=Path))
@click.option("--auto-approve", is_flag=True, help="Apply without asking (for CI).")
@click.option(
    "--allow-mass-update", is_flag=True, help="Allow updating more than the safety threshold."
)
@_overwrite_option
@selection_options
@config_option
@concurrency_option
@writing_options
@no_color_option
@reports_errors
def apply(
    planfile: Path | None,
    targets: tuple[str, ...],
    config_path: Path | None,
    concurrency: int | None,
    sandbox: bool,
    lock_timeout_s: float,
    **flags: bool,
) -> None:
    """Apply a saved plan (in its environment), or plan and apply after confirmation."""
    _environment_of(planfile)
    with locked_run(config_path, lock_timeout_s, sandbox=sandbox, ignore=True) as endpoints:
        only = () if planfile else targets  # with a plan file, --target picks from its assistants
        project, options = prepare_run(
            config_path, targets=only, concurrency=concurrency, sandbox=endpoints
        )
        emit_warnings(project.warnings)
        report = run_async(
            # The flags: --auto-approve, --allow-mass-update, --overwrite-dashboard-edits.
            run_apply(project, options, planfile=planfile, targets=targets, **flags)
        )
    raise SystemExit(_exit_code(report))


def _environment_of(planfile: Path | None) -> None:
    """A saved plan is applied in the environment it was made for; an --env (or VOICEOPS_ENV)
    that names another is refused before anything is read or sent."""
    if planfile is None:
        return
    planned = planned_environment(read_plan_file(planfile))
    chosen = chosen_environment()
    if planned is None:
        return
    if chosen and chosen != planned:
        raise VoiceopsError(
            f"{planfile} is a plan for the environment {planned!r}, not {chosen!r}; apply it "
            f"with --env {planned} (or without --env), or plan again with --env {chosen}"
        )
    take_environment(planned)


def _exit_code(report: ApplyReport | None) -> ExitCode:
    if report is None:
        click.echo("Apply cancelled; nothing was sent.", err=True)
        return ExitCode.ERROR
    return success_or_error(report.ok)
