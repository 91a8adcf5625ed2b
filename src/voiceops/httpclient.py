"""HTTP to the vendors: one pooled client per connection, bounded concurrency, retries.

Retries use full-jitter exponential backoff and honour `Retry-After`. Reads are always
retried; updates only when the request cannot have reached the vendor (a connect error)
or the vendor said to come back later (429, or 503 with `Retry-After`).
"""

from __future__ import annotations

import asyncio
import ipaddress
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from voiceops.errors import VoiceopsError

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    base_delay_s: float = 0.2
    max_delay_s: float = 10.0
    # A vendor's Retry-After is honoured up to this long (it may exceed max_delay_s:
    # retrying before the vendor's window reopens only spends another attempt).
    max_retry_after_s: float = 120.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        return rng.uniform(0, min(self.max_delay_s, self.base_delay_s * 2**attempt))


class RequestFailed(VoiceopsError):
    """A request that did not succeed, with what the vendor (or the network) said."""

    def __init__(
        self, message: str, *, status: int | None = None, maybe_applied: bool = False
    ) -> None:
        super().__init__(message)
        self.status = status
        # True for a 401 that came right after logging in again: the credentials worked.
        self.after_login = False
        # True when an update may have reached the vendor (timeout, dropped reply, 5xx).
        self.maybe_applied = maybe_applied


class RateLimiter:
    """Spaces requests so that at most `per_minute` start in any minute."""

    def __init__(self, per_minute: int | None) -> None:
        self.interval = 60.0 / per_minute if per_minute else 0.0
        self.next_slot = 0.0
        self.lock = asyncio.Lock()

    async def wait(self) -> None:
        if not self.interval:
            return
        async with self.lock:
            now = time.monotonic()
            slot = max(now, self.next_slot)
            self.next_slot = slot + self.interval
        if slot > now:
            await asyncio.sleep(slot - now)


def base_url_problem(url: str) -> str | None:
    """Why `url` cannot be a connection's base URL, or None. The message never repeats the
    URL: it may hold a password."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError for a port out of range)
    except ValueError:
        return "base_url is not a valid URL (check the brackets around an IPv6 host and the port)"
    if not url.isascii() or not url.isprintable() or " " in url:
        return "base_url must not contain spaces, control or non-ASCII characters"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "base_url must be an https:// URL with a host name"
    if "@" in parts.netloc:
        # httpx would turn user info into Basic auth, replacing the connection's credentials.
        return (
            "base_url must not contain user info (user:password@); credentials come from "
            "the environment variables the connection names"
        )
    if parts.query or parts.fragment or url.rstrip("/").endswith(("?", "#")):
        return "base_url must not contain a query (?…) or a fragment (#…)"
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        return "base_url must use https:// (plain http is allowed only for loopback hosts)"
    return None


def check_base_url(url: str, connection: str) -> str:
    """Credentials go only over https, except to a loopback host (the sandbox)."""
    problem = base_url_problem(url)
    if problem:
        raise VoiceopsError(f"connection {connection!r}: {problem}")
    return url.rstrip("/")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


class Client:
    """Requests to one connection. Paths are relative to its base URL; nothing else is reachable."""

    def __init__(
        self,
        base_url: str,
        *,
        global_limit: asyncio.Semaphore,
        vendor_limit: int,
        per_minute: int | None = None,
        timeout_s: float = 30.0,
        retry: RetryPolicy | None = None,
        headers: dict[str, str] | None = None,
        seed: int | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url
        self.global_limit = global_limit
        self.vendor_limit = asyncio.Semaphore(vendor_limit)
        self.rate = RateLimiter(per_minute)
        self.retry = retry or RetryPolicy()
        self.rng = random.Random(seed)
        self.http = httpx.AsyncClient(
            base_url=base_url,
            headers=headers or {},
            timeout=httpx.Timeout(timeout_s),
            follow_redirects=False,
            limits=httpx.Limits(
                max_connections=vendor_limit, max_keepalive_connections=vendor_limit
            ),
            transport=transport,
        )
        # Set by providers that log in (Edmo): called once when a request gets 401.
        self.reauthenticate: Callable[[], Awaitable[None]] | None = None

    async def close(self) -> None:
        await self.http.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        idempotent: bool | None = None,
        reauthenticate: bool = True,
    ) -> httpx.Response:
        """Send with retries; returns a 2xx response or raises RequestFailed."""
        target = urlsplit(path)
        if target.scheme or target.netloc:
            # httpx would send an absolute URL elsewhere, with this connection's credentials.
            raise RequestFailed(f"{method} {path} refused: not a path under {self.base_url}")
        safe = method == "GET" if idempotent is None else idempotent
        reauthenticated = not reauthenticate
        attempt = 0
        while True:
            delay: float | None = None
            try:
                response = await self._send(method, path, json, params)
            except _NOT_SENT as exc:
                failure = RequestFailed(f"cannot reach {self.base_url}: {_reason(exc)}")
                delay = self.retry.backoff(attempt, self.rng)
            except httpx.HTTPError as exc:
                failure = RequestFailed(
                    f"{method} {path} failed: {_reason(exc)}", maybe_applied=not safe
                )
                if not safe:
                    raise failure from None
                delay = self.retry.backoff(attempt, self.rng)
            else:
                status = response.status_code
                if status < 300:
                    return response
                if status == 401 and self.reauthenticate is not None and not reauthenticated:
                    reauthenticated = True
                    await self.reauthenticate()
                    continue
                failure = RequestFailed(
                    f"{method} {path} answered {status}{_detail(response)}",
                    status=status,
                    maybe_applied=not safe and status >= 500,
                )
                failure.after_login = status == 401 and reauthenticate and reauthenticated
                wait = retry_after(response)
                if status not in RETRYABLE_STATUS:
                    raise failure
                if not safe and not (status == 429 or (status == 503 and wait is not None)):
                    raise failure
                if wait is not None:
                    delay = min(wait, self.retry.max_retry_after_s)
                else:
                    delay = self.retry.backoff(attempt, self.rng)
            attempt += 1
            if attempt >= self.retry.attempts:
                if failure.status and failure.status >= 500:
                    failure.message += f" after {attempt} attempts"
                raise failure
            await asyncio.sleep(delay)

    async def _send(
        self, method: str, path: str, body: Any, params: dict[str, Any] | None
    ) -> httpx.Response:
        # Waiting for the vendor's rate limit holds only this vendor's slot, never one of
        # the run's shared slots, so other vendors' requests go on meanwhile.
        async with self.vendor_limit:
            await self.rate.wait()
            async with self.global_limit:
                return await self.http.request(method, path, json=body, params=params)


def _reason(exc: Exception) -> str:
    text = str(exc).strip()
    return text or type(exc).__name__


def _detail(response: httpx.Response) -> str:
    if 300 <= response.status_code < 400:
        target = response.headers.get("location", "elsewhere")
        return f" (a redirect to {target}; voiceops does not follow redirects)"
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, dict):
        # NestJS (Interactly, Invent) answers {statusCode, message, error: "Bad Request"}:
        # the message says more. A list of messages is shown as text, never as a repr.
        message = body.get("message") or body.get("error")
        if isinstance(message, list):
            message = "; ".join(str(item) for item in message)
        if isinstance(message, str):
            return f": {message}"
    return ""
