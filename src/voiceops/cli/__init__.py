"""The `voiceops` command. Each subcommand lives in its own module and stays thin."""

from __future__ import annotations

import click

from voiceops import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="voiceops")
def main() -> None:
    """Keep voice-AI assistants exactly as this repository describes them."""


from voiceops.cli.validate import validate  # noqa: E402

main.add_command(validate)

from voiceops.cli.plan import plan  # noqa: E402

main.add_command(plan)

from voiceops.cli.apply import apply  # noqa: E402

main.add_command(apply)

from voiceops.cli.drift import drift  # noqa: E402

main.add_command(drift)

from voiceops.cli.import_ import import_command  # noqa: E402

main.add_command(import_command)

from voiceops.cli.sandbox import sandbox  # noqa: E402

main.add_command(sandbox)
