"""`voiceops init [DIR]`: write a starter repository."""

from __future__ import annotations

from pathlib import Path

import click

from voiceops.cli.common import no_color_option, reports_errors
from voiceops.errors import display_path
from voiceops.spec.starter import write_starter


@click.command()
@click.argument("directory", required=False, default=".", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite files that already exist.")
@no_color_option
@reports_errors
def init(directory: Path, force: bool) -> None:
    """Write a starter repository: voiceops.yaml, examples, schemas, workflows."""
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
