"""Runs an ASGI app with uvicorn in a background thread on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
import time
from typing import Any

import uvicorn
from starlette.types import ASGIApp

HOST = "127.0.0.1"


class ServerThread:
    def __init__(
        self, app: ASGIApp, port: int = 0, log_filter: logging.Filter | None = None
    ) -> None:
        self.app = app
        self.requested_port = port
        self.log_filter = log_filter
        self.port: int | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None

    def start(self, ready_timeout_s: float = 30.0) -> int:
        sock = self._bind()
        self.port = sock.getsockname()[1]
        self._server = uvicorn.Server(self._config())
        if self.log_filter is not None:
            logging.getLogger("uvicorn.error").addFilter(self.log_filter)
        self._thread = threading.Thread(
            target=self._serve, args=(self._server, sock), name=f"voiceops-sandbox-{self.port}"
        )
        self._thread.daemon = True
        self._thread.start()
        deadline = time.monotonic() + ready_timeout_s
        self._wait_started(self._server, self._thread, deadline)
        self._wait_accepting(deadline)
        return self.port

    def _bind(self) -> socket.socket:
        # Bind here so that a busy port fails in the caller, and port 0 is resolved.
        # Nagle is switched off on each accepted connection by the protocol (see
        # `no_delay_protocol`), not left to how this socket happens to be made.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, self.requested_port))
        except OSError:
            sock.close()
            raise
        return sock

    def _config(self) -> uvicorn.Config:
        return uvicorn.Config(
            self.app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            http=no_delay_protocol(),
            timeout_graceful_shutdown=2,
        )

    def _serve(self, server: uvicorn.Server, sock: socket.socket) -> None:
        """The thread's body: serve on the bound socket until told to stop."""
        try:
            server.run(sockets=[sock])
        except BaseException as exc:  # reported by start() or stop()
            self._failure = exc
        finally:
            sock.close()

    def _wait_started(
        self, server: uvicorn.Server, thread: threading.Thread, deadline: float
    ) -> None:
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the sandbox server did not start: {self._failure!r}")
            time.sleep(0.005)

    def _wait_accepting(self, deadline: float) -> None:
        assert self.port is not None
        while True:
            try:
                with socket.create_connection((HOST, self.port), timeout=1.0):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.005)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
            if self._thread.is_alive() and self._server is not None:
                self._server.force_exit = True
                self._thread.join(timeout=5)
        if self.log_filter is not None:
            logging.getLogger("uvicorn.error").removeFilter(self.log_filter)
        self._server = None
        self._thread = None


def no_delay_protocol() -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol, with Nagle's algorithm off on every accepted connection:
    with it on, a small answer can wait for the client's delayed ACK (~40 ms)."""
    from uvicorn.protocols.http.auto import AutoHTTPProtocol

    class NoDelayProtocol(AutoHTTPProtocol):  # type: ignore[misc,valid-type]
        def connection_made(self, transport: Any) -> None:
            set_no_delay(transport.get_extra_info("socket"))
            super().connection_made(transport)

    return NoDelayProtocol


def set_no_delay(sock: Any) -> None:
    """Set TCP_NODELAY on a TCP socket (or asyncio's wrapper of one); others are left be."""
    if sock is None or sock.family not in (socket.AF_INET, socket.AF_INET6):
        return
    with contextlib.suppress(OSError):  # the peer is already gone
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
