"""A cheaper idle-connection check for httpx's connection pool.

Before every request, and again as every answer is closed, httpcore's pool asks each idle
connection whether the server has closed it (`get_extra_info("is_readable")`). Its asyncio
streams answer by rebuilding anyio's table of socket attributes, which asks the kernel for
the peer's address each time: at 0 ms latency that is a quarter of a run's CPU. These
wrappers keep the socket found when the connection opened and poll it directly; reads,
writes, TLS and closing are the wrapped stream's own.
"""

from __future__ import annotations

import select
import socket
from typing import TYPE_CHECKING, Any

import httpcore

if TYPE_CHECKING:
    import ssl
    from collections.abc import Iterable

    import httpx


class SocketKeepingStream(httpcore.AsyncNetworkStream):
    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self.inner = inner
        self.socket: socket.socket | None = inner.get_extra_info("socket")
        self.poller: select.poll | None = None
        if self.socket is not None and hasattr(select, "poll"):  # not on Windows
            self.poller = select.poll()
            self.poller.register(self.socket, select.POLLIN)

    def readable(self) -> bool:
        """Whether reading would not block: on an idle keep-alive connection, only when
        the server closed it (or the socket is gone, which counts the same)."""
        if self.socket is None or self.socket.fileno() < 0:
            return True
        if self.poller is None:
            return bool(select.select([self.socket], [], [], 0)[0])
        return bool(self.poller.poll(0))

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self.inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self.inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self.inner.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return SocketKeepingStream(
            await self.inner.start_tls(ssl_context, server_hostname, timeout)
        )

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            return self.readable()
        return self.inner.get_extra_info(info)


class SocketKeepingBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, inner: httpcore.AsyncNetworkBackend) -> None:
        self.inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self.inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return SocketKeepingStream(stream)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self.inner.connect_unix_socket(path, timeout, socket_options)
        return SocketKeepingStream(stream)

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def keep_sockets(client: httpx.AsyncClient) -> bool:
    """Install the cheaper check in `client`'s own transport, when it is httpx's default
    one; False (nothing changed) for any other transport or layout."""
    pool = getattr(getattr(client, "_transport", None), "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if type(pool) is not httpcore.AsyncConnectionPool or backend is None:
        return False
    if not isinstance(backend, SocketKeepingBackend):
        pool._network_backend = SocketKeepingBackend(backend)
    return True
