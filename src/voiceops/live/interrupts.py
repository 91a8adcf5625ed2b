"""SIGINT and SIGTERM during apply.

The first signal stops the run gently: nothing new is sent, the requests in flight finish
or time out, and apply ends with its summary and the write-only record of what landed.
A second signal ends the process at once, with 128 + the signal's number.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from voiceops.live.httpclient import StopSignal

SIGNALS = (signal.SIGINT, signal.SIGTERM)
FIRST = (
    "{name}: sending nothing new; waiting for the requests in flight to finish "
    "(send it again to exit at once)"
)
SECOND = "{name} again: exiting at once; what landed may be missing from the write-only record"


class GracefulStop:
    """While installed, SIGINT and SIGTERM set `stop` instead of ending the process."""

    def __init__(self, stop: StopSignal, notify: Callable[[str], None]) -> None:
        self.stop = stop
        self.notify = notify
        self.loop = asyncio.get_running_loop()
        self.previous: dict[int, Any] = {}

    def _on_signal(self, signum: int) -> None:
        name = signal.Signals(signum).name
        if self.stop.is_set():
            self.notify(SECOND.format(name=name))
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(128 + signum)
        self.stop.set(signum)
        self.notify(FIRST.format(name=name))

    def install(self) -> None:
        for signum in SIGNALS:
            try:
                previous = signal.getsignal(signum)
                self.loop.add_signal_handler(signum, self._on_signal, signum)
            except (NotImplementedError, RuntimeError, ValueError):
                continue  # not the main thread, or a platform without it: default behaviour
            self.previous[signum] = previous

    def remove(self) -> None:
        for signum, previous in self.previous.items():
            self.loop.remove_signal_handler(signum)
            signal.signal(signum, previous)
        self.previous.clear()

    @contextmanager
    def paused(self) -> Iterator[None]:
        """The usual behaviour back for a while, e.g. so that Ctrl-C cancels a prompt."""
        self.remove()
        try:
            yield
        finally:
            self.install()


@contextmanager
def graceful_stop(stop: StopSignal, notify: Callable[[str], None]) -> Iterator[GracefulStop]:
    """Handle SIGINT and SIGTERM gently for the length of the block (in a running loop)."""
    handling = GracefulStop(stop, notify)
    handling.install()
    try:
        yield handling
    finally:
        handling.remove()
