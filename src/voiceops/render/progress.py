"""Following an apply: each assistant's line as it finishes, and on a terminal a progress
bar (rich) for the reads and the writes."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from types import TracebackType

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from voiceops.reconcile.apply import ApplyWatcher, AssistantResult
from voiceops.render.apply_report import result_line


class ApplyProgress(ApplyWatcher, AbstractContextManager["ApplyProgress"]):
    """Prints each result as it finishes, made safe by `clean` (secrets masked, no escape
    sequences). With `bar` (a person at a terminal) a progress bar is drawn on stderr from
    the first read on, and everything printed meanwhile goes above it."""

    def __init__(self, clean: Callable[[str], str], *, bar: bool) -> None:
        self._clean = clean
        self._progress: Progress | None = None
        if bar:
            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
                redirect_stdout=False,
                redirect_stderr=False,
            )
        self._live = False
        self._reads: TaskID | None = None
        self._writes: TaskID | None = None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._progress is not None and self._live:
            self._progress.stop()
            self._live = False

    def print(self, output: str) -> None:
        """Print a line or a block (already safe), above the bar while there is one."""
        if self._progress is not None and self._live:
            self._progress.console.print(Text.from_ansi(output), soft_wrap=True)
        else:
            click.echo(output)

    def reading(self, total: int) -> None:
        if total:
            self._reads = self._add_task("Reading", total)

    def read(self, count: int) -> None:
        if self._progress is not None and self._reads is not None:
            self._progress.advance(self._reads, count)

    def writing(self, total: int) -> None:
        if total:
            self._writes = self._add_task("Writing", total)

    def finished(self, result: AssistantResult) -> None:
        self.print(self._clean(result_line(result)))
        # Results before the writes began are for assistants that needed none.
        if self._progress is not None and self._writes is not None:
            self._progress.advance(self._writes)

    def _add_task(self, description: str, total: int) -> TaskID | None:
        if self._progress is None:
            return None
        if not self._live:  # started here: after any confirmation prompt
            self._progress.start()
            self._live = True
        return self._progress.add_task(description, total=total)
