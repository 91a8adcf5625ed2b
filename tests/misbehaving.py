"""A deliberately misbehaving HTTP server on 127.0.0.1, for fault-injection tests.

It speaks just enough HTTP/1.1 over raw sockets to do what a well-behaved framework would
not: reset the connection, hang, trickle a body byte by byte, stream an endless answer.
A test gives it a `route`: a function from the request to the `Answer` to give.
"""

from __future__ import annotations

import json
import socket
import socketserver
import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})
    # "answer"; "reset" (RST, no answer); "close" (closed, no answer); "hang" (no answer
    # until the client gives up); "trickle" (the body one byte every `pace_s`); "endless"
    # (body bytes until the client stops reading); "answer-then-close" (a keep-alive answer,
    # then the connection closed, as a server drops idle connections).
    action: str = "answer"
    pace_s: float = 0.0


def json_answer(data: Any, status: int = 200, **headers: str) -> Answer:
    return Answer(
        status, json.dumps(data).encode(), {"Content-Type": "application/json", **headers}
    )


Route = Callable[[Request], Answer]
# No test waits on the server longer than this; a hanging answer ends here at the latest.
HANG_LIMIT_S = 30.0


class MisbehavingServer:
    def __init__(self, route: Route) -> None:
        self.route = route
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        self.closing = threading.Event()
        self.closed_after_answer = 0
        self.connections = 0  # accepted so far
        self.server: socketserver.ThreadingTCPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def seen(self, method: str | None = None) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if method is None or r.method == method]

    @contextmanager
    def serve(self) -> Iterator[MisbehavingServer]:
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                outer._handle(self.request)

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self.server = server
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.closing.set()
            server.shutdown()
            server.server_close()
            thread.join()

    def _handle(self, sock: socket.socket) -> None:
        with self.lock:
            self.connections += 1
        sock.settimeout(HANG_LIMIT_S)
        stream = sock.makefile("rb")
        try:
            while True:  # keep-alive: one request after another on this connection
                request = _read_request(stream)
                if request is None:
                    return
                with self.lock:
                    self.requests.append(request)
                if not self._answer(sock, self.route(request)):
                    return
        except OSError:
            return
        finally:
            stream.close()

    def _answer(self, sock: socket.socket, answer: Answer) -> bool:
        """Act out `answer`; True when the connection can carry another request."""
        if answer.action == "reset":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
            return False
        if answer.action == "close":
            sock.close()
            return False
        if answer.action == "hang":
            self.closing.wait(HANG_LIMIT_S)
            return False
        head = f"HTTP/1.1 {answer.status} X\r\n"
        headers = dict(answer.headers)
        if answer.action == "endless":
            headers["Connection"] = "close"
        else:
            headers.setdefault("Content-Length", str(len(answer.body)))
        head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
        sock.sendall(head.encode("latin-1"))
        if answer.action == "trickle":
            for byte in answer.body:
                if self.closing.wait(answer.pace_s):
                    return False
                sock.sendall(bytes([byte]))
            return True
        if answer.action == "endless":
            chunk = b" " * 65536
            deadline = time.monotonic() + HANG_LIMIT_S
            while time.monotonic() < deadline and not self.closing.is_set():
                sock.sendall(chunk)
            return False
        sock.sendall(answer.body)
        if answer.action == "answer-then-close":
            sock.close()
            with self.lock:
                self.closed_after_answer += 1
            return False
        return True


def _read_request(stream: Any) -> Request | None:
    line = stream.readline(65536)
    if not line:
        return None
    method, target, _ = line.decode("latin-1").split(" ", 2)
    headers: dict[str, str] = {}
    while True:
        raw = stream.readline(65536)
        if raw in (b"\r\n", b"\n", b""):
            break
        name, _, value = raw.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    body = stream.read(int(headers.get("content-length", "0") or 0))
    parts = urlsplit(target)
    return Request(method, parts.path, dict(parse_qsl(parts.query)), headers, body)
