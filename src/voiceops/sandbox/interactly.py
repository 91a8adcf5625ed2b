"""Interactly stand-in.

    GET   /assistants/v1/assistants/{id}
    PATCH /assistants/v1/assistants/{id}     (body must carry `name`)

No create, delete or list is documented: those answer as unknown routes do (404).

Auth: `Authorization: Bearer <key>`; each key belongs to one team, and a team sees
only its own assistants (another team's id answers 404).

Errors use a NestJS-style envelope, validation messages in class-validator's
wording: `{"statusCode": 400, "message": ["..."], "error": "Bad Request"}`.
Unknown top-level keys are rejected; objects nested below them are checked for
the documented fields' types and otherwise accepted as sent. A nested object in
a PATCH replaces the stored one whole, and so does a list: a `ttsData` item sent
without its `config` loses the voice tuning it had.

The fields follow the update page, and the assistant object of the server-message
page (`ttsData[].enabled`, `ttsData[].config`, `config.speech.sttFallback`,
`ttsCacheEnabled`, the `error` webhook message).
"""

from __future__ import annotations

import copy
import secrets
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp

from voiceops.sandbox.checks import Problem, Spec, check, dotted, number_text
from voiceops.sandbox.vendor import BadJSON, Stamp, Vendor, bearer_token, json_object, json_response

MODELS_BY_PROVIDER: dict[str, tuple[str, ...]] = {
    "openai": ("gpt-4", "gpt-4o", "gpt-4o-mini", "gpt-3.5-turbo"),
    "azure": ("gpt-4", "gpt-4o", "gpt-4o-mini"),
    "gemini": ("gemini-1.5-flash-latest", "gemini-1.5-pro-latest", "gemini-1.5-flash"),
    "deepseek": ("V3",),
    "bedrock": (
        "anthropic.claude-3-5-sonnet",
        "anthropic.claude-3-5-haiku",
        "meta.llama3-1-8b-instruct",
    ),
}
PROVIDERS = (*MODELS_BY_PROVIDER, "custom-llm")
WELCOME_MODES = ("assistant-speaks-first", "assistant-waits-for-user", "automatic")
PREDEFINED_TOOLS = ("knowledgeBase", "endCall", "appointment", "volumeControl", "waitList")
END_CALL_FIELDS = ("endCallMessage", "endCallToolDescription", "endCallPhrases")


def _background_sound(value: str) -> str | None:
    if value in ("enable", "disable"):
        return None
    if not value.startswith("https://"):
        return "backgroundSound must be 'enable', 'disable' or an https:// URL"
    if len(value) > 1000:
        return "backgroundSound must be shorter than or equal to 1000 characters"
    return None


_STR = Spec("str")
_BOOL = Spec("bool")
_NUM = Spec("num")
_STR_LIST = Spec("list", items=_STR)
_FORWARD = Spec("obj", fields={"phoneNumber": _STR, "extension": _STR, "name": _STR})
# One voice of config.speech.ttsData, as the assistant object of the server-message page
# shows it (docs.interactly.ai/api-reference/webhooks/server-message).
_TTS_ITEM = Spec(
    "obj",
    fields={
        "vendor": _STR,
        "language": _STR,
        "voice": _STR,
        "enabled": _BOOL,
        "config": Spec(
            "obj",
            fields={
                "modelId": _STR,
                "stability": _NUM,
                "similarityBoost": _NUM,
                "speakerBoost": _BOOL,
                "styleExaggeration": _NUM,
                "seed": Spec("int"),
                "speed": _NUM,
            },
        ),
    },
)
_ANALYSIS_PART = Spec(
    "obj",
    fields={
        "enabled": _BOOL,
        "prompt": _STR,
        "rubric": _STR,
        "timeoutSeconds": _NUM,
        "schema": Spec("obj"),
    },
)


def _call_forward(value: Any) -> str | None:
    # Typed as a list of objects, shown as one object: both are accepted.
    items = value if isinstance(value, list) else [value]
    for item in items:
        if not isinstance(item, dict):
            return "callForwardData must be an object or an array of objects"
        _, problems = check(item, _FORWARD)
        if problems:
            return f"callForwardData.{dotted(problems[0].path)} must be a string"
    return None


