"""The `voiceops` command. Each subcommand lives in its own module and stays thin."""

from __future__ import annotations

import click

from voiceops import __version__
from voiceops.cli.apply import apply
from voiceops.cli.drift import drift
from voiceops.cli.import_ import import_command
from voiceops.cli.plan import plan
from voiceops.cli.sandbox import sandbox
from voiceops.cli.validate import validate


@click.group(
    commands=[validate, plan, apply, drift, import_command, sandbox],
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="voiceops")
def main() -> None:
    """Keep voice-AI assistants exactly as this repository describes them."""
