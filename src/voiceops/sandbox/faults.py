"""Fault injection settings and deterministic per-request decisions.

Each decision is derived from a hash of (seed, vendor, method, path, n), where n
counts earlier requests with the same vendor, method and path. The nth GET of a
given assistant therefore meets the same fault under the same seed however the
requests of a run interleave.

Settings can be scoped to some routes (`only`): then requests that match none of
the rules meet no fault and no latency. Scoped or not, every request counts towards
n, so the nth POST to a path meets the same fault with or without a scope.
"""

from __future__ import annotations

import fnmatch
import hashlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Faults:
    latency_ms: float = 0.0  # added to every answer
    jitter_ms: float = 0.0  # plus a share of this, from the request's hash
    rate_429: float = 0.0  # answered 429 with Retry-After, request not processed
    rate_5xx: float = 0.0  # answered 500 or 503, request not processed
    drop_rate: float = 0.0  # processed, then the connection is closed mid-answer
    slow_rate: float = 0.0  # processed, then the answer is held back `slow_s`
    slow_s: float = 5.0
    retry_after_s: int = 1
    # "METHOD /path-glob" rules, e.g. "POST /orgs/*/assistants" ("*" matches any method,
    # and in the glob any run of characters, "/" too). Paths are below the vendor's
    # prefix. Empty: every request.
    only: str | Sequence[str] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "only", _rules(self.only))
        rates = (self.rate_429, self.rate_5xx, self.drop_rate, self.slow_rate)
        if any(r < 0 or r > 1 for r in rates) or sum(rates) > 1 + 1e-9:
            raise ValueError("fault rates must each be within 0..1 and add up to at most 1")
        if self.latency_ms < 0 or self.jitter_ms < 0 or self.slow_s < 0:
            raise ValueError("latency, jitter and slow_s must not be negative")
        if self.retry_after_s < 0 or int(self.retry_after_s) != self.retry_after_s:
            raise ValueError("retry_after_s must be a non-negative whole number of seconds")

    @classmethod
    def spread(cls, fault_rate: float, latency_ms: float = 0.0, jitter_ms: float = 0.0) -> Faults:
        """`--fault-rate F`: half of F answered 429, half answered 500 or 503."""
        return cls(
            latency_ms=latency_ms,
            jitter_ms=jitter_ms,
            rate_429=fault_rate / 2,
            rate_5xx=fault_rate / 2,
        )

    def covers(self, method: str, path: str) -> bool:
        """Whether a request meets these settings (always, when they are not scoped)."""
        if not self.only:
            return True
        for rule in self.only:  # normalised by __post_init__
            wanted, glob = rule.split(" ")
            if wanted in ("*", method.upper()) and fnmatch.fnmatchcase(path, glob):
                return True
        return False


@dataclass(frozen=True)
class Decision:
    delay_s: float
    fault: str | None  # "429", "500", "503", "drop", "slow" or None
    faults: Faults


class FaultPlanner:
    def __init__(self, seed: int, default: Faults) -> None:
        self.seed = seed
        self._lock = threading.Lock()
        self._global = default
        self._per_vendor: dict[str, Faults] = {}
        self._counters: dict[tuple[str, str, str], int] = {}

    def set(self, faults: Faults, vendor: str | None = None) -> None:
        """A vendor's own settings override the global ones; setting the global ones
        drops every vendor's own settings."""
        with self._lock:
            if vendor is None:
                self._global = faults
                self._per_vendor.clear()
            else:
                self._per_vendor[vendor] = faults

    def reset(self, faults: Faults) -> None:
        with self._lock:
            self._global = faults
            self._per_vendor.clear()
            self._counters.clear()

    def decide(self, vendor: str, method: str, path: str) -> Decision:
        with self._lock:
            faults = self._per_vendor.get(vendor, self._global)
            key = (vendor, method, path)
            n = self._counters.get(key, 0)
            self._counters[key] = n + 1
        if faults == _NONE or not faults.covers(method, path):
            return Decision(0.0, None, faults)
        digest = hashlib.blake2b(
            f"{self.seed}\x00{vendor}\x00{method}\x00{path}\x00{n}".encode(), digest_size=24
        ).digest()
        pick = _unit(digest[0:8])
        jitter = _unit(digest[8:16])
        coin = digest[16] & 1

        fault: str | None = None
        edge = faults.rate_429
        if pick < edge:
            fault = "429"
        elif pick < (edge := edge + faults.rate_5xx):
            fault = "503" if coin else "500"
        elif pick < (edge := edge + faults.drop_rate):
            fault = "drop"
        elif pick < edge + faults.slow_rate:
            fault = "slow"
        delay_s = (faults.latency_ms + faults.jitter_ms * jitter) / 1000.0
        return Decision(delay_s, fault, faults)


def _rules(only: str | Sequence[str]) -> tuple[str, ...]:
    """`only` as a tuple of "METHOD glob" rules, the method in capitals."""
    rules = []
    for rule in (only,) if isinstance(only, str) else only:
        parts = rule.split() if isinstance(rule, str) else []
        if (
            len(parts) != 2
            or not (parts[0] == "*" or parts[0].isalpha())
            or parts[1][0] not in "/*"
        ):
            raise ValueError(
                "each `only` rule must be a method (or *) and a path glob starting with / or *,"
                f" like 'POST /assistants'; got {rule!r}"
            )
        rules.append(f"{parts[0].upper()} {parts[1]}")
    return tuple(rules)


def _unit(chunk: bytes) -> float:
    return int.from_bytes(chunk, "big") / 2**64


_NONE = Faults()
