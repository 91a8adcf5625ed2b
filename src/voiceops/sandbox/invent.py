"""Invent stand-in.

    GET   /orgs/{org_id}/assistants?page=N&take=M       JSON array + pagination-* headers
    POST  /orgs/{org_id}/assistants                     create -> 201, the assistant
    GET   /orgs/{org_id}/assistants/{assistant_id}
    PATCH /orgs/{org_id}/assistants/{assistant_id}

No delete is documented: like any method a route does not have, DELETE answers as
an unknown route does (404, as Fastify answers).

Auth: `Authorization: Bearer <key>`; each key is issued for one org. `{org_id}`
is that org's id or `c`; any other org answers 401. An assistant of another org
answers 404.

Pagination: `page` is 1-based (default 1), `take` 1..100 (default 10); a page past
the end is an empty array. Headers: `pagination-count` (total), `pagination-page`,
`pagination-take`.

Create: `name` (1..1024 characters) is required, `enabled` and `config` optional;
any other key is rejected. `config` is laid over the defaults key by key (the
nested objects too), so a create that sends part of it gets defaults for the
rest. At most 10 creates per hour per org, in a sliding window of the sandbox
clock: past that it answers 429 with `Retry-After` (whole seconds until the
oldest create of the window is an hour old). Only creates that succeed count.
Nothing documents the status code: a create answers 201.

Rate limit: a sliding one-minute window per client IP over every request to this
stand-in; past the limit it answers 429 with `Retry-After` (whole seconds).
Both windows run on the sandbox's clock (`SandboxOptions.clock`).

Errors use a Fastify-style envelope, `{"statusCode", "error", "message"}` (plus
`"code"` on validation failures), with ajv-like wording. Unknown and read-only
top-level keys are rejected, and so are unknown keys inside `config`.

Update (the newest page, docs.useinvent.com/api-reference/orgs-assistants/update-assistant):
`name`, `enabled`, `avatar_id`, `config` with `instructions`, `language`, `model`,
`knowledge_scope` and `timezone` only, and `boards` [{board_id, initial_segment_id}].
Those five config keys are replaced together (one left out is gone); `stt`, `tts`
and `conversation`, which only the create takes now, are kept. `boards` is replaced
whole; reads show each board as {id, board_id, board_name, created_at, updated_at,
initial_segment: {id, name, …}}. Create (docs.useinvent.com/api-reference/create-assistant)
still takes the whole config. `avatar_id` is write-only: a read shows `avatar_url`,
derived as `https://cdn.invent.sandbox.invalid/avatars/<avatar_id>.png` (null for null).

Soft deletion: nothing documents a delete, but reads carry `deleted`. A record with
`deleted: true` (set with `Sandbox.edit`, as the dashboard would) is left out of the
list, answers 404 to an update, and is still read by id, with `deleted: true`.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from voiceops.sandbox.checks import Problem, Spec, check, number_text
from voiceops.sandbox.options import SandboxOptions
from voiceops.sandbox.state import State
from voiceops.sandbox.vendor import (
    BadJSON,
    Stamp,
    Vendor,
    bearer_token,
    derived_hex,
    json_object,
    json_response,
)

CURRENT_ORG = "c"
CREATES_PER_HOUR = 10
MAX_TAKE = 100
DEFAULT_TAKE = 10
READ_FIELDS = (
    "id",
    "name",
    "enabled",
    "deleted",
    "secret_key",
    "avatar_url",
    "config",
    "integrations",
    "actions",
    "boards",
    "created_at",
    "updated_at",
)
_STR = Spec("str")
_BOOL = Spec("bool")

CONFIG = Spec(
    "obj",
    extra="reject",
    fields={
        "language": _STR,
        "model": _STR,
        "stt": Spec("obj", extra="reject", fields={"model": _STR}),
        "tts": Spec("obj", extra="reject", fields={"model": _STR, "voice_id": _STR}),
        "conversation": Spec(
            "obj",
            extra="reject",
            ignore=frozenset({"enable_update_contact_tool"}),
            fields={
                "thread_mode": _STR,
                "enable_memories": _BOOL,
                "enable_transfer_to_human_tool": _BOOL,
                "welcome_banner": Spec("str", nullable=True),
                "suggested_messages": Spec("list", items=_STR),
                "auto_intro_message": Spec("str", nullable=True),
                "enable_end_conversation_tool": _BOOL,
                "enable_block_contact_tool": _BOOL,
                "enable_auto_resolve": _BOOL,
                "enable_auto_follow_ups": _BOOL,
                "enable_auto_csat": _BOOL,
                "enable_private_chats": _BOOL,
            },
        ),
        "knowledge_scope": _STR,
        "timezone": _STR,
        "instructions": _STR,
    },
)
# The newest update page takes these config keys only; stt, tts and conversation are
# set on create and kept by an update.
UPDATE_CONFIG_KEYS = ("instructions", "language", "model", "knowledge_scope", "timezone")
_BOARD = Spec(
    "obj",
    extra="reject",
    required=frozenset({"board_id"}),
    fields={"board_id": Spec("str", min_len=1), "initial_segment_id": Spec("str", min_len=1)},
)
BODY = Spec(
    "obj",
    extra="reject",
    fields={
        "name": Spec("str", min_len=1, max_len=1024),
        "enabled": _BOOL,
        "avatar_id": Spec("str", nullable=True),
        "config": dataclasses.replace(
            CONFIG, fields={k: (CONFIG.fields or {})[k] for k in UPDATE_CONFIG_KEYS}
        ),
        "boards": Spec("list", items=_BOARD),
    },
)
CREATE_BODY = Spec(
    "obj",
    extra="reject",
    required=frozenset({"name"}),
    fields={
        "name": Spec("str", min_len=1, max_len=1024),
        "enabled": _BOOL,
        "avatar_id": Spec("str", nullable=True),
        "config": CONFIG,
        "generate_secret_key": _BOOL,
    },
)
_TYPES = {
    "str": "string",
    "int": "integer",
    "num": "number",
    "bool": "boolean",
    "obj": "object",
    "list": "array",
}


def _message(problem: Problem) -> str:
    where = "/".join(["body", *(str(p) for p in problem.path)])
    spec = problem.spec
    if problem.kind == "required":
        parent = "/".join(["body", *(str(p) for p in problem.path[:-1])])
        return f"{parent} must have required property '{problem.path[-1]!s}'"
    if problem.kind == "unknown":
        parent = "/".join(["body", *(str(p) for p in problem.path[:-1])])
        return f"{parent} must NOT have additional properties ({problem.path[-1]!s})"
    if spec is None:
        return f"{where} is invalid"
    if problem.kind == "type":
        kind = _TYPES.get(spec.kind, "valid")
        return f"{where} must be {kind}" + (",null" if spec.nullable else "")
    if problem.kind == "min_len":
        return f"{where} must NOT have fewer than {spec.min_len} characters"
    if problem.kind == "max_len":
        return f"{where} must NOT have more than {spec.max_len} characters"
    if problem.kind == "min":
        return f"{where} must be >= {number_text(spec.min)}"
    if problem.kind == "max":
        return f"{where} must be <= {number_text(spec.max)}"
    return problem.detail or f"{where} is invalid"


def avatar_url(avatar_id: str | None) -> str | None:
    return (
        None if avatar_id is None else f"https://cdn.invent.sandbox.invalid/avatars/{avatar_id}.png"
    )


DEFAULT_CONFIG: dict[str, Any] = {
    "language": "auto",
    "model": "gpt-4o-mini",
    "stt": {"model": "whisper-1"},
    "tts": {"model": "eleven_turbo_v2_5", "voice_id": "21m00Tcm4TlvDq8ikWAM"},
    "conversation": {
        "thread_mode": "new",
        "enable_memories": False,
        "enable_transfer_to_human_tool": False,
        "welcome_banner": "",
        "suggested_messages": [],
        "auto_intro_message": "",
        "enable_end_conversation_tool": True,
        "enable_block_contact_tool": False,
        "enable_auto_resolve": False,
        "enable_auto_follow_ups": False,
        "enable_auto_csat": False,
        "enable_private_chats": False,
        "enable_update_contact_tool": False,
    },
    "knowledge_scope": "all",
    "timezone": "UTC",
    "instructions": "",
}


def with_defaults(given: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """`given` laid over `defaults`, key by key, nested objects too (a new dict)."""
    merged = copy.deepcopy(defaults)
    for key, value in given.items():
        old = merged.get(key)
        merged[key] = (
            with_defaults(value, old)
            if isinstance(value, dict) and isinstance(old, dict)
            else copy.deepcopy(value)
        )
    return merged


class SlidingWindow:
    """At most `limit` requests per key in any `window_s` seconds; limit <= 0 disables."""

    def __init__(
        self, limit: int, window_s: float = 60.0, clock: Callable[[], float] | None = None
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self.clock = clock or time.monotonic
        self._lock = threading.Lock()
        self._hits: dict[str, deque[float]] = {}

    def hit(self, key: str) -> tuple[bool, int, int]:
        """(allowed, remaining, seconds until a slot frees up)."""
        if self.limit <= 0:
            return True, 0, 0
        now = self.clock()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window_s:
                hits.popleft()
            if len(hits) >= self.limit:
                wait = max(1, math.ceil(hits[0] + self.window_s - now))
                return False, 0, wait
            hits.append(now)
            return True, self.limit - len(hits), 0

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()


def limited_headers(limit: int, wait: int) -> dict[str, str]:
    return {
        "Retry-After": str(wait),
        "x-ratelimit-limit": str(limit),
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": str(wait),
    }


class _RateLimited:
    def __init__(self, vendor: Invent, app: ASGIApp) -> None:
        self.vendor = vendor
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            client = scope.get("client") or ("unknown", 0)
            allowed, _, wait = self.vendor.limiter.hit(str(client[0]))
            if not allowed:
                response = self.vendor.error(
                    429,
                    f"Rate limit exceeded, retry in {wait} seconds",
                    limited_headers(self.vendor.limiter.limit, wait),
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class Invent(Vendor):
    name = "invent"
    id_field = "id"
    created_field = "created_at"
    updated_field = "updated_at"
    stamp = Stamp(3)
    connection = ("invent-support", {"org_id": "c", "token_env": "INVENT_API_KEY"})

    def __init__(self, state: State, options: SandboxOptions) -> None:
        super().__init__(state, options)
        self.limiter = SlidingWindow(options.invent_rate_per_minute, clock=options.clock)
        self.creates = SlidingWindow(CREATES_PER_HOUR, 3600.0, clock=options.clock)

    def reset(self) -> None:
        self.reset_rate_limits()

    def reset_rate_limits(self) -> None:
        self.limiter.reset()
        self.creates.reset()

    def build_app(self) -> ASGIApp:
        one = "/orgs/{org_id}/assistants/{assistant_id}"
        app = Starlette(
            routes=[
                Route("/orgs/{org_id}/assistants", self.list_assistants, methods=["GET"]),
                Route("/orgs/{org_id}/assistants", self.create_assistant, methods=["POST"]),
                Route(one, self.get_assistant, methods=["GET"]),
                Route(one, self.patch_assistant, methods=["PATCH"]),
            ],
            exception_handlers={HTTPException: self._http_error},
        )
        return _RateLimited(self, app)

    def error(
        self,
        status: int,
        message: str,
        headers: Mapping[str, str] | None = None,
        code: str | None = None,
    ) -> Response:
        body: dict[str, Any] = {"statusCode": status}
        if code:
            body["code"] = code
        body["error"] = HTTPStatus(status).phrase
        body["message"] = message
        return json_response(body, status, headers)

    async def _http_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 405:  # Fastify: a method the route lacks is an unknown route
            return self.error(404, "Not Found")
        return self.error(exc.status_code, exc.detail)

    def read(self, record: dict[str, Any]) -> dict[str, Any]:
        shown = {name: record.get(name) for name in READ_FIELDS}
        shown["boards"] = [self._board(record, b) for b in record.get("boards") or []]
        return shown

    def _board(self, record: dict[str, Any], board: dict[str, Any]) -> dict[str, Any]:
        """A board as reads show it: its own link id, the board's name, and the whole
        initial segment instead of its id."""
        segment_id = board.get("initial_segment_id")
        stamp = record.get("updated_at")
        segment = None
        if segment_id is not None:
            segment = {"id": segment_id, "name": f"Segment {segment_id}", "color": "red",
                       "contacts_count": 0, "created_at": stamp, "updated_at": stamp}  # fmt: skip
        return {
            "id": "ab_" + derived_hex(f"{record.get('id')}:{board.get('board_id')}", 12),
            "board_id": board.get("board_id"),
            "board_name": f"Board {board.get('board_id')}",
            "created_at": stamp,
            "updated_at": stamp,
            "initial_segment": segment,
        }

    def owner(self, record: dict[str, Any]) -> str:
        return str(record.get("org_id"))

    def live(self, record: dict[str, Any]) -> bool:
        return not record.get("deleted")

    def _keys(self) -> dict[str, Any]:
        return dict(self.state.accounts[self.name].get("keys", {}))

    def default_account(self) -> str:
        return str(self._keys().get(self.state.credentials.get("INVENT_API_KEY", ""), ""))

    def new_record(self, record: dict[str, Any], account: str | None) -> dict[str, Any]:
        given = copy.deepcopy(record)
        full: dict[str, Any] = {
            "id": f"asst_{secrets.token_hex(6)}",
            "name": "New Assistant",
            "enabled": True,
            "deleted": False,
            "avatar_id": None,
            "config": copy.deepcopy(DEFAULT_CONFIG),
            "integrations": [],
            "actions": [],
            **given,
        }
        full.setdefault("secret_key", "sk_sandbox_" + derived_hex(str(full["id"]), 32))
        full.setdefault("org_id", account or self.default_account())
        full.setdefault("avatar_url", avatar_url(full["avatar_id"]))
        self.stamp_new(full)
        return full

    def _org(self, request: Request) -> tuple[str | None, Response | None]:
        token = bearer_token(request)
        org = self._keys().get(token) if token else None
        if org is None:
            return None, self.error(401, "Missing or invalid API key")
        wanted = request.path_params["org_id"]
        if wanted not in (CURRENT_ORG, str(org)):
            return None, self.error(401, f"This API key is not valid for org {wanted}")
        return str(org), None

    def _find(
        self, org: str, assistant_id: str, *, deleted_too: bool = False
    ) -> dict[str, Any] | None:
        """The org's assistant with that id. A soft-deleted one (`deleted: true`) is still
        read by id, as the read shape's flag suggests, but is gone for everything else."""
        record = self.state.assistants[self.name].get(assistant_id)
        if record is None or self.owner(record) != org:
            return None
        if record.get("deleted") and not deleted_too:
            return None
        return record

    async def list_assistants(self, request: Request) -> Response:
        org, failure = self._org(request)
        if failure is not None or org is None:
            return failure or self.error(401, "Unauthorized")
        page, take = request.query_params.get("page", "1"), request.query_params.get("take")
        take = str(DEFAULT_TAKE) if take is None else take
        problems = []
        if not page.isdigit() or int(page) < 1:
            problems.append("querystring/page must be integer >= 1")
        if not take.isdigit() or not 1 <= int(take) <= MAX_TAKE:
            problems.append(f"querystring/take must be integer between 1 and {MAX_TAKE}")
        if problems:
            return self.error(400, ", ".join(problems), code="FST_ERR_VALIDATION")
        page_n, take_n = int(page), int(take)
        with self.state.lock:
            mine = [
                r
                for r in self.state.assistants[self.name].values()
                if self.owner(r) == org and not r.get("deleted")
            ]
            chunk = [self.read(r) for r in mine[(page_n - 1) * take_n : page_n * take_n]]
            response = json_response(
                chunk,
                headers={
                    "pagination-count": str(len(mine)),
                    "pagination-page": str(page_n),
                    "pagination-take": str(take_n),
                },
            )
        return response

    async def get_assistant(self, request: Request) -> Response:
        org, failure = self._org(request)
        if failure is not None or org is None:
            return failure or self.error(401, "Unauthorized")
        with self.state.lock:
            record = self._find(org, request.path_params["assistant_id"], deleted_too=True)
            if record is None:
                return self.error(404, "Assistant not found")
            return json_response(self.read(record))

    async def _checked_body(
        self, request: Request, schema: Spec
    ) -> tuple[str, dict[str, Any]] | Response:
        """The caller's organisation and the request's body checked against `schema`, or
        the answer refusing it."""
        org, failure = self._org(request)
        if failure is not None or org is None:
            return failure or self.error(401, "Unauthorized")
        try:
            body = await json_object(request)
        except BadJSON as exc:
            return self.error(400, str(exc))
        cleaned, problems = check(body, schema)
        if problems:
            message = ", ".join(_message(p) for p in problems)
            return self.error(400, message, code="FST_ERR_VALIDATION")
        return org, cleaned

    async def patch_assistant(self, request: Request) -> Response:
        found = await self._checked_body(request, BODY)
        if isinstance(found, Response):
            return found
        org, cleaned = found
        with self.state.lock:
            record = self._find(org, request.path_params["assistant_id"])
            if record is None:
                return self.error(404, "Assistant not found")
            if "config" in cleaned:
                # The five keys an update takes are replaced together; the rest is kept.
                kept = {
                    k: v
                    for k, v in (record.get("config") or {}).items()
                    if k not in UPDATE_CONFIG_KEYS
                }
                cleaned["config"] = {**kept, **cleaned["config"]}
            if "avatar_id" in cleaned:
                cleaned["avatar_url"] = avatar_url(cleaned["avatar_id"])
            record.update(cleaned)
            self.touch(record)
            self.state.changed()
            return json_response(self.read(record))

    async def create_assistant(self, request: Request) -> Response:
        found = await self._checked_body(request, CREATE_BODY)
        if isinstance(found, Response):
            return found
        org, cleaned = found
        if "config" in cleaned:
            cleaned["config"] = with_defaults(cleaned["config"], DEFAULT_CONFIG)
        with self.state.lock:
            allowed, _, wait = self.creates.hit(org)
            if not allowed:
                message = f"Limit of {CREATES_PER_HOUR} assistants created per hour reached"
                headers = limited_headers(CREATES_PER_HOUR, wait)
                return self.error(429, f"{message}, retry in {wait} seconds", headers)
            record = self.insert(cleaned, org)
            self.state.changed()
            return json_response(self.read(record), 201)
