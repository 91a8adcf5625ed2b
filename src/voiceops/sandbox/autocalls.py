"""Autocalls stand-in (a Laravel API).

    GET    /user/assistants/get?page=N&per_page=M     Laravel length-aware pagination
    POST   /user/assistant                            create -> 201, a message and a summary
    PUT    /user/assistant/{id}                       partial update, answers a message
    DELETE /user/assistant/{id}                       delete, answers a message

Auth: `Authorization: Bearer <token>`; each token is one user, and a user sees and
updates only their own assistants (another user's id answers 404, like an
unknown one).

Records are stored under the write names. Nothing documents a single-assistant
read or the full read shape, so this stand-in assumes the list items look like:

    id, user_id, phone_number_id, engine_id, synthesizer_id, transcriber_id,
    voice_id, instance_id, name, variables, post_call_evaluation, fillers,
    post_call_schema, tools, is_webhook_active, webhook_url, inbound_webhook_url,
    language, type, status, max_duration, record, initial_message, system_prompt,
    flows_platform_id, timezone, created_at, updated_at, max_silence_duration,
    reengagement_interval, deleted_at

with `name` <- assistant_name, `type` inbound/outbound <- calls_direction
receive/make, `max_duration` <- max_call_duration, `record` <- record_call,
`fillers` 1/0 <- filler_audios true/false, `reengagement_interval` <-
re_engagement_interval. Every other write field (llm_model, engine_type,
endpoint_type, the sensitivities, ambient_sound_volume, the webhook switches,
interrupt-word settings, end_call_tool, llm_temperature, voice settings,
speech_speed, allow_interruptions, end_call_on_voicemail, noise_cancellation,
who_speaks_first) is stored but never shown.

Validation follows Laravel: invalid input answers 422 with
`{"message": "...", "errors": {"field": ["..."]}}` in Laravel's wording; input
keys without a rule are ignored. `end_call_tool.description` is a rule on the
nested input `{"end_call_tool": {"description": ...}}` and is stored as such; a
flat key literally named "end_call_tool.description" is ignored. This stand-in
is stricter than Laravel on types: numeric strings and 0/1 for booleans are
rejected. `updated_at` moves only when a value actually changes (Eloquent's
dirty check). `variables` and `post_call_schema` are replaced whole.

Create requires the nine fields listed in CREATE_REQUIRED (null or "" counts as
missing, as Laravel's `required` says) and `webhook_url` when `is_webhook_active`
is true; other fields get the defaults below. Its answer is
`{"message": "Assistant created successfully", "data": {id, name, status, type,
mode}}`; nothing says what `mode` is: this stand-in shows `engine_type` there.
Ids come from one counter for all users, never reused. A delete is permanent
for the API (the assistant is gone from the list, and updates and deletes answer
404); the record is kept with `deleted_at` set, as Laravel's soft deletes do,
which the list's `deleted_at` field hints at. Nothing documents the delete's
answer: `{"message": "Assistant deleted successfully"}`.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp

from voiceops.sandbox.checks import Problem, Spec, check, dotted, is_int, number_text
from voiceops.sandbox.vendor import BadJSON, Stamp, Vendor, bearer_token, json_object, json_response

DEFAULT_PER_PAGE = 10
MAX_PER_PAGE = 100
DIRECTION_TO_TYPE = {"receive": "inbound", "make": "outbound"}
READ_FIELDS = (
    "id",
    "user_id",
    "phone_number_id",
    "engine_id",
    "synthesizer_id",
    "transcriber_id",
    "voice_id",
    "instance_id",
    "name",
    "variables",
    "post_call_evaluation",
    "fillers",
    "post_call_schema",
    "tools",
    "is_webhook_active",
    "webhook_url",
    "inbound_webhook_url",
    "language",
    "type",
    "status",
    "max_duration",
    "record",
    "initial_message",
    "system_prompt",
    "flows_platform_id",
    "timezone",
    "created_at",
    "updated_at",
    "max_silence_duration",
    "reengagement_interval",
    "deleted_at",
)
# read name -> stored (write) name, where they differ
RENAMED = {
    "name": "assistant_name",
    "type": "calls_direction",
    "max_duration": "max_call_duration",
    "record": "record_call",
    "fillers": "filler_audios",
    "reengagement_interval": "re_engagement_interval",
}
WRITE_ONLY = (
    "llm_model",
    "engine_type",
    "endpoint_type",
    "endpoint_sensitivity",
    "interrupt_sensitivity",
    "ambient_sound_volume",
    "send_webhook_only_on_completed",
    "include_recording_in_webhook",
    "use_min_interrupt_words",
    "min_interrupt_words",
    "end_call_tool",
    "llm_temperature",
    "voice_stability",
    "voice_similarity",
    "speech_speed",
    "allow_interruptions",
    "end_call_on_voicemail",
    "noise_cancellation",
    "who_speaks_first",
)


def _url(value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "url"
    return None


_BOOL = Spec("bool")
_STR = Spec("str")

BODY = Spec(
    "obj",
    extra="drop",
    fields={
        "assistant_name": Spec("str", max_len=255),
        "voice_id": Spec("int"),
        "language": Spec("str", max_len=100),
        "llm_model": Spec("str", max_len=100),
        "calls_direction": Spec("str", enum=("receive", "make")),
        "engine_type": Spec("str", enum=("pipeline", "multimodal")),
        "timezone": _STR,
        "initial_message": _STR,
        "system_prompt": _STR,
        "phone_number_id": Spec("int", nullable=True),
        "endpoint_type": Spec("str", enum=("vad", "ai")),
        "endpoint_sensitivity": Spec("num", min=0, max=5),
        "interrupt_sensitivity": Spec("num", min=0, max=5),
        "ambient_sound_volume": Spec("num", min=0, max=1),
        "post_call_evaluation": _BOOL,
        "send_webhook_only_on_completed": _BOOL,
        "include_recording_in_webhook": _BOOL,
        "is_webhook_active": _BOOL,
        "webhook_url": Spec("str", nullable=True, custom=_url),
        "use_min_interrupt_words": _BOOL,
        "min_interrupt_words": Spec("int", min=0, max=10),
        "variables": Spec("obj"),
        "post_call_schema": Spec(
            "list",
            items=Spec(
                "obj",
                extra="drop",
                required=frozenset({"name", "type"}),
                fields={
                    "name": Spec("str", pattern=r"[A-Za-z0-9_]+"),
                    "type": Spec("str", enum=("string", "number", "bool")),
                    "description": Spec("str", nullable=True),
                },
            ),
        ),
        "llm_temperature": Spec("num", min=0, max=1),
        "voice_stability": Spec("num", min=0, max=1),
        "voice_similarity": Spec("num", min=0, max=1),
        "speech_speed": Spec("num", min=0.7, max=1.2),
        "allow_interruptions": _BOOL,
        "filler_audios": _BOOL,
        "re_engagement_interval": Spec("int", min=7, max=600),
        "max_call_duration": Spec("int", min=20, max=1200),
        "max_silence_duration": Spec("int", min=1, max=120),
        "end_call_on_voicemail": _BOOL,
        "noise_cancellation": _BOOL,
        "record_call": _BOOL,
        "who_speaks_first": Spec("str", enum=("AI assistant", "Customer")),
    },
)
END_CALL_DESCRIPTION = Spec("str", max_len=500)
CREATE_REQUIRED = (
    "assistant_name",
    "voice_id",
    "language",
    "llm_model",
    "calls_direction",
    "engine_type",
    "timezone",
    "initial_message",
    "system_prompt",
)

_TYPE_TEXT = {
    "str": "must be a string",
    "int": "must be an integer",
    "num": "must be a number",
    "bool": "must be true or false",
    "obj": "must be an array",
    "list": "must be an array",
}


def _message(problem: Problem) -> str:
    attribute = dotted(problem.path).replace("_", " ")
    spec = problem.spec
    if problem.kind == "required" or spec is None:
        return f"The {attribute} field is required."
    if problem.kind == "type":
        return f"The {attribute} field {_TYPE_TEXT.get(spec.kind, 'is invalid')}."
    if problem.kind == "enum":
        return f"The selected {attribute} is invalid."
    if problem.kind in ("min", "max"):
        low, high = number_text(spec.min), number_text(spec.max)
        return f"The {attribute} field must be between {low} and {high}."
    if problem.kind == "max_len":
        return f"The {attribute} field must not be greater than {spec.max_len} characters."
    if problem.kind == "pattern":
        return f"The {attribute} field format is invalid."
    if problem.kind == "custom" and problem.detail == "url":
        return f"The {attribute} field must be a valid URL."
    return f"The {attribute} field is invalid."


def validation_error(errors: dict[str, list[str]]) -> Response:
    messages = [m for ms in errors.values() for m in ms]
    message = messages[0]
    if len(messages) > 1:
        more = len(messages) - 1
        message += f" (and {more} more error{'s' if more > 1 else ''})"
    return json_response({"message": message, "errors": errors}, 422)


def validate_create(body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """`validate` plus the create's `required` and `required_if` rules, errors in
    the order of the rules."""
    missing = [f for f in CREATE_REQUIRED if body.get(f) is None or body.get(f) == ""]
    rest = {k: v for k, v in body.items() if k not in missing}
    cleaned, errors = validate(rest)
    for name in missing:
        errors[name] = [f"The {name.replace('_', ' ')} field is required."]
    if body.get("is_webhook_active") is True and not body.get("webhook_url"):
        message = "The webhook url field is required when is webhook active is true."
        errors.setdefault("webhook_url", []).insert(0, message)
    return cleaned, {k: errors[k] for k in sorted(errors, key=_rule_rank)}


def _rule_rank(key: str) -> int:
    names = [*(BODY.fields or {}), "end_call_tool"]
    head = key.split(".")[0]
    return names.index(head) if head in names else len(names)


def validate(body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The changes to store and Laravel-style errors keyed by dotted input name."""
    cleaned, problems = check(body, BODY)
    errors: dict[str, list[str]] = {}
    for problem in problems:
        errors.setdefault(dotted(problem.path), []).append(_message(problem))
    nested = body.get("end_call_tool")
    if isinstance(nested, dict) and "description" in nested:
        value, desc_problems = check(
            nested["description"], END_CALL_DESCRIPTION, ("end_call_tool", "description")
        )
        for problem in desc_problems:
            errors.setdefault(dotted(problem.path), []).append(_message(problem))
        cleaned["end_call_tool"] = {"description": value}
    return cleaned, errors


