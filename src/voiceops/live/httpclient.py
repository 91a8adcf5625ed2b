"""HTTP to the vendors: one pooled client per connection, bounded concurrency, retries.

A vendor's documented rate limit is kept with a sliding window (`RateLimiter`): bursts up
to it go at once. Retries use full-jitter exponential backoff and honour `Retry-After`;
they pass through the window like any request. Reads are always retried; updates only
when the request cannot have reached the vendor (a connect error) or the vendor said to
come back later (429, or 503 with `Retry-After`).

Every request is bounded: a total deadline covers connecting, sending and reading the whole
answer, and an answer larger than `MAX_RESPONSE_BYTES` is cut off. Whatever goes wrong with
one request (a URL httpx cannot build, a reset, a body that cannot be encoded) ends as a
`RequestFailed`, never as another exception.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
import logging
import math
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from voiceops.errors import ConnectionFailed, VoiceopsError
from voiceops.spec.defaults import DEFAULTS
from voiceops.spec.urls import base_url_problem

if TYPE_CHECKING:
    import ssl

    import httpx

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
# No vendor answer about assistants comes near this; a larger one is cut off unread.
MAX_RESPONSE_BYTES = 16 * 1024 * 1024
# One DEBUG record per attempt (shown by `voiceops --debug`).
LOGGER = "voiceops.http"


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    base_delay_s: float = 0.2
    max_delay_s: float = 10.0
    # A vendor's Retry-After is honoured up to this long (it may exceed max_delay_s:
    # retrying before the vendor's window reopens only spends another attempt).
    max_retry_after_s: float = 120.0
    # Every wait of a client (backoff, Retry-After, the rate window) goes through this;
    # None: the client's own, which ends early when the run is stopped.
    sleep: Callable[[float], Awaitable[None]] | None = field(default=None, compare=False)

    def backoff(self, attempt: int, rng: random.Random) -> float:
        return rng.uniform(0, min(self.max_delay_s, self.base_delay_s * 2**attempt))


class RequestFailed(VoiceopsError):
    """A request that did not succeed, with what the vendor (or the network) said."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        maybe_applied: bool = False,
        unreachable: bool = False,
        unexpected: bool = False,
    ) -> None:
        super().__init__(message)
        self.status = status
        # True when an update may have reached the vendor (timeout, dropped reply, 5xx).
        self.maybe_applied = maybe_applied
        # True when the host could not be reached at all: the whole connection is down.
        self.unreachable = unreachable
        # True when the answer was not what the vendor's API sends (HTML, a list, no body).
        self.unexpected = unexpected


class StatusFailed(RequestFailed):
    """The vendor answered with an HTTP error status."""

    status: int

    def __init__(
        self, message: str, *, status: int, maybe_applied: bool = False, after_login: bool = False
    ) -> None:
        super().__init__(message, status=status, maybe_applied=maybe_applied)
        # True for a 401 that came right after logging in again: the credentials worked.
        self.after_login = after_login
        # Seconds the vendor asked to wait before trying again (Retry-After), if it said.
        self.retry_after_s: float | None = None


class ConnectionRequestFailed(RequestFailed, ConnectionFailed):
    """A failed request that makes the whole connection unusable (e.g. its login); the
    message names the connection."""


class Interrupted(RequestFailed):
    """Not sent: the run was asked to stop (SIGINT or SIGTERM) before this request left."""

    def __init__(self, method: str, path: str, *, maybe_applied: bool = False) -> None:
        message = f"{method} {shown(path)} not sent: interrupted"
        super().__init__(message, maybe_applied=maybe_applied)


class StopSignal:
    """Set once the run must send nothing new; waits end early when it is set."""

    def __init__(self) -> None:
        self.event = asyncio.Event()
        self.signals: list[int] = []

    def is_set(self) -> bool:
        return self.event.is_set()

    def set(self, signum: int | None = None) -> None:
        if signum is not None:
            self.signals.append(signum)
        self.event.set()

    async def sleep(self, seconds: float) -> None:
        """Sleep `seconds`, or less if the stop is set meanwhile."""
        if seconds <= 0 or self.is_set():
            await asyncio.sleep(0)
            return
        sleeper = asyncio.ensure_future(asyncio.sleep(seconds))
        stopped = asyncio.ensure_future(self.event.wait())
        try:
            await asyncio.wait({sleeper, stopped}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            stopped.cancel()


def encode_json(body: Any) -> bytes:
    """A request body as sent: strict JSON (no NaN or infinity), UTF-8."""
    try:
        text = jsonlib.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError, RecursionError) as exc:
        raise RequestFailed(f"the request body cannot be sent as JSON: {exc}") from None
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, as read from the vendor: send it escaped
        return jsonlib.dumps(body, separators=(",", ":"), allow_nan=False).encode("ascii")


