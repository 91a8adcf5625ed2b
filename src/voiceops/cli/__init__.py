"""The `voiceops` command. Each subcommand lives in its own module and stays thin."""

from __future__ import annotations

import gc
import os
import re
import sys
from collections.abc import Sequence
from typing import Any

import click
from click.exceptions import NoArgsIsHelpError

from voiceops import __version__
from voiceops.cli import debuglog
from voiceops.cli.apply import apply
from voiceops.cli.ci import ci
from voiceops.cli.common import no_color_option
from voiceops.cli.doctor import doctor
from voiceops.cli.drift import drift
from voiceops.cli.import_ import import_command
from voiceops.cli.init import init
from voiceops.cli.plan import plan
from voiceops.cli.render import render
from voiceops.cli.sandbox import sandbox
from voiceops.cli.unlock import unlock
from voiceops.cli.validate import validate
from voiceops.exitcodes import ExitCode


class VoiceopsGroup(click.Group):
    """click, but a usage mistake exits 1 with one `error:` line: exit 2 means "changes
    present" and nothing else, so a pipeline reading 2 as "post the plan" never gets it for
    a mistyped option."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        # Most of what a run allocates lives until it ends (specs, live states, plans): the
        # default of a collection every 700 allocations took 0.5 s of a 10,000-assistant
        # plan, scanning them over and over, and freed little.
        gc.set_threshold(10_000, 10, 10)
        try:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.Exit as exc:
            raise SystemExit(exc.exit_code) from None
        except click.Abort:
            click.echo("error: aborted; nothing was sent.", err=True)
        except NoArgsIsHelpError as exc:  # plain `voiceops`: the help, as with --help
            assert exc.ctx is not None
            click.echo(exc.ctx.get_help())
            raise SystemExit(ExitCode.OK) from None
        except click.UsageError as exc:
            click.echo(f"error: {usage_sentence(exc, sys.argv[1:])}", err=True)
        except click.ClickException as exc:
            click.echo(f"error: {exc.format_message()}", err=True)
        except BrokenPipeError:
            # The reader went away (`voiceops … | head`): nothing more can be said to it.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise SystemExit(ExitCode.ERROR)


def usage_sentence(exc: click.UsageError, argv: list[str]) -> str:
    """click's usage error as one sentence that points at the right --help."""
    if isinstance(exc, click.NoSuchOption):
        message = f"no such option {exc.option_name}"
        if exc.possibilities:
            message += f" (did you mean {' or '.join(sorted(exc.possibilities))}?)"
    else:
        message = " ".join(exc.format_message().split()).rstrip(".")
        message = re.sub(r"\. Did you mean (.+)\?$", r" (did you mean \1?)", message)
        message = message[:1].lower() + message[1:]
    return f"{message}; see '{_command_path(exc, argv)} --help'"


def _command_path(exc: click.UsageError, argv: list[str]) -> str:
    """The subcommand the mistake is in: click's context when it has one, else the first
    word on the command line that names a subcommand."""
    ctx = exc.ctx
    if ctx is not None and ctx.parent is not None:
        return ctx.command_path
    known = main.commands if isinstance(main, click.Group) else {}
    word = next((a for a in argv if a in known), None)
    return f"voiceops {word}" if word else "voiceops"


@click.group(
    cls=VoiceopsGroup,
    commands=[
        init,
        validate,
        plan,
        apply,
        drift,
        import_command,
        render,
        doctor,
        unlock,
        sandbox,
        ci,
    ],
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="voiceops")
@no_color_option
@debuglog.debug_option
def main() -> None:
    """Keep voice-AI assistants exactly as this repository describes them."""


# The global flags are also taken after the subcommand (`voiceops plan --debug`).
for _command in main.commands.values():
    debuglog.debug_option(_command)
