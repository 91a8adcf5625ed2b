"""The pool's idle-connection check with `keep_sockets` installed, against servers that end
idle connections in different ways, compared with httpx's own check on the same server:
over real sockets on 127.0.0.1, the wrapped client opens the same connections and fails
the same requests as a plain `httpx.AsyncClient`."""

from __future__ import annotations

import asyncio
import os
import socket
import ssl
import struct
import threading
from collections.abc import Iterator

import httpcore
import httpx
import pytest

from tests.test_keep_sockets import TlsServer, tls_contexts
from voiceops.live.netbackend import SocketKeepingStream, keep_sockets

ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
TIMEOUT_408 = b"HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


class IdleEndingServer:
    """Answers one request per connection, then ends the now idle connection `how`:
    "fin" (close), "rst" (reset), "half" (shutdown of its sending side only), "408" (an
    unsolicited 408 then close), "keep" (leaves it open)."""

    def __init__(self, how: str) -> None:
        self.how = how
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.connections = 0
        self.may_end = threading.Semaphore(0)  # released by the client once it has the answer
        self.ended = threading.Semaphore(0)
        self.open: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        data = b""
        while True:
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    conn.close()
                    return
                data += chunk
            _, _, data = data.partition(b"\r\n\r\n")
            conn.sendall(ANSWER)
            if self.how == "keep":
                continue
            self.may_end.acquire()
            if self.how == "rst":
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                conn.close()
            elif self.how == "half":
                conn.shutdown(socket.SHUT_WR)
                self.open.append(conn)
            elif self.how == "408":
                conn.sendall(TIMEOUT_408)
                conn.close()
            else:
                conn.close()
            self.ended.release()
            return

    def close(self) -> None:
        self.listener.close()
        for conn in self.open:
            conn.close()


@pytest.fixture(params=["fin", "rst", "half", "408", "keep"])
def server(request: pytest.FixtureRequest) -> Iterator[IdleEndingServer]:
    server = IdleEndingServer(request.param)
    yield server
    server.close()


def run(server: IdleEndingServer, *, wrapped: bool, requests: int = 4) -> list[str]:
    """The outcome of each of `requests` sequential updates, each sent once the server has
    ended the connection of the one before."""

    async def main() -> list[str]:
        client = httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}")
        if wrapped:
            assert keep_sockets(client)
        outcomes = []
        for _ in range(requests):
            try:
                response = await client.patch("/assistants/a", json={})
                outcomes.append(str(response.status_code))
            except httpx.HTTPError as exc:
                outcomes.append(type(exc).__name__)
            if server.how != "keep":
                server.may_end.release()
                await asyncio.to_thread(server.ended.acquire)
            await asyncio.sleep(0.05)  # what the server did reaches this side
        await client.aclose()
        return outcomes

    return asyncio.run(main())


def test_wrapped_pool_matches_httpx_on_every_way_to_end_an_idle_connection(
    server: IdleEndingServer,
) -> None:
    plain = run(server, wrapped=False)
    plain_connections = server.connections
    server.connections = 0
    wrapped = run(server, wrapped=True)
    assert wrapped == plain == ["200"] * 4
    assert server.connections == plain_connections == (1 if server.how == "keep" else 4)


def test_closing_a_connection_closes_the_kept_socket_object() -> None:
    """The check trusts the kept socket object, not its fd number: closing the stream must
    close that very object (asyncio does it on a later turn of the loop)."""
    server = IdleEndingServer("keep")

    async def main() -> None:
        client = httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}")
        keep_sockets(client)
        backend = client._transport._pool._network_backend  # type: ignore[attr-defined]
        stream = await backend.connect_tcp("127.0.0.1", server.port)
        assert isinstance(stream, SocketKeepingStream)
        assert stream.get_extra_info("is_readable") is False
        await stream.aclose()
        for _ in range(1000):
            if stream.socket.fileno() < 0:  # type: ignore[union-attr]
                break
            await asyncio.sleep(0.001)
        assert stream.socket.fileno() < 0  # type: ignore[union-attr]
        assert stream.get_extra_info("is_readable") is True
        await client.aclose()

    try:
        asyncio.run(main())
    finally:
        server.close()


class HoldsSocket(httpcore.AsyncNetworkStream):
    """A stand-in for httpcore's stream that only hands over its socket."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def get_extra_info(self, info: str) -> object:
        return self.sock if info == "socket" else None


def free_fd_number() -> int:
    """A free fd number far above those the process allocates (lowest free first), so no
    other thread takes it while the test moves sockets onto it."""
    for number in range(900, 1000):
        try:
            os.fstat(number)
        except OSError:
            return number
    raise AssertionError("no free fd number between 900 and 1000")


def test_a_closed_socket_reads_as_closed_when_its_fd_number_is_reused() -> None:
    number = free_fd_number()
    first, _first_peer = socket.socketpair()
    os.dup2(first.fileno(), number)
    first.close()
    kept = socket.socket(fileno=number)
    stream = SocketKeepingStream(HoldsSocket(kept))
    assert stream.get_extra_info("is_readable") is False
    kept.close()
    other, other_peer = socket.socketpair()
    os.dup2(other.fileno(), number)  # the number now names another, open socket
    try:
        assert stream.get_extra_info("is_readable") is True
        other_peer.sendall(b"x")  # ... with bytes waiting
        assert stream.get_extra_info("is_readable") is True
    finally:
        os.close(number)
        for sock in (other, other_peer, _first_peer):
            sock.close()


# -- TLS: the same comparison over TLS 1.3 (session tickets arrive after the handshake) ---


class ClosingTlsServer(TlsServer):
    """`{}` to one request per connection, then close_notify (`close`), or every request
    answered on a connection kept open."""

    def __init__(self, context: ssl.SSLContext, close: bool) -> None:
        super().__init__(context)
        self.close = close
        self.ended = asyncio.Queue[None]()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.close:
            await super().handle(reader, writer)
            return
        self.connections += 1
        await reader.readuntil(b"\r\n\r\n")
        writer.write(ANSWER)
        await writer.drain()
        self.answers += 1
        # close_notify goes out now; the TCP close waits for the client's (which an idle
        # client never sends), so the client sees close_notify only.
        writer.close()
        await asyncio.sleep(0.05)
        self.ended.put_nowait(None)


@pytest.mark.parametrize("close", [True, False])
def test_wrapped_tls_pool_matches_httpx(close: bool) -> None:
    server_context, client_context = tls_contexts()

    def outcome(wrapped: bool) -> tuple[list[str], int]:
        tls = ClosingTlsServer(server_context, close)

        async def main() -> list[str]:
            server, url = await tls.start()
            client = httpx.AsyncClient(base_url=url, verify=client_context)
            if wrapped:
                assert keep_sockets(client)
            statuses = []
            for _ in range(3):
                try:
                    response = await client.patch("/assistants/a", json={})
                    statuses.append(str(response.status_code))
                except httpx.HTTPError as exc:
                    statuses.append(type(exc).__name__)
                    continue  # no connection of the server's to wait for
                if close:
                    await tls.ended.get()
                await asyncio.sleep(0.05)
            await client.aclose()
            server.close()
            await server.wait_closed()
            return statuses

        return asyncio.run(main()), tls.connections

    plain = outcome(wrapped=False)
    assert outcome(wrapped=True) == plain
    if not close:
        assert plain == (["200"] * 3, 1)
    # With close_notify and no FIN, httpx's own check takes the idle connection for open
    # too (known, in httpcore on asyncio): the wrapper only has to do no worse.