# Below a vendor's documented limit by this share, so that our clock and the vendor's, and
# requests that reach the vendor in another order than they left, never tip it over.
RATE_MARGIN = 0.04
# Added to the vendor's window for the same reason: an answer's delay varies.
WINDOW_SLACK_S = 1.0

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class RateLimiter:
    """A sliding window: at most `limit` requests start in any `window_s` seconds.

    A request counts from the moment it leaves (`take`), not from when it began to wait,
    so a request that waited for a shared slot cannot land in the vendor's next window.
    Up to the limit, requests go at once; past it, one waits until the oldest leaves.
    """

    def __init__(
        self, limit: int | None, window_s: float = 60.0, *, clock: Clock = time.monotonic
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self.clock = clock
        self.sent: deque[float] = deque()

    @classmethod
    def documented(cls, per_minute: int | None, *, clock: Clock = time.monotonic) -> RateLimiter:
        """The window for a vendor's documented per-minute limit, with a safety margin."""
        if not per_minute:
            return cls(None, clock=clock)
        limit = per_minute - max(1, math.ceil(per_minute * RATE_MARGIN))
        return cls(max(1, limit), 60.0 + WINDOW_SLACK_S, clock=clock)

    def delay(self) -> float:
        """How long until one more request fits in the window (0: now)."""
        if self.limit is None:
            return 0.0
        now = self.clock()
        while self.sent and self.sent[0] <= now - self.window_s:
            self.sent.popleft()
        if len(self.sent) < self.limit:
            return 0.0
        return self.sent[0] + self.window_s - now

    def take(self) -> bool:
        """Count a request leaving now, if the window has room for it."""
        if self.delay() > 0:
            return False
        if self.limit is not None:
            self.sent.append(self.clock())
        return True

    async def acquire(self, sleep: Sleep) -> None:
        """Wait (with `sleep`) until the window has room, and count a request leaving."""
        while not self.take():
            await sleep(self.delay())


def check_base_url(url: str, connection: str) -> str:
    """Credentials go only over https, except to a loopback host (the sandbox)."""
    problem = base_url_problem(url)
    if problem:
        raise ConnectionFailed(f"connection {connection!r}: {problem}")
    return url.rstrip("/")


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


@dataclass
class _Attempts:
    """One request across its attempts."""

    method: str
    path: str
    content: bytes | None
    params: dict[str, Any] | None
    safe: bool  # whether sending it twice does no harm
    may_login: bool  # whether a 401 may be answered by logging in again
    logged_in_again: bool
    attempt: int = 0
    # Whether an earlier attempt of this update may have reached the vendor.
    maybe_sent: bool = False


@dataclass(frozen=True)
class _Retry:
    """A failed attempt worth repeating after `delay` seconds."""

    failure: RequestFailed
    delay: float


def _retryable(status: int, wait: float | None, *, safe: bool) -> bool:
    """Whether an error status is worth another attempt. An update is repeated only
    when the vendor said to come back later (429, or 503 with Retry-After)."""
    if status not in RETRYABLE_STATUS:
        return False
    return safe or status == 429 or (status == 503 and wait is not None)


def _http_client(
    base_url: str,
    *,
    headers: dict[str, str],
    timeout_s: float,
    connections: int,
    transport: httpx.AsyncBaseTransport | None,
    ssl_context: ssl.SSLContext | None,
) -> httpx.AsyncClient:
    import httpx

    from voiceops.live.netbackend import keep_sockets

    client = httpx.AsyncClient(
        base_url=base_url,
        headers=headers,
        timeout=httpx.Timeout(timeout_s),
        follow_redirects=False,
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
        transport=transport,
        # One context per run, shared by its connections: loading the CA bundle is slow.
        # Plain http (loopback only) has no TLS to verify, and needs no bundle loaded.
        verify=ssl_context if ssl_context is not None else base_url.startswith("https:"),
    )
    keep_sockets(client)
    return client


class Client:
    """Requests to one connection. Paths are relative to its base URL; nothing else is reachable.

    httpx is imported only here, when a run first talks to a vendor: commands that send
    nothing (validate, --help) do not load it.
    """

    def __init__(
        self,
        base_url: str,
        *,
        global_limit: asyncio.Semaphore,
        vendor_limit: int,
        per_minute: int | None = None,
        timeout_s: float = DEFAULTS.timeout_s,
        retry: RetryPolicy | None = None,
        headers: dict[str, str] | None = None,
        seed: int | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        stop: StopSignal | None = None,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        ssl_context: ssl.SSLContext | None = None,
        rate: RateLimiter | None = None,
    ) -> None:
        self.base_url = base_url
        self.global_limit = global_limit
        self.vendor_limit = asyncio.Semaphore(vendor_limit)
        self.rate = rate or RateLimiter.documented(per_minute)
        self.retry = retry or RetryPolicy()
        self.rng = random.Random(seed)
        self.timeout_s = timeout_s
        self.stop = stop or StopSignal()
        # Every wait (backoff, Retry-After, the rate window) goes through this.
        self.sleep = self.retry.sleep or self.stop.sleep
        self.log = logging.getLogger(LOGGER)
        self.max_response_bytes = max_response_bytes
        self.http = _http_client(
            base_url,
            headers=headers or {},
            timeout_s=timeout_s,
            connections=vendor_limit,
            transport=transport,
            ssl_context=ssl_context,
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
            raise RequestFailed(f"{method} {shown(path)} refused: not a path under {self.base_url}")
        state = _Attempts(
            method,
            path,
            content=None if json is None else encode_json(json),
            params=params,
            safe=method == "GET" if idempotent is None else idempotent,
            may_login=reauthenticate,
            logged_in_again=not reauthenticate,
        )
        while True:
            outcome = await self._attempt(state)
            if isinstance(outcome, _Retry):
                await self._before_retry(state, outcome)
            elif outcome is not None:
                return outcome

    async def _attempt(self, state: _Attempts) -> httpx.Response | _Retry | None:
        """One attempt: a 2xx response, a failure worth retrying after a delay, or None to
        repeat at once (after logging in again). Raises when retrying cannot help."""
        import httpx

        method, path = state.method, state.path
        not_sent = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
        try:
            response = await self._send(method, path, state.content, state.params)
        except Interrupted:
            raise Interrupted(method, path, maybe_applied=state.maybe_sent) from None
        except not_sent as exc:
            failure = RequestFailed(
                f"cannot reach {self.base_url}: {_reason(exc)}",
                unreachable=True,
                maybe_applied=state.maybe_sent,
            )
            return _Retry(failure, self.retry.backoff(state.attempt, self.rng))
        except RequestFailed:
            raise  # could not be built: nothing was sent, and retrying cannot help
        except TooLarge as exc:  # the same answer would be as large again
            message = f"{method} {shown(path)} failed: {exc}"
            raise RequestFailed(message, maybe_applied=not state.safe, unexpected=True) from None
        except (httpx.HTTPError, TimeoutError) as exc:
            failure = RequestFailed(
                f"{method} {shown(path)} failed: {_reason(exc)}", maybe_applied=not state.safe
            )
            if not state.safe:
                raise failure from None
            return _Retry(failure, self.retry.backoff(state.attempt, self.rng))
        return await self._answered(state, response)

    async def _answered(
        self, state: _Attempts, response: httpx.Response
    ) -> httpx.Response | _Retry | None:
        """What an answer means: success, logging in again (None), a retry, or a failure."""
        status = response.status_code
        if status < 300:
            return response
        if status == 401 and self.reauthenticate is not None and not state.logged_in_again:
            state.logged_in_again = True
            await self.reauthenticate()
            return None
        failure = StatusFailed(
            f"{state.method} {shown(state.path)} answered {status}{_detail(response)}",
            status=status,
            maybe_applied=not state.safe and status >= 500,
            after_login=status == 401 and state.may_login and state.logged_in_again,
        )
        state.maybe_sent = state.maybe_sent or failure.maybe_applied
        wait = retry_after(response)
        failure.retry_after_s = wait
        if not _retryable(status, wait, safe=state.safe):
            raise failure
        if wait is not None and wait > self.retry.max_retry_after_s:
            # Retrying sooner than the vendor asks would only be refused again.
            failure.message += f" (it asks to wait {wait:g} s)"
            raise failure
        if wait is not None:
            return _Retry(failure, wait)
        return _Retry(failure, self.retry.backoff(state.attempt, self.rng))

    async def _before_retry(self, state: _Attempts, retry: _Retry) -> None:
        """Wait before the next attempt; raise the failure when that was the last one."""
        state.attempt += 1
        if state.attempt >= self.retry.attempts:
            failure = retry.failure
            if failure.status and failure.status >= 500:
                failure.message += f" after {state.attempt} attempts"
            raise failure
        await self.sleep(retry.delay)

    async def _send(
        self, method: str, path: str, content: bytes | None, params: dict[str, Any] | None
    ) -> httpx.Response:
        # Waiting for the vendor's rate limit holds only this vendor's slot, never one of
        # the run's shared slots, so other vendors' requests go on meanwhile. The window
        # counts the request once it holds a shared slot, right before it leaves.
        async with self.vendor_limit:
            await self._take_slot(method, path)
            try:
                request = self._build(method, path, content, params)
                return await self._timed(request)
            finally:
                self.global_limit.release()

    async def _timed(self, request: httpx.Request) -> httpx.Response:
        """One attempt, bounded by the timeout; logged with its status (or failure) and time."""
        started = time.monotonic()
        try:
            async with asyncio.timeout(self.timeout_s):
                response = await self._exchange(request)
        except BaseException as exc:
            self._log_attempt(request, started, f"failed: {_reason(exc)}")
            if isinstance(exc, TimeoutError):
                raise TimeoutError(f"no complete answer within {self.timeout_s:g} s") from None
            raise
        self._log_attempt(request, started, str(response.status_code))
        return response

    def _log_attempt(self, request: httpx.Request, started: float, outcome: str) -> None:
        if self.log.isEnabledFor(logging.DEBUG):
            ms = (time.monotonic() - started) * 1000
            target = request.url.raw_path.decode("ascii", "replace")
            self.log.debug("%s %s %s %.0f ms", request.method, target, outcome, ms)

    async def _take_slot(self, method: str, path: str) -> None:
        """Wait for room in the rate window and for a shared slot; return holding the slot,
        with the request counted in the window."""
        while True:
            wait = self.rate.delay()
            if wait > 0:
                await self.sleep(wait)
            await self.global_limit.acquire()
            if self.stop.is_set():
                self.global_limit.release()
                raise Interrupted(method, path)
            if self.rate.take():
                return
            self.global_limit.release()  # another request took the room meanwhile

    def _build(
        self, method: str, path: str, content: bytes | None, params: dict[str, Any] | None
    ) -> httpx.Request:
        headers = {"Content-Type": "application/json"} if content is not None else None
        try:
            return self.http.build_request(
                method, path, content=content, params=params, headers=headers
            )
        except Exception as exc:  # httpx.InvalidURL, or a value httpx cannot encode
            raise RequestFailed(f"{method} {shown(path)} cannot be sent: {_reason(exc)}") from None

    async def _exchange(self, request: httpx.Request) -> httpx.Response:
        """Send, then read the answer up to the size cap."""
        import httpx

        try:
            response = await self.http.send(request, stream=True)
        except httpx.HTTPError:
            raise
        except Exception as exc:  # anything else httpx or the transport raises
            raise httpx.TransportError(_reason(exc), request=request) from None
        try:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self.max_response_bytes:
                raise TooLarge(self.max_response_bytes)
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > self.max_response_bytes:
                    raise TooLarge(self.max_response_bytes)
                chunks.append(chunk)
        except (httpx.HTTPError, TooLarge):
            raise
        except Exception as exc:  # e.g. a content encoding that does not decode
            raise httpx.DecodingError(_reason(exc), request=request) from None
        finally:
            await response.aclose()
        # The body is decoded already, so the new response must not decode it again.
        headers = [
            (k, v)
            for k, v in response.headers.multi_items()
            if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")
        ]
        return httpx.Response(
            response.status_code, headers=headers, content=b"".join(chunks), request=request
        )


class TooLarge(Exception):
    def __init__(self, cap: int) -> None:
        super().__init__(f"the answer is larger than {cap:,} bytes, voiceops's limit")


def shown(path: str) -> str:
    """A path as printed: control characters escaped, so they cannot act on a terminal."""
    return path if path.isprintable() else ascii(path)[1:-1]


def _reason(exc: BaseException) -> str:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]  # e.g. anyio's group around the one error that happened
    text = str(exc).strip()
    return text or type(exc).__name__


def _detail(response: httpx.Response) -> str:
    if 300 <= response.status_code < 400:
        target = response.headers.get("location", "elsewhere")
        return f" (a redirect to {target}; voiceops does not follow redirects)"
    try:
        body = response.json()
    except (ValueError, RecursionError):
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
