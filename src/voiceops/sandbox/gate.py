"""The ASGI layer in front of each stand-in: request log and fault injection."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Callable
from typing import Any

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from voiceops.sandbox.faults import Decision, FaultPlanner, Faults
from voiceops.sandbox.log import (
    RecordedRequest,
    RequestLog,
    parse_body,
    parse_query,
    redact_headers,
)
from voiceops.sandbox.vendor import Vendor


class ConnectionDropped(httpx.RemoteProtocolError):
    """Raised after the answer's head is sent, to cut the connection on purpose.

    Under uvicorn the client sees the connection close before the body. In-process
    (httpx.ASGITransport) the client gets this exception, an httpx transport error.
    """

    def __init__(self) -> None:
        super().__init__("the sandbox dropped the connection (injected fault)")


class DropFilter(logging.Filter):
    """Keeps uvicorn from logging a traceback for each deliberate drop."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, ConnectionDropped)


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(chunks), True
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), False


async def _wait(seconds: float, receive: Receive) -> bool:
    """Sleep, unless the client goes away first. True if it went away."""
    if seconds <= 0:
        return False

    async def gone() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    watcher = asyncio.ensure_future(gone())
    try:
        done, _ = await asyncio.wait({watcher}, timeout=seconds)
        return watcher in done
    finally:
        watcher.cancel()


_Record = Callable[[int, str | None], None]

_ERROR_REASONS = {429: "Too many requests", 500: "Internal error", 503: "Service unavailable"}


class VendorGate:
    def __init__(
        self, vendor: Vendor, app: ASGIApp, planner: FaultPlanner, log: RequestLog
    ) -> None:
        self.vendor = vendor
        self.app = app
        self.planner = planner
        self.log = log
        # Scripted answers: (rule, id) each rewrites the id in the next matching answer.
        self._scripted: list[tuple[Faults, Any]] = []
        self._scripted_lock = threading.Lock()

    def script_id(self, rule: str, value: Any) -> None:
        """The next request matching `rule` ("POST /assistants") is carried out as usual,
        but its answer gives `value` as the assistant's id (a vendor answering wrongly)."""
        with self._scripted_lock:
            self._scripted.append((Faults(only=rule), value))

    def clear_scripts(self) -> None:
        with self._scripted_lock:
            self._scripted.clear()

    def _scripted_id(self, method: str, path: str) -> tuple[bool, Any]:
        with self._scripted_lock:
            for n, (scope, value) in enumerate(self._scripted):
                if scope.covers(method, path):
                    del self._scripted[n]
                    return True, value
        return False, None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method: str = scope["method"]
        path = _route_path(scope)
        body, gone = await _read_body(receive)
        if gone:
            return
        decision = self.planner.decide(self.vendor.name, method, path)
        record = self._recorder(scope, method, path, body)
        if await _wait(decision.delay_s, receive):
            return
        if decision.fault in ("429", "500", "503"):
            await self._answer_error(decision, record, scope, receive, send)
            return
        replay = _replay(body, receive)
        scripted, value = self._scripted_id(method, path)
        if scripted:
            send = _id_rewriting_send(send, value)
        if decision.fault is None:
            await self.app(scope, replay, _logging_send(send, lambda status: record(status, None)))
            return
        await self._answer_disturbed(decision, record, scope, replay, receive, send)

    def _recorder(self, scope: Scope, method: str, path: str, body: bytes) -> _Record:
        """A callable that logs this request once its status and fault are known."""

        def record(status: int, fault: str | None) -> None:
            self.log.add(
                RecordedRequest(
                    vendor=self.vendor.name,
                    method=method,
                    path=path,
                    query=parse_query(scope.get("query_string", b"")),
                    headers=redact_headers(scope.get("headers", [])),
                    body=parse_body(body),
                    status=status,
                    fault=fault,
                )
            )

        return record

    async def _answer_error(
        self, decision: Decision, record: _Record, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """Answer a 429, 500 or 503 in the vendor's own error shape, without the app."""
        fault = decision.fault
        assert fault is not None
        status = int(fault)
        headers = {"Retry-After": str(decision.faults.retry_after_s)} if status == 429 else {}
        response = self.vendor.error(status, _ERROR_REASONS[status], headers)
        record(status, fault)
        await response(scope, receive, send)

    async def _answer_disturbed(
        self,
        decision: Decision,
        record: _Record,
        scope: Scope,
        replay: Receive,
        receive: Receive,
        send: Send,
    ) -> None:
        """Run the app with its answer held back, then drop the connection or send it late."""
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        await self.app(scope, replay, hold)
        status = next((m["status"] for m in held if m["type"] == "http.response.start"), 500)
        record(status, decision.fault)
        if decision.fault == "drop":
            start = next(m for m in held if m["type"] == "http.response.start")
            await send(start)
            raise ConnectionDropped()
        if await _wait(decision.faults.slow_s, receive):
            return
        for message in held:
            await send(message)


def _id_rewriting_send(send: Send, value: Any) -> Send:
    """`send`, with the answer's body (held until whole) giving `value` as the id: at the
    top level, or in its `data` object (Autocalls)."""
    held: list[Message] = []

    async def rewriting(message: Message) -> None:
        held.append(message)
        if message["type"] != "http.response.body" or message.get("more_body", False):
            return
        start, *bodies = held
        data = json.loads(b"".join(m.get("body", b"") for m in bodies) or b"null")
        target = data.get("data") if isinstance(data, dict) and "id" not in data else data
        if isinstance(target, dict):
            target["id"] = value
        content = json.dumps(data).encode()
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(content)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": content, "more_body": False})

    return rewriting


def _route_path(scope: Scope) -> str:
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    return path or "/"


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _logging_send(send: Send, on_status: Callable[[int], None]) -> Send:
    status = 500

    async def wrapped(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body" and not message.get("more_body", False):
            # Logged before the last byte leaves, so a caller that has its answer
            # always finds the request in the log.
            on_status(status)
        await send(message)

    return wrapped