BODY = Spec(
    "obj",
    extra="reject",
    fields={
        "name": Spec("str", min_len=1),
        "welcomeMessage": _STR,
        "welcomeMessageMode": Spec("str", enum=WELCOME_MODES),
        "welcomeMessageInterruptionsEnabled": _BOOL,
        "assistantProvider": Spec("str", enum=PROVIDERS),
        "assistantModel": _STR,
        "assistantLLMUrl": _STR,
        "assistantSystemPrompt": _STR,
        "assistantTemperature": _NUM,
        "assistantMaxTokens": Spec("int"),
        "assistantResponseSplitter": _STR,
        "config": Spec(
            "obj",
            fields={
                "speech": Spec(
                    "obj",
                    fields={
                        "stt": Spec("obj", fields={"vendor": _STR, "languages": _STR}),
                        "sttFallback": Spec("obj"),
                        "ttsData": Spec("list", items=_TTS_ITEM),
                    },
                )
            },
        ),
        "hints": _STR_LIST,
        "backgroundSound": Spec("str", custom=_background_sound),
        "backgroundSoundVolume": Spec("num", min=1, max=100),
        "assistantBackchannelingEnabled": _BOOL,
        "dtmfInputEnabled": _BOOL,
        "maxCallDuration": Spec("int", min=1, max=120),
        "ttsCacheEnabled": _BOOL,
        "idleTimeout": Spec("int", min=5, max=600),
        "maxIdleMessagesInSequence": Spec("int", min=1, max=5),
        "startSpeakingOptions": Spec(
            "obj",
            fields={
                "waitSeconds": _NUM,
                "smartEndpointing": _STR,
                "onPunctuationSeconds": _NUM,
                "onNoPunctuationSeconds": _NUM,
                "onNumberSeconds": _NUM,
                "LiveKitBaseValue": _NUM,
                "LiveKitScaleValue": _NUM,
            },
        ),
        "stopSpeakingOptions": Spec("obj", fields={"numberOfWords": _NUM, "voiceSeconds": _NUM}),
        "assistantToolIds": _STR_LIST,
        "assistantPredefinedTools": Spec(
            "obj", fields={name: _BOOL for name in (*PREDEFINED_TOOLS, "callForward")}
        ),
        "assistantKnowledgeBaseIds": _STR_LIST,
        "endCallMessage": _STR,
        "endCallToolDescription": _STR,
        "endCallPhrases": _STR_LIST,
        "callForwardData": Spec("any", custom=_call_forward),
        "assistantAnalysis": Spec(
            "obj",
            fields={
                "summary": _ANALYSIS_PART,
                "successEvaluation": _ANALYSIS_PART,
                "structuredData": _ANALYSIS_PART,
            },
        ),
        "assistantOverrides": Spec(
            "obj",
            fields={
                "welcomeMessage": _STR,
                "welcomeMessageMode": Spec("str", enum=WELCOME_MODES),
                "welcomeMessageInterruptionsEnabled": _BOOL,
                "recordingEnabled": _BOOL,
                "recordingPath": _STR,
                "dynamicVariables": Spec("obj"),
            },
        ),
        "assistantServer": Spec(
            "obj",
            fields={
                "url": _STR,
                "timeoutSeconds": _NUM,
                "secret": _STR,
                "headers": Spec("obj"),
                "enabled": _BOOL,
                "messages": _STR_LIST,
            },
        ),
    },
)

_TYPE_WORDS = {
    "str": "must be a string",
    "int": "must be an integer number",
    "num": "must be a number conforming to the specified constraints",
    "bool": "must be a boolean value",
    "obj": "must be an object",
    "list": "must be an array",
    "any": "must be defined",
}


def _message(problem: Problem) -> str:
    name = dotted(problem.path)
    spec = problem.spec
    if problem.kind == "unknown":
        return f"property {name} should not exist"
    if problem.kind == "custom" or spec is None:
        return problem.detail or f"{name} is invalid"
    if problem.kind == "type":
        if len(problem.path) >= 2 and isinstance(problem.path[-1], int):
            parent = dotted(problem.path[:-1])
            return f"each value in {parent} {_TYPE_WORDS[spec.kind]}"
        return f"{name} {_TYPE_WORDS[spec.kind]}"
    if problem.kind == "enum":
        values = ", ".join(str(v) for v in spec.enum or ())
        return f"{name} must be one of the following values: {values}"
    if problem.kind == "min":
        return f"{name} must not be less than {number_text(spec.min)}"
    if problem.kind == "max":
        text = f"{name} must not be greater than {number_text(spec.max)}"
        if name == "maxCallDuration":
            # The vendor's own example (900) contradicts its documented range.
            text += " (minutes; the documented range is 1-120)"
        return text
    if problem.kind == "min_len":
        return f"{name} should not be empty"
    if problem.kind == "max_len":
        return f"{name} must be shorter than or equal to {spec.max_len} characters"
    return f"{name} is invalid"


def _provided(value: Any) -> bool:
    return value not in (None, "", [], {})


def cross_field_errors(body: Mapping[str, Any], merged: Mapping[str, Any]) -> list[str]:
    """Rules that tie a sent field to the state after the update."""
    errors: list[str] = []
    tools = merged.get("assistantPredefinedTools") or {}
    if not tools.get("endCall"):
        for name in END_CALL_FIELDS:
            if _provided(body.get(name)):
                errors.append(
                    f"{name} can be set only when assistantPredefinedTools.endCall is true"
                )
    if not tools.get("knowledgeBase") and _provided(body.get("assistantKnowledgeBaseIds")):
        errors.append(
            "assistantKnowledgeBaseIds can be set only when "
            "assistantPredefinedTools.knowledgeBase is true"
        )
    provider = merged.get("assistantProvider")
    if _provided(body.get("assistantLLMUrl")) and provider != "custom-llm":
        errors.append("assistantLLMUrl can be set only when assistantProvider is custom-llm")
    if "assistantProvider" in body or "assistantModel" in body:
        allowed = MODELS_BY_PROVIDER.get(str(provider))
        model = merged.get("assistantModel")
        if allowed is not None and model not in allowed:
            errors.append(
                f"assistantModel {model!r} is not available for assistantProvider {provider}; "
                f"use one of: {', '.join(allowed)}"
            )
    return errors


