"""The settings of one sandbox, handed to every stand-in."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SandboxOptions:
    seed: int = 0
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    fault_rate: float = 0.0  # half answered 429, half 500/503
    state_file: str | os.PathLike[str] | None = None
    login_ttl_s: float = 3600.0
    invent_rate_per_minute: int = 500  # <= 0: no limit
    # The field set the Autocalls stand-in takes: "current" or "legacy".
    autocalls_fields: str = "current"
    fixture: str | os.PathLike[str] | dict[str, Any] | None = None
    # Monotonic seconds for login expiry and rate-limit windows; a test hands in its own
    # to move time on without waiting.
    clock: Callable[[], float] = time.monotonic
