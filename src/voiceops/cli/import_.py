from __future__ import annotations

from pathlib import Path

import click

from voiceops.cli.common import (
    chosen_environment,
    config_option,
    emit,
    env_option,
    lock_timeout_option,
    no_color_option,
    open_run,
    reports_errors,
    run_async,
    run_lock,
    sandbox_option,
)
from voiceops.errors import VoiceopsError
from voiceops.exitcodes import ExitCode
from voiceops.live.session import RunOptions
from voiceops.reconcile.importer import ImportedAssistant, import_assistants
from voiceops.reconcile.redaction import Redactor
from voiceops.reconcile.runner import (
    SandboxEndpoints,
    check_ready,
    prepare_connections,
    sandbox_if,
)
from voiceops.render import import_report
from voiceops.spec.validation import Project, policy_warnings


async def run_import(
    project: Project,
    options: RunOptions,
    connection: str,
    ids: list[str] | None,
    out_dir: Path,
    force: bool,
) -> tuple[list[ImportedAssistant], list[str], Redactor]:
    async with open_run(project, options) as run:
        results, write_only = await import_assistants(run, connection, ids, out_dir, force=force)
    return results, write_only, run.redactor


def _prepare(
    config_path: Path | None, endpoints: SandboxEndpoints | None, connection: str
) -> tuple[Project, RunOptions]:
    """The project as the chosen environment sees it, ready to read `connection`."""
    environment = chosen_environment()
    project, options = prepare_connections(config_path, sandbox=endpoints, environment=environment)
    check_ready(project, options.env, [connection], [])
    return project, options


def _warn_of_policies(
    project: Project, results: list[ImportedAssistant], redactor: Redactor
) -> None:
    """An import writes what live has; the policies it breaks are warned of, not refused."""
    for warning in policy_warnings(project, [r.path for r in results if r.written]):
        emit(str(warning), redactor, err=True)


@click.command(name="import")
@click.option("--provider", "connection", required=True, metavar="CONN", help="Connection name.")
@click.option("--id", "ids", multiple=True, metavar="ID", help="Assistant id (repeatable).")
@click.option("--all", "import_all", is_flag=True, help="Every assistant the connection sees.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help="Directory for the files.")
@click.option("--force", is_flag=True, help="Overwrite files; update managing documents in place.")
@env_option
@config_option
@sandbox_option
@lock_timeout_option
@no_color_option
@reports_errors
def import_command(
    connection: str,
    ids: tuple[str, ...],
    import_all: bool,
    out_dir: Path | None,
    force: bool,
    config_path: Path | None,
    sandbox: bool,
    lock_timeout_s: float,
) -> None:
    """Write spec files from live assistants, to start managing them."""
    if bool(ids) == import_all:
        raise VoiceopsError("give either --id ID (one or more) or --all")
    with (
        run_lock(config_path, lock_timeout_s, sandboxed=False),  # it writes files all the same
        sandbox_if(sandbox) as endpoints,
    ):
        project, options = _prepare(config_path, endpoints, connection)
        chosen = None if import_all else list(ids)
        out = out_dir or project.config.assistants_dir
        results, write_only, redactor = run_async(
            run_import(project, options, connection, chosen, out, force)
        )
    _report(project, [result.scrubbed(redactor) for result in results], write_only, redactor)
    # --all takes what is not managed yet: skipping the managed ones is what it is for.
    if any(not (r.written or (import_all and r.already_managed)) for r in results):
        raise SystemExit(ExitCode.ERROR)


def _report(
    project: Project, results: list[ImportedAssistant], write_only: list[str], redactor: Redactor
) -> None:
    emit(import_report.render(results, write_only), redactor)
    _warn_of_policies(project, results, redactor)