DEFAULTS: dict[str, Any] = {
    "name": "New Assistant",
    "welcomeMessage": "hi",
    "welcomeMessageMode": "automatic",
    "welcomeMessageInterruptionsEnabled": False,
    "assistantProvider": "azure",
    "assistantModel": "gpt-4o-mini",
    "assistantSystemPrompt": "",
    "assistantTemperature": 0,
    "assistantMaxTokens": 256,
    "config": {"speech": {"stt": {"vendor": "microsoft", "languages": "en-US"}, "ttsData": []}},
    "hints": [],
    "backgroundSound": "disable",
    "backgroundSoundVolume": 50,
    "assistantBackchannelingEnabled": False,
    "dtmfInputEnabled": False,
    "maxCallDuration": 30,
    "idleTimeout": 30,
    "maxIdleMessagesInSequence": 3,
    "assistantToolIds": [],
    "assistantPredefinedTools": {name: False for name in (*PREDEFINED_TOOLS, "callForward")},
    "assistantKnowledgeBaseIds": [],
}


class Interactly(Vendor):
    name = "interactly"
    id_field = "_id"
    created_field = "createdAt"
    updated_field = "updatedAt"
    stamp = Stamp(3)
    connection = ("interactly-prod", {"token_env": "INTERACTLY_API_KEY"})

    def build_app(self) -> ASGIApp:
        path = "/assistants/v1/assistants/{assistant_id}"
        return Starlette(
            routes=[
                Route(path, self.get_assistant, methods=["GET"]),
                Route(path, self.patch_assistant, methods=["PATCH"]),
            ],
            exception_handlers={HTTPException: self._http_error},
        )

    def error(
        self, status: int, message: str | list[str], headers: Mapping[str, str] | None = None
    ) -> Response:
        body: dict[str, Any] = {"statusCode": status, "message": message}
        if status != 401:
            body["error"] = HTTPStatus(status).phrase
        return json_response(body, status, headers)

    async def _http_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 405:  # NestJS: a method the route lacks is an unknown route
            return self.error(404, "Not Found")
        return self.error(exc.status_code, exc.detail)

    def read(self, record: dict[str, Any]) -> dict[str, Any]:
        return dict(record)

    def owner(self, record: dict[str, Any]) -> str:
        return str(record.get("teamId"))

    def default_account(self) -> str:
        key = self.state.credentials.get("INTERACTLY_API_KEY", "")
        return str(self.state.accounts[self.name].get("keys", {}).get(key, ""))

    def new_record(self, record: dict[str, Any], account: str | None) -> dict[str, Any]:
        full = {**copy.deepcopy(DEFAULTS), **copy.deepcopy(record)}
        full.setdefault("_id", secrets.token_hex(12))
        full.setdefault("teamId", account or self.default_account())
        self.stamp_new(full)
        return full

    def _team(self, request: Request) -> str | None:
        token = bearer_token(request)
        if token is None:
            return None
        team = self.state.accounts[self.name].get("keys", {}).get(token)
        return None if team is None else str(team)

    def _find(self, team: str, assistant_id: str) -> dict[str, Any] | None:
        record = self.state.assistants[self.name].get(assistant_id)
        if record is None or self.owner(record) != team:
            return None
        return record

    async def get_assistant(self, request: Request) -> Response:
        team = self._team(request)
        if team is None:
            return self.error(401, "Unauthorized")
        with self.state.lock:
            record = self._find(team, request.path_params["assistant_id"])
            if record is None:
                return self.error(404, "Assistant not found")
            return json_response(self.read(record))

    async def patch_assistant(self, request: Request) -> Response:
        team = self._team(request)
        if team is None:
            return self.error(401, "Unauthorized")
        try:
            body = await json_object(request)
        except BadJSON as exc:
            return self.error(400, [str(exc)])
        cleaned, problems = check(body, BODY)
        messages = [_message(p) for p in problems]
        if "name" not in body:
            messages.insert(0, "name must be a string")
            messages.insert(0, "name should not be empty")
        if messages:  # the body is validated before the assistant is looked up
            return self.error(400, messages)
        with self.state.lock:
            record = self._find(team, request.path_params["assistant_id"])
            if record is None:
                return self.error(404, "Assistant not found")
            messages = cross_field_errors(cleaned, {**record, **cleaned})
            if messages:
                return self.error(400, messages)
            record.update(cleaned)
            self.touch(record)
            self.state.changed()
            return json_response(self.read(record))
