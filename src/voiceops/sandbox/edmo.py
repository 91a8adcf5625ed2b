"""Edmo stand-in.

    POST   /auth/login         {"email", "password"} -> sets cookie `auth-token` (HttpOnly, Path=/)
    POST   /assistants         create: the update's fields, `model` required -> 201, the assistant
    GET    /assistants/{id}
    PATCH  /assistants/{id}
    DELETE /assistants/{id}    -> {"success": true}; the assistant is gone

`{id}` is Edmo's own id (`id`) or the id on the underlying voice provider, which
Edmo keeps but does not show (stored as `externalId`). Each login user belongs to
one org and sees only that org's assistants.

A session lasts `login_ttl_s` seconds on the server side; afterwards the cookie
answers 401 and the client has to log in again. The cookie itself carries no
expiry. Errors are `{"error": "<message>"}`; validation failures answer 400.
Unknown or read-only top-level keys are rejected; unknown keys inside `model`,
`voice` or `transcriber` are kept. Those objects, and `metadata`, are replaced
whole by an update.

A create fills the fields it does not send with the stand-in's defaults and gets
an id in the seeded style (`asst_<digits>`) plus a hidden external id. Nothing
documents the create's status code: it answers 201.
"""

from __future__ import annotations

import copy
import dataclasses
import secrets
import threading
from collections.abc import Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp

from voiceops.sandbox.checks import Problem, Spec, check, dotted, number_text
from voiceops.sandbox.options import SandboxOptions
from voiceops.sandbox.state import State
from voiceops.sandbox.vendor import BadJSON, Stamp, Vendor, derived_hex, json_object, json_response

COOKIE = "auth-token"
FIRST_MESSAGE_MODES = (
    "assistant-speaks-first",
    "assistant-waits-for-user",
    "assistant-speaks-first-with-model-generated-message",
)
_NULLABLE_STR = Spec("str", nullable=True)

BODY = Spec(
    "obj",
    extra="reject",
    fields={
        "name": Spec("str"),
        "firstMessage": _NULLABLE_STR,
        "firstMessageMode": Spec("str", nullable=True, enum=FIRST_MESSAGE_MODES),
        "model": Spec(
            "obj",
            required=frozenset({"provider", "model"}),
            fields={
                "provider": Spec("str", enum=("openai", "anthropic")),
                "model": Spec("str"),
                "temperature": Spec("num", min=0, max=2),
                "maxTokens": Spec("int"),
            },
        ),
        "voice": Spec(
            "obj",
            fields={
                "provider": Spec(
                    "str",
                    enum=("11labs", "azure", "cartesia", "deepgram", "playht", "openai", "edmo"),
                ),
                "voiceId": Spec("str"),
            },
        ),
        "transcriber": Spec(
            "obj",
            fields={
                "provider": Spec("str", enum=("deepgram", "assemblyai", "whisper")),
                "model": _NULLABLE_STR,
            },
        ),
        "voicemailMessage": _NULLABLE_STR,
        "endCallMessage": _NULLABLE_STR,
        "endCallPhrases": Spec("list", nullable=True, items=Spec("str")),
        "metadata": Spec("obj", nullable=True),
        "maxDurationSeconds": Spec("int", nullable=True),
    },
)

CREATE_BODY = dataclasses.replace(BODY, required=frozenset({"model"}))

_TYPES = {
    "str": "a string",
    "int": "an integer",
    "num": "a number",
    "bool": "a boolean",
    "obj": "an object",
    "list": "an array",
}


def _message(problem: Problem) -> str:
    name = dotted(problem.path)
    spec = problem.spec
    if problem.kind == "unknown":
        return f"{name} is not a field that can be updated"
    if problem.kind == "required":
        return f"{name} is required"
    if spec is None:
        return f"{name} is invalid"
    if problem.kind == "type":
        return f"{name} must be {_TYPES.get(spec.kind, 'valid')}" + (
            " or null" if spec.nullable else ""
        )
    if problem.kind == "enum":
        return f"{name} must be one of {', '.join(str(v) for v in spec.enum or ())}"
    if problem.kind in ("min", "max"):
        return f"{name} must be between {number_text(spec.min)} and {number_text(spec.max)}"
    return problem.detail or f"{name} is invalid"


DEFAULTS: dict[str, Any] = {
    "name": "New Assistant",
    "firstMessage": None,
    "firstMessageMode": None,
    "model": {"provider": "openai", "model": "gpt-4o", "temperature": 0.7},
    "voice": {"provider": "openai", "voiceId": "alloy"},
    "transcriber": {"provider": "deepgram", "model": None},
    "voicemailMessage": None,
    "endCallMessage": None,
    "endCallPhrases": None,
    "metadata": None,
    "maxDurationSeconds": None,
}
HIDDEN = ("externalId",)