DEFAULTS: dict[str, Any] = {
    "phone_number_id": None,
    "engine_id": 1,
    "synthesizer_id": 1,
    "transcriber_id": 1,
    "voice_id": 1,
    "instance_id": None,
    "assistant_name": "New Assistant",
    "variables": {},
    "post_call_evaluation": False,
    "filler_audios": False,
    "post_call_schema": [],
    "tools": [],
    "is_webhook_active": False,
    "webhook_url": None,
    "inbound_webhook_url": None,
    "language": "English",
    "calls_direction": "make",
    "status": "active",
    "max_call_duration": 300,
    "record_call": False,
    "initial_message": "",
    "system_prompt": "",
    "flows_platform_id": None,
    "timezone": "UTC",
    "max_silence_duration": 30,
    "re_engagement_interval": 30,
    "deleted_at": None,
    "llm_model": "gpt-4o-mini",
    "engine_type": "pipeline",
    "endpoint_type": "vad",
    "endpoint_sensitivity": 3,
    "interrupt_sensitivity": 3,
    "ambient_sound_volume": 0,
    "send_webhook_only_on_completed": False,
    "include_recording_in_webhook": False,
    "use_min_interrupt_words": False,
    "min_interrupt_words": 0,
    "end_call_tool": {"description": ""},
    "llm_temperature": 0.5,
    "voice_stability": 0.5,
    "voice_similarity": 0.75,
    "speech_speed": 1.0,
    "allow_interruptions": True,
    "end_call_on_voicemail": False,
    "noise_cancellation": False,
    "who_speaks_first": "AI assistant",
}


