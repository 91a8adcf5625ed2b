"""The `voiceops` command. Each subcommand lives in its own module and stays thin."""

from __future__ import annotations

from typing import Any

import click

from voiceops import __version__
from voiceops.cli.apply import apply
from voiceops.cli.common import no_color_option
from voiceops.cli.drift import drift
from voiceops.cli.import_ import import_command
from voiceops.cli.init import init
from voiceops.cli.plan import plan
from voiceops.cli.sandbox import sandbox
from voiceops.cli.validate import validate


class VoiceopsGroup(click.Group):
    """click, but a usage mistake exits 1 with one `error:` line: exit 2 means "changes
    present" and nothing else, so a pipeline reading 2 as "post the plan" never gets it for
    a mistyped option."""

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            return super().main(*args, standalone_mode=False, **kwargs)
        except click.exceptions.Exit as exc:
            raise SystemExit(exc.exit_code) from None
        except click.Abort:
            click.echo("error: aborted; nothing was sent.", err=True)
        except click.UsageError as exc:
            click.echo(f"error: {usage_sentence(exc)}", err=True)
        except click.ClickException as exc:
            click.echo(f"error: {exc.format_message()}", err=True)
        raise SystemExit(1)


def usage_sentence(exc: click.UsageError) -> str:
    """click's usage error as one sentence that points at the right --help."""
    if isinstance(exc, click.NoSuchOption):
        message = f"no such option {exc.option_name}"
        if exc.possibilities:
            message += f" (did you mean {' or '.join(sorted(exc.possibilities))}?)"
    else:
        message = " ".join(exc.format_message().split()).rstrip(".")
        message = message[:1].lower() + message[1:]
    command = exc.ctx.command_path if exc.ctx is not None else "voiceops"
    return f"{message}; see '{command} --help'"


@click.group(
    cls=VoiceopsGroup,
    commands=[init, validate, plan, apply, drift, import_command, sandbox],
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="voiceops")
@no_color_option
def main() -> None:
    """Keep voice-AI assistants exactly as this repository describes them."""