class Edmo(Vendor):
    name = "edmo"
    id_field = "id"
    created_field = "createdAt"
    updated_field = "updatedAt"
    stamp = Stamp(3)
    connection = ("edmo-main", {"email_env": "EDMO_EMAIL", "password_env": "EDMO_PASSWORD"})

    def __init__(self, state: State, options: SandboxOptions) -> None:
        super().__init__(state, options)
        self.login_ttl_s = options.login_ttl_s
        self._sessions_lock = threading.Lock()
        self._sessions: dict[str, tuple[str, float]] = {}  # token -> (org, monotonic expiry)

    def build_app(self) -> ASGIApp:
        path = "/assistants/{assistant_id}"
        return Starlette(
            routes=[
                Route("/auth/login", self.login, methods=["POST"]),
                Route("/assistants", self.create_assistant, methods=["POST"]),
                Route(path, self.get_assistant, methods=["GET"]),
                Route(path, self.patch_assistant, methods=["PATCH"]),
                Route(path, self.delete_assistant, methods=["DELETE"]),
            ],
            exception_handlers={HTTPException: self._http_error},
        )

    def error(
        self, status: int, message: str, headers: Mapping[str, str] | None = None
    ) -> Response:
        return json_response({"error": message}, status, headers)

    async def _http_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return self.error(exc.status_code, exc.detail)

    def read(self, record: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in record.items() if k not in HIDDEN}

    def owner(self, record: dict[str, Any]) -> str:
        return str(record.get("orgId"))

    def _users(self) -> list[dict[str, Any]]:
        return list(self.state.accounts[self.name].get("users", []))

    def default_account(self) -> str:
        email = self.state.credentials.get("EDMO_EMAIL")
        for user in self._users():
            if user.get("email") == email:
                return str(user.get("orgId"))
        return ""

    def new_record(self, record: dict[str, Any], account: str | None) -> dict[str, Any]:
        full = {**copy.deepcopy(DEFAULTS), **copy.deepcopy(record)}
        if "id" not in full:
            full["id"] = self._new_id()
        full.setdefault("externalId", derived_hex(str(full["id"]), 32))
        full.setdefault("orgId", account or self.default_account())
        self.stamp_new(full)
        # Keep the read-only fields first, as the vendor's example shows them.
        head = ("id", "orgId", "createdAt", "updatedAt")
        return {**{k: full[k] for k in head}, **{k: v for k, v in full.items() if k not in head}}

    def _new_id(self) -> str:
        """A free id in the seeded assistants' style."""
        while True:
            candidate = f"asst_{secrets.randbelow(9 * 10**8) + 10**8}"
            if candidate not in self.state.assistants[self.name]:
                return candidate

    def expire_sessions(self) -> None:
        with self._sessions_lock:
            self._sessions.clear()

    def reset(self) -> None:
        self.expire_sessions()

    def _org(self, request: Request) -> str | None:
        token = request.cookies.get(COOKIE)
        if not token:
            return None
        with self._sessions_lock:
            session = self._sessions.get(token)
            if session is None:
                return None
            org, expiry = session
            if self.options.clock() >= expiry:
                del self._sessions[token]
                return None
            return org

    def _find(self, org: str, assistant_id: str) -> dict[str, Any] | None:
        records = self.state.assistants[self.name]
        record = records.get(assistant_id)
        if record is None:
            record = next(
                (r for r in records.values() if r.get("externalId") == assistant_id), None
            )
        if record is None or self.owner(record) != org:
            return None
        return record

    async def login(self, request: Request) -> Response:
        try:
            body = await json_object(request)
        except BadJSON as exc:
            return self.error(400, str(exc))
        email, password = body.get("email"), body.get("password")
        if not isinstance(email, str) or not isinstance(password, str):
            return self.error(400, "email and password are required")
        user = next(
            (u for u in self._users() if u.get("email") == email and u.get("password") == password),
            None,
        )
        if user is None:
            return self.error(401, "Invalid email or password")
        token = secrets.token_urlsafe(24)
        with self._sessions_lock:
            self._sessions[token] = (
                str(user.get("orgId")),
                self.options.clock() + self.login_ttl_s,
            )
        response = json_response({"user": {"email": email, "orgId": user.get("orgId")}})
        response.set_cookie(COOKIE, token, path="/", httponly=True, samesite="lax")
        return response

    async def get_assistant(self, request: Request) -> Response:
        org = self._org(request)
        if org is None:
            return self.error(401, "Not authenticated")
        with self.state.lock:
            record = self._find(org, request.path_params["assistant_id"])
            if record is None:
                return self.error(404, "Assistant not found")
            return json_response(self.read(record))

    async def _org_and_body(self, request: Request) -> tuple[str, dict[str, Any]] | Response:
        """The caller's organisation and the request's JSON object, or the answer refusing it."""
        org = self._org(request)
        if org is None:
            return self.error(401, "Not authenticated")
        try:
            return org, await json_object(request)
        except BadJSON as exc:
            return self.error(400, str(exc))

    async def patch_assistant(self, request: Request) -> Response:
        found = await self._org_and_body(request)
        if isinstance(found, Response):
            return found
        org, body = found
        with self.state.lock:
            record = self._find(org, request.path_params["assistant_id"])
            if record is None:
                return self.error(404, "Assistant not found")
            cleaned, problems = check(body, BODY)
            if problems:
                return self.error(400, "; ".join(_message(p) for p in problems))
            record.update(cleaned)
            self.touch(record)
            self.state.changed()
            return json_response(self.read(record))

    async def create_assistant(self, request: Request) -> Response:
        found = await self._org_and_body(request)
        if isinstance(found, Response):
            return found
        org, body = found
        cleaned, problems = check(body, CREATE_BODY)
        if problems:
            return self.error(400, "; ".join(_message(p) for p in problems))
        with self.state.lock:
            record = self.insert(cleaned, org)
            self.state.changed()
            return json_response(self.read(record), 201)

    async def delete_assistant(self, request: Request) -> Response:
        org = self._org(request)
        if org is None:
            return self.error(401, "Not authenticated")
        with self.state.lock:
            record = self._find(org, request.path_params["assistant_id"])
            if record is None:
                return self.error(404, "Assistant not found")
            del self.state.assistants[self.name][self.key(record["id"])]
            self.state.changed()
        return json_response({"success": True})
