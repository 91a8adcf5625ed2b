"""What every command shares: options, error reporting, output that never leaks secrets."""

from __future__ import annotations

import asyncio
import functools
import gc
import os
import re
import sys
import traceback
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console

from voiceops.cli import debuglog
from voiceops.cli.hooks import run_hooks
from voiceops.errors import Diagnostic, InputErrors, VoiceopsError
from voiceops.exitcodes import ExitCode
from voiceops.live.session import RunOptions
from voiceops.reconcile import plan as plan_file
from voiceops.reconcile.context import RunContext
from voiceops.reconcile.drift import dump_drift
from voiceops.reconcile.plan import Plan, Status
from voiceops.reconcile.redaction import Redactor, scrub_plan
from voiceops.reconcile.runner import SandboxEndpoints, prepare, sandbox_if
from voiceops.render import markdown, text
from voiceops.render.values import DRIFT, PLAN, Framing
from voiceops.runlock import RunLock, ensure_ignored, lock_path, parse_duration
from voiceops.spec.config import find_config
from voiceops.spec.defaults import DEFAULTS
from voiceops.spec.validation import Project
from voiceops.textsafety import clean_line, for_terminal, for_workflow_log

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

config_option = click.option(
    "--config", "config_path", type=click.Path(path_type=Path), help="voiceops.yaml to use."
)
sandbox_option = click.option(
    "--sandbox",
    is_flag=True,
    envvar="VOICEOPS_SANDBOX",
    help="Run against the embedded sandbox on a free loopback port (also: VOICEOPS_SANDBOX=1).",
)
target_option = click.option(
    "--target", "targets", multiple=True, metavar="NAME", help="Only these assistants (repeatable)."
)
concurrency_option = click.option(
    "--concurrency",
    type=click.IntRange(1, 256),
    default=None,
    help=f"Requests in flight at once [{DEFAULTS.concurrency}].",
)
report_format_option = click.option(
    "--format",
    "output",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
)


