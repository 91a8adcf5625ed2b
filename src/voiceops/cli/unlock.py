"""`voiceops unlock [--env E] [--force]`: remove a run lock left by a run that died."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from voiceops.cli.common import (
    chosen_environment,
    config_option,
    env_option,
    no_color_option,
    reports_errors,
    repository_root,
    safe_output,
)
from voiceops.cli.hooks import run_hooks
from voiceops.errors import VoiceopsError, display_path
from voiceops.runlock import lock_path, read_holder, remove_lock


@click.command()
@click.option("--force", is_flag=True, help="Remove the lock without asking.")
@env_option
@config_option
@no_color_option
@reports_errors
def unlock(force: bool, config_path: Path | None) -> None:
    """Remove the run lock of a run that died (asks first, unless --force)."""
    environment = chosen_environment()
    path = lock_path(repository_root(config_path), environment)
    where = f" for environment {environment!r}" if environment else ""
    holder = None if force else read_holder(path)  # a file that is no lock: --force only
    if not path.exists():
        click.echo(f"No run lock{where}; nothing to remove.")
        return
    if holder is not None:
        held_by = f"held by {holder.sentence()}"
        if not run_hooks().is_terminal(sys.stdin):
            raise VoiceopsError(
                f"unlock asks before removing the run lock{where} {held_by}, but there is no "
                "terminal; pass --force once you are sure that run has ended"
            )
        question = f"Remove the run lock{where} {held_by}? Only if that run has ended."
        if not click.confirm(safe_output(question), default=False):
            click.echo("Nothing removed.")
            return
    remove_lock(path)
    click.echo(f"Removed the run lock {display_path(path)}{where}.")