def read_shape(record: Mapping[str, Any]) -> dict[str, Any]:
    shown: dict[str, Any] = {}
    for name in READ_FIELDS:
        value = record.get(RENAMED.get(name, name))
        if name == "type" and isinstance(value, str):
            value = DIRECTION_TO_TYPE.get(value, value)
        elif name == "fillers" and isinstance(value, bool):
            value = int(value)
        shown[name] = value
    return shown


def _per_page_problem(raw: str) -> str | None:
    """Laravel's wording for a `per_page` that is not an integer within range."""
    if raw.isdigit() and 1 <= int(raw) <= MAX_PER_PAGE:
        return None
    if not raw.lstrip("-").isdigit():
        return "The per page field must be an integer."
    return f"The per page field must be between 1 and {MAX_PER_PAGE}."


@dataclass(frozen=True)
class Page:
    """One page of a list, answered as Laravel's length-aware paginator does."""

    items: list[dict[str, Any]]
    total: int
    page: int
    per_page: int

    def body(self, path: str, kept: Mapping[str, str]) -> dict[str, Any]:
        last_page = max(1, math.ceil(self.total / self.per_page))

        def page_url(n: int) -> str:
            return f"{path}?{urlencode({**kept, 'page': n})}"

        first = (self.page - 1) * self.per_page + 1 if self.items else None
        return {
            "current_page": self.page,
            "data": self.items,
            "first_page_url": page_url(1),
            "from": first,
            "last_page": last_page,
            "last_page_url": page_url(last_page),
            "next_page_url": page_url(self.page + 1) if self.page < last_page else None,
            "path": path,
            "per_page": self.per_page,
            "prev_page_url": page_url(self.page - 1) if self.page > 1 else None,
            "to": None if first is None else first + len(self.items) - 1,
            "total": self.total,
        }


