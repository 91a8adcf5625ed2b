"""The request log that tests read back.

It never holds a credential or a secret value: authorization and cookie headers, the login
body's email and password, and in every body each field whose name says it is secret
(`secret`, `password`, `token`, `api_key`, …) and every value of a `headers` mapping (which
may carry credentials) are replaced by `<redacted>`, and so is every value the log was
told to mask (`RequestLog.mask`). Tests check what a vendor stored with
`sb.stored(...)` instead."""

from __future__ import annotations

import dataclasses
import json
import re
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus

REDACTED = "<redacted>"
_SECRET_HEADERS = frozenset({"authorization", "cookie", "set-cookie"})
_SECRET_KEY = re.compile(
    r"(password|secret|token|api[_-]?key|authorization|cookie|credentials?)$", re.IGNORECASE
)
_LOGIN_KEYS = frozenset({"email", "password"})


@dataclass(frozen=True)
class RecordedRequest:
    vendor: str
    method: str
    path: str  # below the vendor's prefix, e.g. "/assistants/asst_123"
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names; credentials redacted
    body: Any  # parsed JSON; None when empty; the raw text when it is not JSON
    status: int  # for a dropped connection: the status the answer would have had
    fault: str | None  # "429", "500", "503", "drop", "slow", or None


def redact_headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name_b, value_b in raw:
        name = name_b.decode("latin-1").lower()
        value = REDACTED if name in _SECRET_HEADERS else value_b.decode("latin-1")
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers


def parse_body(raw: bytes) -> Any:
    if not raw:
        return None
    text = raw.decode("utf-8", errors="replace")
    try:
        body = json.loads(text)
    except ValueError:
        return text
    if isinstance(body, dict) and "password" in body:
        # A login: the e-mail is half of the credentials.
        body = {k: (REDACTED if k in _LOGIN_KEYS else v) for k, v in body.items()}
    return redact_body(body)


def redact_body(value: Any, key: str = "") -> Any:
    """`value` with secret fields, and every value of a `headers` mapping, redacted."""
    if isinstance(value, dict):
        if key.lower() == "headers":
            return {k: REDACTED for k in value}
        return {
            k: REDACTED if _SECRET_KEY.search(str(k)) else redact_body(v, str(k))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact_body(item, key) for item in value]
    return value


def parse_query(raw: bytes) -> dict[str, str]:
    if not raw:
        return {}
    query = dict(parse_qsl(raw.decode("latin-1"), keep_blank_values=True))
    return {k: REDACTED if _SECRET_KEY.search(k) else v for k, v in query.items()}


class RequestLog:
    """Bounded so that a long-running `voiceops sandbox` does not grow without end.

    A stand-in cannot tell which values came from a `${env:NAME}` reference, so whoever
    runs voiceops against it hands it those values (`mask`): each is replaced by
    `<redacted>` wherever it appears in a logged path, query, header or body, as text or
    percent-encoded, before the entry is kept."""

    def __init__(self, limit: int = 100_000) -> None:
        self._lock = threading.Lock()
        self._entries: deque[RecordedRequest] = deque(maxlen=limit)
        self._masked: frozenset[str] = frozenset()

    def mask(self, values: Iterable[str]) -> None:
        """Keep these values out of every entry logged from now on."""
        with self._lock:
            self._masked |= {v for v in values if v}

    def add(self, entry: RecordedRequest) -> None:
        with self._lock:
            if self._masked:
                entry = _without(entry, self._masked)
            self._entries.append(entry)

    def select(self, vendor: str | None = None, method: str | None = None) -> list[RecordedRequest]:
        wanted_method = method.upper() if method else None
        with self._lock:
            entries = list(self._entries)
        return [
            e
            for e in entries
            if (vendor is None or e.vendor == vendor)
            and (wanted_method is None or e.method == wanted_method)
        ]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def _without(entry: RecordedRequest, masked: frozenset[str]) -> RecordedRequest:
    forms = sorted(
        {form for value in masked for form in (value, quote(value, safe=""), quote_plus(value))},
        key=len,
        reverse=True,  # a longer value that contains a shorter one goes first
    )

    def scrub(value: Any) -> Any:
        if isinstance(value, str):
            for form in forms:
                value = value.replace(form, REDACTED)
            return value
        if isinstance(value, dict):
            return {scrub(k): scrub(v) for k, v in value.items()}
        if isinstance(value, list):
            return [scrub(item) for item in value]
        return value

    return dataclasses.replace(
        entry,
        path=scrub(entry.path),
        query=scrub(entry.query),
        headers=scrub(entry.headers),
        body=scrub(entry.body),
    )
