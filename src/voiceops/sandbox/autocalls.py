"""Autocalls stand-in (a Laravel API), written from the platform's current pages.

    GET    /user/assistants/get?page=N&per_page=M     Laravel length-aware pagination
    POST   /user/assistant                            create -> 201, a message and a summary
    PUT    /user/assistant/{id}                       partial update, answers a message
    DELETE /user/assistant/{id}                       delete, answers a message

Auth: `Authorization: Bearer <token>`; each token is one user, and a user sees and
updates only their own assistants (another user's id answers 404, like an
unknown one).

The API takes one of two field sets: the current one (name, language_id, type
inbound/outbound, mode pipeline/multimodal/dualplex, llm_model_id, ...) by
default, or the older one (assistant_name, language, calls_direction
receive/make, engine_type, ...) with `SandboxOptions.autocalls_fields =
"legacy"`. The list answers in one shape for both, the list page's: records are
stored under the list's names, an older-set body is translated to them
(`LEGACY_TO_LISTED`), and write fields the list does not show (those not in
`READ_FIELDS`, such as tool_ids or tts_emotion_enabled, and the older set's
llm_model, who_speaks_first, use_min_interrupt_words and end_call_tool) are
stored but never shown. The list shows fillers and end_call_on_voicemail as
1/0, llm_temperature, voice_stability, voice_similarity, speech_speed and
ambient_sound_volume as strings ("0.35"), and each built-in tool, written flat
{type, ...}, as {type, data: {...}}.

Validation follows Laravel: invalid input answers 422 with
`{"message": "...", "errors": {"field": ["..."]}}` in Laravel's wording; input
keys without a rule are ignored, so a body in the other field set answers 200
and changes nothing. In multimodal and dualplex modes, allow_interruptions
cannot be false and knowledgebase_mode must be function_call (422 otherwise).
This stand-in is stricter than Laravel on types: numeric strings and 0/1 for
booleans are rejected. `updated_at` moves only when a value actually changes
(Eloquent's dirty check). `variables`, `filler_config`, `post_call_schema`,
`tools` and the id lists are replaced whole.

Create requires the core fields of the set (null or "" counts as missing, as
Laravel's `required` says), in the current set llm_model_id for pipeline and
multimodal_model_id for multimodal and dualplex, and `webhook_url` when
`is_webhook_active` is true; other fields get the defaults below. Its answer
is `{"message": "Assistant created successfully", "data": {id, name, status,
type, mode}}`. Ids come from one counter for all users, never reused. A delete
is permanent for the API (the assistant is gone from the list, and updates and
deletes answer 404); the record is kept with `deleted_at` set, as Laravel's
soft deletes do. Nothing documents the delete's answer: `{"message": "Assistant
deleted successfully"}`.
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
LEGACY = "legacy"
# The list item's fields, in the list page's order.
READ_FIELDS = (
    "id", "user_id", "phone_number_id", "engine_id", "synthesizer_id", "transcriber_id",
    "voice_id", "instance_id", "name", "variables", "post_call_evaluation", "fillers",
    "post_call_schema", "tools", "is_webhook_active", "webhook_url", "inbound_webhook_url",
    "language", "type", "status", "max_duration", "record", "initial_message", "system_prompt",
    "flows_platform_id", "timezone", "created_at", "updated_at", "max_silence_duration",
    "reengagement_interval", "deleted_at", "end_call_on_voicemail", "llm_temperature",
    "voice_stability", "voice_similarity", "allow_interruptions", "enable_noise_cancellation",
    "endpoint_sensitivity", "speech_speed", "endpoint_type", "wait_for_customer", "mode",
    "language_id", "transcriber_provider_id", "synthesizer_provider_id", "llm_model_id",
    "multimodal_model_id", "ambient_sound", "uuid", "send_webhook_only_on_completed",
    "include_recording_in_webhook", "interrupt_sensitivity", "filler_config",
    "knowledgebase_id", "knowledgebase_mode", "min_interrupt_words", "ambient_sound_volume",
    "widget_settings", "ringing_time", "max_initial_silence_duration",
)  # fmt: skip
LISTED_AS_TEXT = (
    "llm_temperature", "voice_stability", "voice_similarity", "speech_speed",
    "ambient_sound_volume",
)  # fmt: skip
LISTED_AS_NUMBER = ("fillers", "end_call_on_voicemail")
# Older-set name -> the list's name, where they differ.
LEGACY_TO_LISTED = {
    "assistant_name": "name",
    "calls_direction": "type",
    "max_call_duration": "max_duration",
    "record_call": "record",
    "filler_audios": "fillers",
    "re_engagement_interval": "reengagement_interval",
    "engine_type": "mode",
    "noise_cancellation": "enable_noise_cancellation",
}
DIRECTION_TO_TYPE = {"receive": "inbound", "make": "outbound"}
NOT_PIPELINE = ("multimodal", "dualplex")


def _url(value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "url"
    return None


_BOOL = Spec("bool")
_STR = Spec("str")
_INT = Spec("int")
_ID = Spec("int", nullable=True)
_IDS = Spec("list", items=Spec("int"))


def _num(low: float, high: float, nullable: bool = False) -> Spec:
    return Spec("num", min=low, max=high, nullable=nullable)


def _whole(low: int, high: int, nullable: bool = False) -> Spec:
    return Spec("int", min=low, max=high, nullable=nullable)


SHARED = {
    "voice_id": _INT,
    "timezone": _STR,
    "system_prompt": _STR,
    "phone_number_id": _ID,
    "endpoint_type": Spec("str", enum=("vad", "ai")),
    "endpoint_sensitivity": _num(0, 5),
    "interrupt_sensitivity": _num(0, 5),
    "ambient_sound_volume": _num(0, 1),
    "post_call_evaluation": _BOOL,
    "send_webhook_only_on_completed": _BOOL,
    "include_recording_in_webhook": _BOOL,
    "is_webhook_active": _BOOL,
    "webhook_url": Spec("str", nullable=True, custom=_url),
    "variables": Spec("obj"),
    "llm_temperature": _num(0, 1),
    "voice_stability": _num(0, 1),
    "voice_similarity": _num(0, 1),
    "speech_speed": _num(0.7, 1.2),
    "allow_interruptions": _BOOL,
    "end_call_on_voicemail": _BOOL,
}
TOOL = Spec(
    "obj",
    required=frozenset({"type"}),
    fields={
        "type": Spec(
            "str",
            enum=(
                "call_transfer", "warm_call_transfer", "end_call", "dtmf_input",
                "collect_keypad", "calendar_integration", "assistant_transfer",
            ),
        )
    },
)  # fmt: skip
CURRENT_BODY = Spec(
    "obj",
    extra="drop",
    fields={
        **SHARED,
        "name": Spec("str", max_len=255),
        "language_id": _INT,
        "type": Spec("str", enum=("inbound", "outbound")),
        "mode": Spec("str", enum=("pipeline", *NOT_PIPELINE)),
        "initial_message": Spec("str", max_len=200),
        "llm_model_id": _ID,
        "multimodal_model_id": _ID,
        "chat_llm_fallback_id": _ID,
        "turn_detection_threshold": _num(0, 1, nullable=True),
        "secondary_language_ids": _IDS,
        "knowledgebase_id": _ID,
        "knowledgebase_mode": Spec("str", enum=("function_call", "prompt")),
        "folder_id": _ID,
        "label_ids": _IDS,
        "tool_ids": _IDS,
        "tools": Spec("list", items=TOOL),
        "tts_emotion_enabled": _BOOL,
        "synthesizer_provider_id": _ID,
        "transcriber_provider_id": _ID,
        "fillers": _BOOL,
        "filler_config": Spec("obj"),
        "record": _BOOL,
        "enable_noise_cancellation": _BOOL,
        "wait_for_customer": _BOOL,
        "max_duration": _whole(20, 1200),
        "max_silence_duration": _whole(1, 360),
        "max_initial_silence_duration": _whole(1, 120, nullable=True),
        "ringing_time": _whole(1, 60),
        "reengagement_interval": _whole(7, 600),
        "reengagement_prompt": Spec("str", max_len=1000, nullable=True),
        "voice_mail_message": Spec("str", max_len=1000, nullable=True),
        "min_interrupt_words": _whole(0, 10, nullable=True),
        "ambient_sound": Spec(
            "str", enum=("off", "office", "city", "forest", "crowded_room", "cafe", "nature")
        ),
        "post_call_schema": Spec(
            "list",
            items=Spec(
                "obj",
                extra="drop",
                required=frozenset({"name", "type", "description"}),
                fields={
                    "name": Spec("str", pattern=r"[a-z0-9_]{3,16}"),
                    "type": Spec("str", enum=("string", "number", "bool")),
                    "description": Spec("str", min_len=3, max_len=255),
                },
            ),
        ),
    },
)
LEGACY_BODY = Spec(
    "obj",
    extra="drop",
    fields={
        **SHARED,
        "assistant_name": Spec("str", max_len=255),
        "language": Spec("str", max_len=100),
        "llm_model": Spec("str", max_len=100),
        "calls_direction": Spec("str", enum=("receive", "make")),
        "engine_type": Spec("str", enum=("pipeline", "multimodal")),
        "initial_message": _STR,
        "use_min_interrupt_words": _BOOL,
        "min_interrupt_words": _whole(0, 10),
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
        "filler_audios": _BOOL,
        "re_engagement_interval": _whole(7, 600),
        "max_call_duration": _whole(20, 1200),
        "max_silence_duration": _whole(1, 120),
        "noise_cancellation": _BOOL,
        "record_call": _BOOL,
        "who_speaks_first": Spec("str", enum=("AI assistant", "Customer")),
    },
)
END_CALL_DESCRIPTION = Spec("str", max_len=500)
CURRENT_REQUIRED = (
    "name", "voice_id", "language_id", "type", "mode", "timezone", "initial_message",
    "system_prompt",
)  # fmt: skip
LEGACY_REQUIRED = (
    "assistant_name", "voice_id", "language", "llm_model", "calls_direction", "engine_type",
    "timezone", "initial_message", "system_prompt",
)  # fmt: skip

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
    if problem.kind in ("max_len", "min_len"):
        if spec.min_len is None:
            return f"The {attribute} field must not be greater than {spec.max_len} characters."
        return (
            f"The {attribute} field must be between {spec.min_len} and {spec.max_len} characters."
        )
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


@dataclass(frozen=True)
class SetRules:
    """The rules of one of the API's field sets, and how its names are stored."""

    body: Spec
    required: tuple[str, ...]
    legacy: bool

    def validate(self, body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
        """The changes to store, under the list's names, and Laravel-style errors keyed by
        dotted input name."""
        cleaned, problems = check(body, self.body)
        errors: dict[str, list[str]] = {}
        for problem in problems:
            errors.setdefault(dotted(problem.path), []).append(_message(problem))
        nested = body.get("end_call_tool") if self.legacy else None
        if isinstance(nested, dict) and "description" in nested:
            path = ("end_call_tool", "description")
            value, nested_problems = check(nested["description"], END_CALL_DESCRIPTION, path)
            for problem in nested_problems:
                errors.setdefault(dotted(problem.path), []).append(_message(problem))
            cleaned["end_call_tool"] = {"description": value}
        return (_listed_names(cleaned) if self.legacy else cleaned), errors

    def validate_create(self, body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
        """`validate` plus the create's `required` and `required_if` rules."""
        missing = [f for f in self._required(body) if body.get(f) is None or body.get(f) == ""]
        cleaned, errors = self.validate({k: v for k, v in body.items() if k not in missing})
        for name in missing:
            errors[name] = [f"The {name.replace('_', ' ')} field is required."]
        if body.get("is_webhook_active") is True and not body.get("webhook_url"):
            message = "The webhook url field is required when is webhook active is true."
            errors.setdefault("webhook_url", []).insert(0, message)
        return cleaned, {k: errors[k] for k in sorted(errors, key=self._rule_rank)}

    def _required(self, body: dict[str, Any]) -> tuple[str, ...]:
        if self.legacy:
            return self.required
        mode = body.get("mode")
        by_mode = {"pipeline": ("llm_model_id",)}.get(str(mode), ("multimodal_model_id",))
        return (*self.required, *(by_mode if mode in ("pipeline", *NOT_PIPELINE) else ()))

    def _rule_rank(self, key: str) -> int:
        names = [*self.required, *(self.body.fields or {}), "end_call_tool"]
        head = key.split(".")[0]
        return names.index(head) if head in names else len(names)


FIELD_SETS = {
    "current": SetRules(CURRENT_BODY, CURRENT_REQUIRED, legacy=False),
    LEGACY: SetRules(LEGACY_BODY, LEGACY_REQUIRED, legacy=True),
}


def _listed_names(cleaned: dict[str, Any]) -> dict[str, Any]:
    """Older-set changes under the names the list shows them by."""
    listed: dict[str, Any] = {}
    for name, value in cleaned.items():
        if name == "calls_direction":
            value = DIRECTION_TO_TYPE.get(value, value)
        listed[LEGACY_TO_LISTED.get(name, name)] = value
    return listed


def mode_errors(record: Mapping[str, Any]) -> dict[str, list[str]]:
    """The rules that depend on the mode, on the record as it would be after a change."""
    if record.get("mode") not in NOT_PIPELINE:
        return {}
    errors: dict[str, list[str]] = {}
    if record.get("allow_interruptions") is False:
        message = "Interruptions cannot be disabled in multimodal or dualplex mode."
        errors["allow_interruptions"] = [message]
    if record.get("knowledgebase_mode") not in (None, "function_call"):
        message = "The knowledgebase mode must be function_call in multimodal or dualplex mode."
        errors["knowledgebase_mode"] = [message]
    return errors


DEFAULTS: dict[str, Any] = {
    "phone_number_id": None,
    "engine_id": 1,
    "synthesizer_id": 1,
    "transcriber_id": 1,
    "voice_id": 1,
    "instance_id": None,
    "name": "New Assistant",
    "variables": {},
    "post_call_evaluation": True,
    "fillers": False,
    "post_call_schema": [],
    "tools": [],
    "is_webhook_active": False,
    "webhook_url": None,
    "inbound_webhook_url": None,
    "language": None,
    "type": "outbound",
    "status": "active",
    "max_duration": 600,
    "record": False,
    "initial_message": "",
    "system_prompt": "",
    "flows_platform_id": None,
    "timezone": "UTC",
    "max_silence_duration": 40,
    "reengagement_interval": 30,
    "deleted_at": None,
    "end_call_on_voicemail": True,
    "llm_temperature": 0.1,
    "voice_stability": 0.7,
    "voice_similarity": 0.5,
    "allow_interruptions": True,
    "enable_noise_cancellation": True,
    "endpoint_sensitivity": 0.5,
    "speech_speed": 1.0,
    "endpoint_type": "vad",
    "wait_for_customer": False,
    "mode": "pipeline",
    "language_id": 1,
    "transcriber_provider_id": None,
    "synthesizer_provider_id": None,
    "llm_model_id": 1,
    "multimodal_model_id": None,
    "ambient_sound": "off",
    "uuid": None,
    "send_webhook_only_on_completed": True,
    "include_recording_in_webhook": True,
    "interrupt_sensitivity": 0.5,
    "filler_config": {},
    "knowledgebase_id": None,
    "knowledgebase_mode": None,
    "min_interrupt_words": None,
    "ambient_sound_volume": 0.5,
    "widget_settings": {},
    "ringing_time": 30,
    "max_initial_silence_duration": None,
}


def read_shape(record: Mapping[str, Any]) -> dict[str, Any]:
    """A stored record as the list shows it."""
    shown: dict[str, Any] = {}
    for name in READ_FIELDS:
        value = record.get(name)
        if name in LISTED_AS_NUMBER and isinstance(value, bool):
            value = int(value)
        elif name in LISTED_AS_TEXT and isinstance(value, int | float):
            value = f"{value:.2f}"
        elif name == "tools" and isinstance(value, list):
            value = [_listed_tool(tool) for tool in value]
        shown[name] = value
    return shown


def _listed_tool(tool: Any) -> Any:
    if not isinstance(tool, dict):
        return tool
    return {"type": tool.get("type"), "data": {k: v for k, v in tool.items() if k != "type"}}


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

    @property
    def fields(self) -> SetRules:
        return FIELD_SETS[self.options.autocalls_fields]

    def example_connection(self) -> tuple[str, dict[str, str]]:
        name, settings = self.connection
        if self.options.autocalls_fields == LEGACY:
            return name, {**settings, "fields": LEGACY}
        return name, settings

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
        changes, errors = self.fields.validate(body)
        if errors:
            return validation_error(errors)
        with self.state.lock:
            mode_problems = mode_errors({**record, **changes})
            if mode_problems:
                return validation_error(mode_problems)
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
        values, errors = self.fields.validate_create(body)
        errors = errors or mode_errors({**DEFAULTS, **values})
        if errors:
            return validation_error(errors)
        with self.state.lock:
            record = self.insert(values, user)
            self.state.changed()
            shown = self.read(record)
        summary = {k: shown[k] for k in ("id", "name", "status", "type", "mode")}
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