class Autocalls(Vendor):
    name = "autocalls"
    id_field = "id"
    created_field = "created_at"
    updated_field = "updated_at"
    stamp = Stamp(6)
    connection = ("autocalls-sales", {"token_env": "AUTOCALLS_TOKEN"})

    def build_app(self) -> ASGIApp:
        return Starlette(
            routes=[
                Route("/user/assistants/get", self.list_assistants, methods=["GET"]),
                Route("/user/assistant", self.create_assistant, methods=["POST"]),
                Route("/user/assistant/{assistant_id}", self.update_assistant, methods=["PUT"]),
                Route("/user/assistant/{assistant_id}", self.delete_assistant, methods=["DELETE"]),
            ],
            exception_handlers={HTTPException: self._http_error},
        )

    def error(
        self, status: int, message: str, headers: Mapping[str, str] | None = None
    ) -> Response:
        texts = {
            401: "Unauthenticated.",
            429: "Too Many Attempts.",
            500: "Server Error",
            503: "Service Unavailable",
        }
        return json_response({"message": texts.get(status, message)}, status, headers)

    async def _http_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return self.error(exc.status_code, exc.detail)

    def read(self, record: dict[str, Any]) -> dict[str, Any]:
        return read_shape(record)

    def owner(self, record: dict[str, Any]) -> str:
        return str(record.get("user_id"))

    def live(self, record: dict[str, Any]) -> bool:
        return record.get("deleted_at") is None

    def key(self, assistant_id: object) -> str:
        return str(int(str(assistant_id)))

    def _tokens(self) -> dict[str, Any]:
        return dict(self.state.accounts[self.name].get("tokens", {}))

    def default_account(self) -> str:
        return str(self._tokens().get(self.state.credentials.get("AUTOCALLS_TOKEN", ""), ""))

    def new_record(self, record: dict[str, Any], account: str | None) -> dict[str, Any]:
        given = copy.deepcopy(record)
        if "id" not in given:
            ids = [int(k) for k in self.state.assistants[self.name]]
            given["id"] = max(ids, default=0) + 1
        user = given.get("user_id", account or self.default_account())
        full = {
            "id": int(given.pop("id")),
            "user_id": int(user) if is_int(user) or str(user).isdigit() else user,
            **copy.deepcopy(DEFAULTS),
            **given,
        }
        self.stamp_new(full)
        return full

    def _user(self, request: Request) -> str | None:
        token = bearer_token(request)
        user = self._tokens().get(token) if token else None
        return None if user is None else str(user)

    async def list_assistants(self, request: Request) -> Response:
        user = self._user(request)
        if user is None:
            return self.error(401, "Unauthenticated.")
        query = request.query_params
        per_page_raw = query.get("per_page", str(DEFAULT_PER_PAGE))
        per_page_problem = _per_page_problem(per_page_raw)
        if per_page_problem is not None:
            return validation_error({"per_page": [per_page_problem]})
        per_page = int(per_page_raw)
        page_raw = query.get("page", "1")
        page = int(page_raw) if page_raw.isdigit() and int(page_raw) >= 1 else 1
        path = str(request.url.replace(query="")).rstrip("?")
        kept = {k: v for k, v in query.items() if k != "page"}
        with self.state.lock:
            mine = self._live_assistants_of(user)
            items = [self.read(r) for r in mine[(page - 1) * per_page : page * per_page]]
            page_of = Page(items, len(mine), page, per_page)
            return json_response(page_of.body(path, kept))

    def _live_assistants_of(self, user: str) -> list[dict[str, Any]]:
        """The user's assistants that are not soft-deleted, by id. Call under the lock."""
        return sorted(
            (
                r
                for r in self.state.assistants[self.name].values()
                if self.owner(r) == user and r.get("deleted_at") is None
            ),
            key=lambda r: int(r["id"]),
        )

    async def update_assistant(self, request: Request) -> Response:
        user = self._user(request)
        if user is None:
            return self.error(401, "Unauthenticated.")
        with self.state.lock:
            record = self._find(user, request.path_params["assistant_id"])
            if record is None:
                return self.error(404, "Assistant not found.")
        try:
            body = await json_object(request)
        except BadJSON as exc:
            return self.error(400, f"The {exc}.")
        changes, errors = validate(body)
        if errors:
            return validation_error(errors)
        with self.state.lock:
            dirty = any(record.get(k) != v for k, v in changes.items())
            if dirty:
                record.update(changes)
                self.touch(record)
                self.state.changed()
        return json_response({"message": "Assistant updated successfully"})

    def _find(self, user: str, raw_id: str) -> dict[str, Any] | None:
        """The user's live assistant with this id. Call under the lock."""
        record = (
            self.state.assistants[self.name].get(self.key(raw_id)) if raw_id.isdigit() else None
        )
        if record is None or self.owner(record) != user or not self.live(record):
            return None
        return record

    async def create_assistant(self, request: Request) -> Response:
        user = self._user(request)
        if user is None:
            return self.error(401, "Unauthenticated.")
        try:
            body = await json_object(request)
        except BadJSON as exc:
            return self.error(400, f"The {exc}.")
        values, errors = validate_create(body)
        if errors:
            return validation_error(errors)
        with self.state.lock:
            record = self.insert(values, user)
            self.state.changed()
            shown = self.read(record)
        summary = {k: shown[k] for k in ("id", "name", "status", "type")}
        summary["mode"] = record["engine_type"]
        return json_response({"message": "Assistant created successfully", "data": summary}, 201)

    async def delete_assistant(self, request: Request) -> Response:
        user = self._user(request)
        if user is None:
            return self.error(401, "Unauthenticated.")
        with self.state.lock:
            record = self._find(user, request.path_params["assistant_id"])
            if record is None:
                return self.error(404, "Assistant not found.")
            record["deleted_at"] = self.stamp.after(record.get(self.updated_field))
            record[self.updated_field] = record["deleted_at"]
            self.state.changed()
        return json_response({"message": "Assistant deleted successfully"})
