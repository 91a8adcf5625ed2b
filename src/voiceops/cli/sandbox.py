"""`voiceops sandbox`: serve the local stand-ins until Ctrl-C."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
import yaml

from voiceops.cli.common import no_color_option
from voiceops.cli.hooks import run_hooks

if TYPE_CHECKING:
    from voiceops.sandbox import Sandbox, SandboxOptions

F = TypeVar("F", bound=Callable[..., Any])


def render_banner(sb: Sandbox) -> str:
    """What `voiceops sandbox` prints once it is serving."""
    *most, last = sb.vendors
    listed = f"{', '.join(most)} and {last}" if most else last
    return (
        f"voiceops sandbox: local stand-ins of {listed}.\n"
        "Put this in voiceops.yaml and run the export lines in your shell:\n\n"
        f"{sb.config_yaml()}\n"
        "Serving until Ctrl-C."
    )


_STAND_IN_OPTIONS = (
    click.option("--latency-ms", type=click.FloatRange(min=0), default=0.0, help="Added latency."),
    click.option("--jitter-ms", type=click.FloatRange(min=0), default=0.0, help="Plus up to this."),
    click.option(
        "--fault-rate",
        type=click.FloatRange(0, 1),
        default=0.0,
        help="Share of requests answered with an error: half 429, half 500/503.",
    ),
    click.option(
        "--seed", type=int, default=0, show_default=True, help="Makes faults reproducible."
    ),
    click.option(
        "--state",
        "state_file",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Load state from FILE if it exists; save every change to it.",
    ),
    click.option(
        "--login-ttl",
        type=click.FloatRange(min=0, min_open=True),
        default=3600.0,
        show_default=True,
        help="Seconds an Edmo login cookie stays valid.",
    ),
    click.option(
        "--autocalls-fields",
        type=click.Choice(["current", "legacy"]),
        default="current",
        show_default=True,
        help="Field set the Autocalls stand-in takes; the other set's keys are ignored.",
    ),
)


def _stand_in_options(command: F) -> F:
    """How the stand-ins behave, in the order --help lists them."""
    for option in reversed(_STAND_IN_OPTIONS):
        command = option(command)
    return command


@click.command()
@click.option("--port", type=click.IntRange(0, 65535), default=8787, show_default=True)
@_stand_in_options
@no_color_option
def sandbox(
    port: int,
    latency_ms: float,
    jitter_ms: float,
    fault_rate: float,
    seed: int,
    state_file: Path | None,
    login_ttl: float,
    autocalls_fields: str,
) -> None:
    """Serve local stand-ins of the provider APIs on 127.0.0.1."""
    # Imported here so that other commands do not load the ASGI stack.
    from voiceops.sandbox import SandboxOptions

    options = SandboxOptions(
        seed=seed,
        latency_ms=latency_ms,
        jitter_ms=jitter_ms,
        fault_rate=fault_rate,
        state_file=state_file,
        login_ttl_s=login_ttl,
        autocalls_fields=autocalls_fields,
    )
    _serve_until_interrupt(_load(options), port)


def _load(options: SandboxOptions) -> Sandbox:
    """The sandbox, with the --state file's state if there is one."""
    from voiceops.sandbox import Sandbox

    try:
        return Sandbox(options)
    except (ValueError, OSError, yaml.YAMLError) as exc:  # a --state file that is no state
        reason = " ".join(str(exc).split())
        raise click.ClickException(
            f"cannot load the sandbox state from {options.state_file}: {reason}"
        ) from None


def _serve_until_interrupt(sb: Sandbox, port: int) -> None:
    with ExitStack() as stack:
        try:
            stack.enter_context(sb.serve(port=port))
        except OSError as exc:
            message = f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}"
            raise click.ClickException(message) from None
        click.echo(render_banner(sb))
        try:
            run_hooks().wait_for_interrupt()
        except KeyboardInterrupt:
            click.echo("\nStopped.", err=True)