def _disable_color(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.find_root().meta[_NO_COLOR] = True


_NO_COLOR = "voiceops.no_color"
_ENVIRONMENT = "voiceops.environment"


def _choose_environment(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    ctx.find_root().meta[_ENVIRONMENT] = value


env_option = click.option(
    "--env",
    metavar="NAME",
    envvar="VOICEOPS_ENV",
    expose_value=False,
    callback=_choose_environment,
    help="The environment of voiceops.yaml to use (also: VOICEOPS_ENV).",
)


_CONNECTIONS = "voiceops.connections"


def _choose_connections(
    ctx: click.Context, _param: click.Parameter, value: tuple[str, ...]
) -> None:
    ctx.find_root().meta[_CONNECTIONS] = value


connection_option = click.option(
    "--connection",
    metavar="NAME",
    multiple=True,
    expose_value=False,
    callback=_choose_connections,
    help="Only the assistants of these connections (repeatable).",
)


_LENIENT = "voiceops.lenient"


def _choose_lenient(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.find_root().meta[_LENIENT] = True


# On every command that reads the specs, so that VOICEOPS_FLAGS can carry it to each.
lenient_option = click.option(
    "--lenient",
    is_flag=True,
    expose_value=False,
    callback=_choose_lenient,
    help="Report enum values newer than the schemas as warnings (also: lenient: true).",
)


def chosen_lenient() -> bool:
    ctx = click.get_current_context(silent=True)
    return ctx is not None and bool(ctx.find_root().meta.get(_LENIENT, False))


def selection_options(command: F) -> F:
    """--target, --connection and --env: which assistants a run is about (and --lenient)."""
    return target_option(connection_option(env_option(lenient_option(command))))


def chosen_connections() -> tuple[str, ...]:
    """The connections --connection names; none: every connection."""
    ctx = click.get_current_context(silent=True)
    return () if ctx is None else tuple(ctx.find_root().meta.get(_CONNECTIONS, ()))


def chosen_environment() -> str | None:
    """The environment --env (or VOICEOPS_ENV) names, if any."""
    ctx = click.get_current_context(silent=True)
    return None if ctx is None else ctx.find_root().meta.get(_ENVIRONMENT)


def take_environment(name: str) -> None:
    """Use environment `name`, as if --env had named it (a plan file says which it is for)."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.find_root().meta[_ENVIRONMENT] = name


def prepare_run(
    config_path: Path | None,
    *,
    sandbox: SandboxEndpoints | None,
    targets: tuple[str, ...] = (),
    concurrency: int | None = None,
) -> tuple[Project, RunOptions]:
    """`prepare` for the environment --env (or VOICEOPS_ENV) and the connections
    --connection chose."""
    return prepare(
        config_path,
        targets=targets,
        concurrency=concurrency,
        sandbox=sandbox,
        environment=chosen_environment(),
        connections=chosen_connections(),
        lenient=chosen_lenient(),
    )


class Duration(click.ParamType):  # type: ignore[type-arg]  # generic only in newer click
    """A duration on the command line (`30s`, `5m`, `1h`), as seconds."""

    name = "duration"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, float):
            return value
        try:
            return parse_duration(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


lock_timeout_option = click.option(
    "--lock-timeout",
    "lock_timeout_s",
    type=Duration(),
    default=0.0,
    metavar="DURATION",
    help="Wait this long (30s, 5m) for another run's lock instead of failing at once.",
)


def writing_options(command: F) -> F:
    """--sandbox and --lock-timeout: for the commands that write (and so take the run lock)."""
    return sandbox_option(lock_timeout_option(command))


def repository_root(config_path: Path | None) -> Path:
    """The directory of the voiceops.yaml the run uses (where its lock and records live)."""
    return (config_path or find_config()).resolve().parent


def _note(message: str) -> None:
    click.echo(safe_output(message), err=True)


@contextmanager
def run_lock(
    config_path: Path | None,
    lock_timeout_s: float,
    *,
    sandboxed: bool,
    ignore: bool = False,
    command: str | None = None,
) -> Iterator[None]:
    """The run lock of the repository and the environment --env chose, for the length of
    the block (none for a run against the embedded sandbox, which shares nothing); with
    `ignore`, the lock files' .gitignore line is added first when it is missing. `command`
    names the holder (default: `voiceops <this subcommand>`)."""
    if sandboxed:
        yield
        return
    root = repository_root(config_path)
    if ignore:
        ensure_ignored(root)
    environment = chosen_environment()
    lock = RunLock(lock_path(root, environment), environment, _note)
    ctx = click.get_current_context(silent=True)
    if command is None and ctx is not None:
        command = f"voiceops {ctx.info_name}"
    with lock.hold(lock_timeout_s, command):
        yield


@contextmanager
def locked_run(
    config_path: Path | None, lock_timeout_s: float, *, sandbox: bool, ignore: bool = False
) -> Iterator[SandboxEndpoints | None]:
    """The run lock (see `run_lock`, not for the embedded sandbox), then the embedded sandbox
    when --sandbox asks for it. Taken before the documents are read: a run that waited must
    see the ids the run before it wrote."""
    with (
        run_lock(config_path, lock_timeout_s, sandboxed=sandbox, ignore=ignore),
        sandbox_if(sandbox) as endpoints,
    ):
        yield endpoints


no_color_option = click.option(
    "--no-color",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_disable_color,
    help="No colours or progress bars (also: NO_COLOR=1).",
)


def color_disabled() -> bool:
    """--no-color on the command line, or NO_COLOR set to anything but empty (no-color.org)."""
    ctx = click.get_current_context(silent=True)
    flagged = ctx is not None and ctx.find_root().meta.get(_NO_COLOR, False)
    return bool(flagged or os.environ.get("NO_COLOR"))


def use_color() -> bool:
    return not color_disabled() and run_hooks().is_terminal(sys.stdout)


def reports_errors(command: F) -> F:
    """User mistakes and vendor failures end as one line on stderr and exit 1, no traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except InputErrors as exc:
            for diagnostic in exc.diagnostics:
                click.echo(safe_output(str(diagnostic)), err=True)
        except VoiceopsError as exc:
            click.echo(safe_output(str(exc.as_diagnostic())), err=True)
        except (click.ClickException, click.exceptions.Exit, click.Abort, BrokenPipeError):
            raise
        except Exception as exc:
            if os.environ.get("VOICEOPS_DEBUG"):
                raise
            click.echo(f"error: {internal_error(exc)}", err=True)
        raise SystemExit(ExitCode.ERROR)

    return wrapper  # type: ignore[return-value]


def internal_error(exc: Exception) -> str:
    """A bug's one line: where it happened, without the message (it may quote a secret)."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if f"{os.sep}voiceops{os.sep}" in f.filename] or frames
    where = f" at {Path(ours[-1].filename).name}:{ours[-1].lineno}" if ours else ""
    return (
        f"internal error ({type(exc).__name__}{where}); this is a bug in voiceops, please "
        "report it (VOICEOPS_DEBUG=1 shows the traceback)"
    )


def under_github_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


def safe_output(output: str, redactor: Redactor | None = None, *, styled: bool = False) -> str:
    """What may be printed: secrets masked in every encoding, no escape sequences or control
    characters (but voiceops's own colours when `styled`), and under GitHub Actions no line
    that the runner would take for a workflow command."""
    if redactor is not None:
        output = redactor.redact(output)
    output = for_terminal(output, keep_style=styled)
    return for_workflow_log(output) if under_github_actions() else output


def emit(output: str, redactor: Redactor, *, err: bool = False, styled: bool = False) -> None:
    """Print `output`; `styled` when it carries voiceops's own colours."""
    click.echo(safe_output(output, redactor, styled=styled), err=err)


def emit_warnings(warnings: list[Diagnostic]) -> None:
    """Input warnings (e.g. a YAML 1.1 surprise the schema accepted) go to stderr."""
    for warning in warnings:
        click.echo(safe_output(str(warning)), err=True)


def progress_bar() -> bool:
    """A progress bar only where a person watches: both streams on a terminal, colour on."""
    is_terminal = run_hooks().is_terminal
    return not color_disabled() and is_terminal(sys.stdout) and is_terminal(sys.stderr)


def reading(count: int) -> AbstractContextManager[object]:
    """A spinner on stderr while live state is read, when there is enough to wait for.
    None under NO_COLOR: a spinner is drawn with escape sequences, colour or not."""
    if count <= 3 or color_disabled():
        return nullcontext()
    return Console(stderr=True).status(f"Reading {count} assistants…")


def run_async(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)`, with the result kept out of the main task: on leaving, Python
    3.11's `asyncio.run` formats that task, result included, into an error message it
    discards (restoring the SIGINT handler); for a plan of 10,000 assistants, 0.3 s."""
    results: list[T] = []

    async def keep() -> None:
        results.append(await main)

    # What was loaded before the run (the specs) lives through it: collections skip it.
    gc.freeze()
    try:
        asyncio.run(keep())
    finally:
        gc.unfreeze()
    return results[0]


def open_run(project: Project, options: RunOptions) -> RunContext:
    """The command's run, with the options the caller's hooks give; its redactor masks the
    --debug lines too."""
    run = RunContext(project, run_hooks().options(options))
    debuglog.scrub_with(run.redactor.redact)
    return run


async def read_report(
    project: Project, options: RunOptions, stage: Callable[[RunContext], Awaitable[Plan]]
) -> tuple[Plan, Redactor]:
    """Run a reading stage (plan or drift) in one run, with the spinner on stderr."""
    async with open_run(project, options) as run:
        with reading(len(project.specs)):
            report = await stage(run)
    return scrub_plan(report, run.redactor), run.redactor


def render_report(report: Plan, output: str, framing: Framing = PLAN) -> str:
    """A plan or drift report in the format chosen with --format."""
    if output == "json":
        return dump_drift(report) if framing is DRIFT else plan_file.dump(report)
    if output == "markdown":
        return markdown.render(report, framing)
    return text.render(report, framing, color=use_color())


def report_errors(report: Plan, redactor: Redactor) -> None:
    """Each distinct per-assistant error, as one line on stderr (the report has them too)."""
    messages = dict.fromkeys(a.error for a in report.with_status(Status.ERROR) if a.error)
    for message in messages:
        emit(error_line(message, redactor), redactor, err=True)


_LOCATED = re.compile(r"^[^\s:][^:\n]*:\d+:\d+: ")


def error_line(message: str, redactor: Redactor) -> str:
    """One line for an error: `path:line:col: message` where a file is at fault, else
    `error: message`. Vendor text in it cannot break the line (secrets masked first)."""
    line = clean_line(redactor.redact(message))
    return line if _LOCATED.match(line) else f"error: {line}"
