"""`voiceops --debug`: one stderr line per HTTP attempt, through `logging`, secrets masked."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

import click

from voiceops.textsafety import clean_line

LOGGER = "voiceops"
_KEY = "voiceops.debug_log"


class Scrubbing(logging.Filter):
    """Replaces each record's message by its formatted text with every scrubber applied;
    the run's redactor is added when the command opens its run, and until then nothing
    passes."""

    def __init__(self) -> None:
        super().__init__()
        self.scrubbers: list[Callable[[str], str]] = []

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.scrubbers:
            return False  # no run's redactor yet: nothing can be shown safely
        text = record.getMessage()
        for scrub in self.scrubbers:
            text = scrub(text)
        record.msg, record.args = clean_line(text), None
        record.exc_info = record.exc_text = record.stack_info = None
        return True


def start(ctx: click.Context) -> None:
    """Log to stderr for the length of this invocation (once, however often it is given)."""
    if _KEY in ctx.meta:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("debug: %(name)s: %(message)s"))
    scrubbing = Scrubbing()
    handler.addFilter(scrubbing)
    logger = logging.getLogger(LOGGER)
    before = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    ctx.meta[_KEY] = scrubbing

    def stop() -> None:
        logger.removeHandler(handler)
        logger.setLevel(before[0])  # (also clears the loggers' cached levels)
        logger.propagate = before[1]

    ctx.call_on_close(stop)


def scrub_with(scrub: Callable[[str], str]) -> None:
    """Mask with `scrub` (a run's redactor) in every debug line from now on."""
    ctx = click.get_current_context(silent=True)
    scrubbing = ctx.find_root().meta.get(_KEY) if ctx is not None else None
    if isinstance(scrubbing, Scrubbing):
        scrubbing.scrubbers.append(scrub)


debug_option = click.option(
    "--debug",
    is_flag=True,
    expose_value=False,
    callback=lambda ctx, _param, value: start(ctx) if value else None,
    help="Log each HTTP request (method, path, status, time) to stderr, secrets masked.",
)
