"""The pool's check of idle connections (`voiceops.live.netbackend`), over real sockets on
127.0.0.1, plain and TLS: an idle connection stays in use, and one the server closed is
never sent a request."""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Iterator

import httpx
import pytest
import trustme

from tests.misbehaving import Answer, MisbehavingServer, Request
from voiceops.live.httpclient import Client
from voiceops.live.netbackend import SocketKeepingBackend, keep_sockets


def client(base_url: str, **extra: object) -> Client:
    return Client(base_url, global_limit=asyncio.Semaphore(4), vendor_limit=4, **extra)  # type: ignore[arg-type]


@pytest.fixture
def closing_server() -> Iterator[MisbehavingServer]:
    """Answers every request on a keep-alive connection, then closes that connection."""

    def route(request: Request) -> Answer:
        return Answer(200, b'{"ok": true}', action="answer-then-close")

    with MisbehavingServer(route).serve() as server:
        yield server


def wait_for(condition: object, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "the server did not get there"
        time.sleep(0.01)


def test_installed_on_httpx_default_transport_only() -> None:
    async def main() -> None:
        default = client("http://127.0.0.1:9")
        pool = default.http._transport._pool  # type: ignore[attr-defined]
        assert isinstance(pool._network_backend, SocketKeepingBackend)
        assert keep_sockets(default.http)  # a second call does not wrap it twice
        assert not isinstance(pool._network_backend.inner, SocketKeepingBackend)
        mock = client("http://127.0.0.1:9", transport=httpx.MockTransport(lambda r: None))  # type: ignore[arg-type]
        assert not keep_sockets(mock.http)
        await default.close()
        await mock.close()

    asyncio.run(main())


def test_an_idle_connection_the_server_closed_is_not_sent_an_update(
    closing_server: MisbehavingServer,
) -> None:
    """An update is never retried once it may have left, so a stale connection taken from
    the pool would fail it; the check must see the close and open a new connection."""

    async def main() -> None:
        vendor = client(closing_server.url)
        for n in (1, 2, 3):
            response = await vendor.request("PATCH", "/assistants/a", json={"n": n})
            assert response.json() == {"ok": True}
            wait_for(lambda n=n: closing_server.closed_after_answer == n)
            await asyncio.sleep(0.05)  # the close reaches this side
        await vendor.close()

    asyncio.run(main())
    assert len(closing_server.seen("PATCH")) == 3
    assert closing_server.connections == 3


# -- TLS ---------------------------------------------------------------------------------

ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


class TlsServer:
    """HTTP/1.1 over TLS on 127.0.0.1 with asyncio: `{}` to every request, keep-alive."""

    def __init__(self, context: ssl.SSLContext) -> None:
        self.context = context
        self.connections = 0
        self.answers = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while await reader.readuntil(b"\r\n\r\n"):
                writer.write(ANSWER)
                await writer.drain()
                self.answers += 1
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    async def start(self) -> tuple[asyncio.Server, str]:
        server = await asyncio.start_server(self.handle, "127.0.0.1", 0, ssl=self.context)
        port = server.sockets[0].getsockname()[1]
        return server, f"https://127.0.0.1:{port}"


def tls_contexts() -> tuple[ssl.SSLContext, ssl.SSLContext]:
    authority = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(server)
    trusting = ssl.create_default_context()
    authority.configure_trust(trusting)
    return server, trusting


def test_an_open_tls_connection_is_reused() -> None:
    """The check polls the TCP socket under the TLS layer: records that arrive after the
    handshake must not read as the server closing."""
    server_context, client_context = tls_contexts()
    tls = TlsServer(server_context)

    async def main() -> None:
        server, url = await tls.start()
        vendor = client(url, ssl_context=client_context)
        for n in range(1, 4):
            response = await vendor.request("PATCH", "/assistants/a", json={"n": n})
            assert response.json() == {}
            await asyncio.sleep(0.05)
        await vendor.close()
        server.close()
        await server.wait_closed()

    asyncio.run(main())
    assert tls.answers == 3
    assert tls.connections == 1
