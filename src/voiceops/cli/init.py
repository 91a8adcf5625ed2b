"""`voiceops init [DIR]`: write a starter repository."""

from __future__ import annotations

from pathlib import Path

import click

from voiceops import __version__
from voiceops.cli.common import no_color_option, reports_errors
from voiceops.errors import display_path
from voiceops.spec.starter import upgrade_starter, write_starter


@click.command()
@click.argument("directory", required=False, default=".", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite files that already exist.")
@click.option(
    "--upgrade",
    is_flag=True,
    help="Rewrite only schemas/ and the workflows with this version's (never voiceops.yaml "
    "or assistants/).",
)
@no_color_option
@reports_errors
def init(directory: Path, force: bool, upgrade: bool) -> None:
    """Write a starter repository: voiceops.yaml, examples, schemas, workflows."""
    if upgrade:
        _upgrade(directory)
        return
    written = write_starter(directory, force=force)
    where = display_path(directory)
    click.echo(f"Wrote {len(written)} files to {where}:")
    for path in written:
        click.echo(f"  {display_path(path)}")
    step = "" if where == "." else f"cd {where} && "
    click.echo(
        "\nNext: edit voiceops.yaml and assistants/, then try\n"
        f"  {step}voiceops validate && voiceops plan --sandbox"
    )


def _upgrade(directory: Path) -> None:
    changed = upgrade_starter(directory)
    if not changed:
        click.echo(f"schemas/ and the workflows are those of voiceops {__version__} already.")
        return
    click.echo(f"Upgraded {len(changed)} files to voiceops {__version__}:")
    for path, what in changed:
        click.echo(f"  {what}: {display_path(path)}")
    click.echo("voiceops.yaml and the assistant documents are as they were; review with git diff.")
