"""One command run's connections: a pooled client per connection, opened once and shared,
and the sentences for failures that affect a whole connection."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from voiceops.errors import ConnectionFailed, VoiceopsError
from voiceops.live.httpclient import (
    Client,
    Interrupted,
    RequestFailed,
    RetryPolicy,
    StatusFailed,
    StopSignal,
)
from voiceops.live.providers import build_adapter
from voiceops.live.providers.base import LiveState, Provider
from voiceops.spec.config import Connection
from voiceops.spec.defaults import DEFAULTS
from voiceops.spec.validation import Project

if TYPE_CHECKING:
    import ssl

    import httpx

# Told every secret value the run learns (credentials, login tokens) as soon as it does.
SecretSink = Callable[[str], None]


@dataclass
class RunOptions:
    env: Mapping[str, str]
    concurrency: int = DEFAULTS.concurrency
    timeout_s: float = DEFAULTS.timeout_s
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    seed: int | None = None
    # Where hashes of applied write-only fields are kept; None keeps them in memory.
    write_only_record: Path | None = None
    # How long saving that record waits for another run holding its lock (None: the
    # record's own default).
    record_lock_timeout_s: float | None = None
    # Whether apply writes a created assistant's id into its document (not in sandbox runs).
    write_back: bool = True
    # Tests may route every connection through one transport (e.g. the in-process sandbox).
    transport: httpx.AsyncBaseTransport | None = None


def _ignore(_secret: str) -> None:
    pass


class Session:
    """Open connections for one command run. Use as `async with Session(...) as session`."""

    def __init__(
        self, project: Project, options: RunOptions, on_secret: SecretSink = _ignore
    ) -> None:
        self.project = project
        self.options = options
        self.on_secret = on_secret
        self._limit = asyncio.Semaphore(options.concurrency)
        # Set on SIGINT or SIGTERM during apply: from then on nothing new is sent.
        self.stop = StopSignal()
        self._opened: dict[str, asyncio.Task[tuple[Provider, Client]]] = {}
        self._clients: list[Client] = []
        self._ssl: ssl.SSLContext | None = None

    async def __aenter__(self) -> Session:
        return self

    async def __aexit__(self, kind: object, error: BaseException | None, trace: object) -> None:
        await asyncio.gather(*(c.close() for c in self._clients), return_exceptions=True)

    def ssl_context(self) -> ssl.SSLContext | None:
        """The run's one SSL context, made when the first connection opens (none when every
        request goes through a transport a test handed in)."""
        if self.options.transport is not None:
            return None
        if self._ssl is None:
            import httpx

            self._ssl = httpx.create_ssl_context()
        return self._ssl

    async def connect(self, name: str) -> tuple[Provider, Client]:
        """The provider and its started client; opened once, shared by all callers."""
        if name not in self._opened:
            self._opened[name] = asyncio.ensure_future(self._open(name))
        return await self._opened[name]

    async def _open(self, name: str) -> tuple[Provider, Client]:
        connection = self.project.config.connections[name]
        provider = build_adapter(connection, self.project.schemas, self.options.env)
        for secret in provider.secrets():
            self.on_secret(secret)
        provider.on_secret = self.on_secret
        try:
            client = self._client(provider, connection)
        except VoiceopsError:
            raise
        except Exception as exc:  # the URL cannot be parsed, or httpx refuses a header value
            reason = str(exc).strip() or type(exc).__name__
            raise ConnectionFailed(f"connection {name!r} cannot be used: {reason}") from None
        self._clients.append(client)
        try:
            await provider.start(client)
        except VoiceopsError as exc:
            raise connection_error(provider, exc) from None
        return provider, client

    def _client(self, provider: Provider, connection: Connection) -> Client:
        cap = int(connection.setting("concurrency") or provider.concurrency_cap)
        return Client(
            provider.base_url,
            global_limit=self._limit,
            vendor_limit=min(cap, self.options.concurrency),
            per_minute=provider.requests_per_minute,
            timeout_s=float(connection.setting("timeout_s") or self.options.timeout_s),
            retry=self.options.retry,
            headers=provider.headers(),
            seed=self.options.seed,
            transport=self.options.transport,
            stop=self.stop,
            # Loopback stand-ins speak plain http: no CA bundle to load for them.
            ssl_context=self.ssl_context() if provider.base_url.startswith("https:") else None,
        )

    async def read(
        self, name: str, ids: list[str], *, whole_connection: bool = True
    ) -> dict[str, LiveState]:
        """Live state of `ids`. When they are the connection's whole read (`whole_connection`)
        and every one of them got an answer unlike the vendor's API, the connection is blamed;
        one assistant read on its own keeps its own failure."""
        provider, client = await self.connect(name)
        try:
            live = await provider.read(client, ids)
        except VoiceopsError as exc:
            raise connection_error(provider, exc) from None
        blamed = wrong_base_url(provider, list(live.values())) if whole_connection else None
        if blamed is not None:
            raise blamed
        return live

    async def list_all(self, name: str) -> list[dict[str, Any]]:
        """Every live assistant of the connection (vendors with a list only)."""
        provider, client = await self.connect(name)
        try:
            return await provider.list_all(client)
        except VoiceopsError as exc:
            raise connection_error(provider, exc) from None


def wrong_base_url(provider: Provider, answers: list[LiveState]) -> ConnectionFailed | None:
    """The connection's error when nothing at all answered as the vendor's API does (most
    likely a wrong base_url); None when any answer did."""
    failures = [a for a in answers if isinstance(a, RequestFailed)]
    if not answers or len(failures) < len(answers) or not all(f.unexpected for f in failures):
        return None
    return unexpected_answer(provider, failures[0])


def unexpected_answer(provider: Provider, failure: RequestFailed) -> ConnectionFailed:
    return ConnectionFailed(
        f"connection {provider.name!r}: {provider.base_url} did not answer with the JSON "
        f"the {provider.type} API sends ({failure.message}); check its base_url"
    )


def connection_error(provider: Provider, exc: VoiceopsError) -> VoiceopsError:
    """The one sentence a user sees for a failure that affects a whole connection."""
    if isinstance(exc, Interrupted):
        return exc
    if isinstance(exc, StatusFailed) and exc.status == 401:
        if exc.after_login:
            return ConnectionFailed(
                f"connection {provider.name!r}: the vendor answered 401 right after a "
                "successful login; the account may not be allowed to read these assistants"
            )
        return ConnectionFailed(provider.rejected_credentials())
    if exc.location is not None or isinstance(exc, ConnectionFailed):
        return exc
    return ConnectionFailed(f"connection {provider.name!r}: {exc.message}")
