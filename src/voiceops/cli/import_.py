from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import click

from voiceops.cli.common import (
    config_option,
    emit,
    no_color_option,
    open_run,
    reports_errors,
    sandbox_option,
)
from voiceops.errors import VoiceopsError, display_path
from voiceops.exitcodes import ExitCode
from voiceops.live.session import RunOptions
from voiceops.reconcile.importer import ImportedAssistant, import_assistants
from voiceops.reconcile.redaction import Redactor
from voiceops.reconcile.runner import check_ready, prepare_connections, sandbox_if
from voiceops.spec.validation import Project
from voiceops.textsafety import clean_line


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


def scrubbed(result: ImportedAssistant, redactor: Redactor) -> ImportedAssistant:
    """`result` with secrets masked in the vendor-given text it holds, before rendering."""
    return dataclasses.replace(
        result,
        id=redactor.redact(result.id),
        note=redactor.redact(result.note),
        dropped=[redactor.redact(d) for d in result.dropped],
    )


def describe(results: list[ImportedAssistant], write_only: list[str]) -> str:
    lines = []
    variables: dict[str, str] = {}
    for result in results:
        where = display_path(result.path)
        if result.written:
            lines.append(clean_line(f"wrote {where} ({result.name}, id {result.id})"))
        else:
            lines.append(clean_line(f"skipped {result.name}: {result.note}"))
        variables.update(result.env_vars)
        lines += [
            "  not imported (schema rejects the live value): " + clean_line(d)
            for d in result.dropped
        ]
    if variables:
        lines.append("Sensitive values were replaced by references; set these variables:")
        lines += [f"  {name}  ({field})" for name, field in sorted(variables.items())]
    if write_only:
        lines.append(
            "Write-only fields cannot be read, so they were not imported: " + ", ".join(write_only)
        )
    return "\n".join(lines)


@click.command(name="import")
@click.option("--provider", "connection", required=True, metavar="CONN", help="Connection name.")
@click.option("--id", "ids", multiple=True, metavar="ID", help="Assistant id (repeatable).")
@click.option("--all", "import_all", is_flag=True, help="Every assistant the connection sees.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help="Directory for the files.")
@click.option("--force", is_flag=True, help="Overwrite existing files.")
@config_option
@sandbox_option
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
) -> None:
    """Write spec files from live assistants, to start managing them."""
    if bool(ids) == import_all:
        raise VoiceopsError("give either --id ID (one or more) or --all")
    with sandbox_if(sandbox) as endpoints:
        project, options = prepare_connections(config_path, sandbox=endpoints)
        check_ready(project, options.env, [connection], [])
        results, write_only, redactor = asyncio.run(
            run_import(
                project,
                options,
                connection,
                None if import_all else list(ids),
                out_dir or project.config.assistants_dir,
                force,
            )
        )
    results = [scrubbed(result, redactor) for result in results]
    emit(describe(results, write_only), redactor)
    if any(not r.written for r in results):
        raise SystemExit(ExitCode.ERROR)
