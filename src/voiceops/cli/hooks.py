"""What a caller may hand to one `voiceops` run instead of the real thing.

Tests pass a `RunHooks` as click's `obj` (`CliRunner().invoke(main, args, obj=RunHooks(...))`):
a terminal where there is none, quicker retries, their own transport, an early Ctrl-C.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from voiceops.live.session import RunOptions


def _isatty(stream: Any) -> bool:
    return bool(stream.isatty())


def _unchanged(options: RunOptions) -> RunOptions:
    return options


def _wait_forever() -> None:
    threading.Event().wait()


@dataclass(frozen=True)
class RunHooks:
    # Whether a stream (sys.stdin, sys.stdout, sys.stderr) is a terminal.
    is_terminal: Callable[[Any], bool] = _isatty
    # Applied to the run's options before its session opens (retries, transport).
    options: Callable[[RunOptions], RunOptions] = _unchanged
    # `voiceops sandbox` serves until this returns or raises KeyboardInterrupt (Ctrl-C).
    wait_for_interrupt: Callable[[], None] = _wait_forever


def run_hooks() -> RunHooks:
    """The hooks handed to the current run, or the real things outside one."""
    ctx = click.get_current_context(silent=True)
    found = ctx.find_root().obj if ctx is not None else None
    return found if isinstance(found, RunHooks) else RunHooks()
