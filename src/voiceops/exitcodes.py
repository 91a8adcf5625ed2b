"""The exit codes product.md fixes: a pipeline reads 2 as "changes present" and nothing else."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1  # an error of any kind, including a usage mistake
    CHANGES = 2  # plan --detailed-exitcode, drift: changes present


def success_or_error(ok: bool) -> ExitCode:
    return ExitCode.OK if ok else ExitCode.ERROR
