from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from voiceops.sandbox import Sandbox
from voiceops.sandbox.autocalls import READ_FIELDS

LARAVEL_KEYS = {
    "current_page",
    "data",
    "first_page_url",
    "from",
    "last_page",
    "last_page_url",
    "next_page_url",
    "path",
    "per_page",
    "prev_page_url",
    "to",
    "total",
}
# Not shown by the list (the current set's; the older set adds its own four).
HIDDEN = (
    "chat_llm_fallback_id", "turn_detection_threshold", "secondary_language_ids", "folder_id",
    "label_ids", "tool_ids", "tts_emotion_enabled", "reengagement_prompt", "voice_mail_message",
)  # fmt: skip
# The list item of the List assistants page (list-item.example.json), key for key.
DOCUMENTED_ITEM_KEYS = {
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
    "widget_settings",
}  # fmt: skip
# The page's field list adds these two to the example item.
READ_KEYS = DOCUMENTED_ITEM_KEYS | {"ringing_time", "max_initial_silence_duration"}


def _listed(client: httpx.Client, assistant_id: int) -> dict[str, Any]:
    data = client.get("/assistants/get", params={"per_page": 100}).json()["data"]
    return next(a for a in data if a["id"] == assistant_id)


@pytest.mark.parametrize("token", [None, "not-a-token"])
def test_missing_or_bad_token_is_401(sb: Sandbox, token: str | None) -> None:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    base = sb.base_urls["autocalls"] + "/user"
    for response in (
        httpx.get(f"{base}/assistants/get", headers=headers),
        httpx.put(f"{base}/assistant/127", headers=headers, json={"name": "x"}),
    ):
        assert response.status_code == 401
        assert response.json() == {"message": "Unauthenticated."}


def test_list_is_laravel_paginated(autocalls: httpx.Client) -> None:
    body = autocalls.get("/assistants/get").json()
    assert set(body) == LARAVEL_KEYS
    assert body["current_page"] == 1
    assert body["per_page"] == 10
    assert body["total"] == 3
    assert body["last_page"] == 1
    assert body["from"] == 1
    assert body["to"] == 3
    assert body["next_page_url"] is None
    assert body["prev_page_url"] is None
    assert [a["id"] for a in body["data"]] == [127, 128, 129]
    assert body["path"].endswith("/autocalls/user/assistants/get")


def test_list_pages(autocalls: httpx.Client) -> None:
    second = autocalls.get("/assistants/get", params={"per_page": 2, "page": 2}).json()
    assert [a["id"] for a in second["data"]] == [129]
    assert second["current_page"] == 2
    assert second["last_page"] == 2
    assert second["from"] == 3
    assert second["to"] == 3
    assert second["next_page_url"] is None
    assert "page=1" in second["prev_page_url"]
    assert "per_page=2" in second["prev_page_url"]
    first = autocalls.get(second["prev_page_url"]).json()
    assert [a["id"] for a in first["data"]] == [127, 128]
    assert first["next_page_url"].endswith("page=2")
    past = autocalls.get("/assistants/get", params={"per_page": 2, "page": 5}).json()
    assert past["data"] == []
    assert past["from"] is None
    assert past["to"] is None


@pytest.mark.parametrize("per_page", [0, 101, "x"])
def test_bad_per_page_is_422(autocalls: httpx.Client, per_page: object) -> None:
    response = autocalls.get("/assistants/get", params={"per_page": per_page})
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"per_page"}


def test_each_user_sees_only_their_assistants(
    sb: Sandbox, client_for: Callable[..., httpx.Client]
) -> None:
    other = client_for(sb, "autocalls", "sandbox-autocalls-other-token")
    body = other.get("/user/assistants/get").json()
    assert [a["id"] for a in body["data"]] == [200]
    assert other.put("/user/assistant/127", json={"name": "x"}).status_code == 404


def test_read_shape_is_the_list_pages(autocalls: httpx.Client) -> None:
    item = _listed(autocalls, 127)
    assert set(item) == READ_KEYS == set(READ_FIELDS)
    assert item["name"] == "Sales Outreach"
    assert item["type"] == "outbound"
    assert item["mode"] == "pipeline"
    assert item["max_duration"] == 600
    assert item["record"] is True
    assert item["fillers"] == 0
    assert type(item["fillers"]) is int
    assert item["end_call_on_voicemail"] == 1
    assert item["llm_temperature"] == "0.40"
    assert item["speech_speed"] == "1.00"
    assert item["reengagement_interval"] == 45
    assert item["tools"] == [
        {
            "type": "end_call",
            "data": {"description": "End the call when the lead declines or the demo is booked."},
        }
    ]
    for hidden in HIDDEN:
        assert hidden not in item
    assert _listed(autocalls, 129)["type"] == "inbound"


def test_put_is_partial_and_answers_a_message(autocalls: httpx.Client, sb: Sandbox) -> None:
    before = sb.stored("autocalls", 127)
    response = autocalls.put(
        "/assistant/127",
        json={"max_duration": 900, "fillers": True, "llm_temperature": 0.9},
    )
    assert response.status_code == 200
    assert response.json() == {"message": "Assistant updated successfully"}
    after = sb.stored("autocalls", 127)
    assert after["max_duration"] == 900
    assert after["llm_temperature"] == 0.9
    changed = {"max_duration", "fillers", "llm_temperature", "updated_at"}
    assert {k: v for k, v in after.items() if k not in changed} == {
        k: v for k, v in before.items() if k not in changed
    }
    assert after["updated_at"] > before["updated_at"]
    listed = _listed(autocalls, 127)
    assert listed["max_duration"] == 900
    assert listed["fillers"] == 1
    assert listed["llm_temperature"] == "0.90"


def test_put_without_changes_keeps_updated_at(autocalls: httpx.Client, sb: Sandbox) -> None:
    before = sb.stored("autocalls", 127)
    response = autocalls.put("/assistant/127", json={"max_duration": 600})
    assert response.status_code == 200
    assert sb.stored("autocalls", 127) == before


def test_variables_are_replaced_whole(autocalls: httpx.Client, sb: Sandbox) -> None:
    autocalls.put("/assistant/127", json={"variables": {"company_name": "Acme"}})
    assert sb.assistant("autocalls", 127)["variables"] == {"company_name": "Acme"}


def test_tools_are_written_flat_replaced_whole_and_listed_with_data(
    autocalls: httpx.Client, sb: Sandbox
) -> None:
    tools = [
        {"type": "dtmf_input", "description": "Navigate menus"},
        {"type": "collect_keypad", "timeout": 5, "stop_key": "#"},
    ]
    assert autocalls.put("/assistant/127", json={"tools": tools}).status_code == 200
    assert sb.stored("autocalls", 127)["tools"] == tools
    assert _listed(autocalls, 127)["tools"] == [
        {"type": "dtmf_input", "data": {"description": "Navigate menus"}},
        {"type": "collect_keypad", "data": {"timeout": 5, "stop_key": "#"}},
    ]
    bad = autocalls.put("/assistant/127", json={"tools": [{"type": "teleport"}]})
    assert bad.status_code == 422
    assert "tools.0.type" in bad.json()["errors"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"mode": "multimodal", "allow_interruptions": False}, "allow_interruptions"),
        ({"mode": "dualplex", "knowledgebase_mode": "prompt"}, "knowledgebase_mode"),
    ],
)
def test_mode_rules_are_422(
    autocalls: httpx.Client, sb: Sandbox, body: dict[str, Any], field: str
) -> None:
    before = sb.stored("autocalls", 127)
    response = autocalls.put("/assistant/127", json=body)
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {field}
    assert sb.stored("autocalls", 127) == before


def test_the_older_field_set_is_ignored_by_default(autocalls: httpx.Client, sb: Sandbox) -> None:
    before = sb.stored("autocalls", 127)
    body = {"assistant_name": "Renamed", "max_call_duration": 900, "calls_direction": "receive"}
    response = autocalls.put("/assistant/127", json=body)
    assert response.status_code == 200
    assert sb.stored("autocalls", 127) == before


def test_unknown_keys_are_ignored(autocalls: httpx.Client, sb: Sandbox) -> None:
    before = sb.stored("autocalls", 127)
    response = autocalls.put("/assistant/127", json={"colour": "blue", "language": "German"})
    assert response.status_code == 200
    assert sb.stored("autocalls", 127) == before


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (
            {"max_duration": 19},
            "max_duration",
            "The max duration field must be between 20 and 1200.",
        ),
        ({"max_duration": 1201}, "max_duration", "between 20 and 1200"),
        ({"reengagement_interval": 6}, "reengagement_interval", "between 7 and 600"),
        ({"max_silence_duration": 361}, "max_silence_duration", "between 1 and 360"),
        ({"ringing_time": 61}, "ringing_time", "between 1 and 60"),
        ({"max_initial_silence_duration": 0}, "max_initial_silence_duration", "between 1 and"),
        ({"speech_speed": 1.3}, "speech_speed", "between 0.7 and 1.2"),
        ({"llm_temperature": 1.5}, "llm_temperature", "between 0 and 1"),
        ({"turn_detection_threshold": 2}, "turn_detection_threshold", "between 0 and 1"),
        ({"endpoint_sensitivity": 6}, "endpoint_sensitivity", "between 0 and 5"),
        ({"min_interrupt_words": 11}, "min_interrupt_words", "between 0 and 10"),
        ({"ambient_sound_volume": -0.1}, "ambient_sound_volume", "between 0 and 1"),
        ({"type": "receive"}, "type", "The selected type"),
        ({"mode": "turbo"}, "mode", "is invalid"),
        ({"ambient_sound": "beach"}, "ambient_sound", "is invalid"),
        ({"knowledgebase_mode": "semantic"}, "knowledgebase_mode", "is invalid"),
        ({"endpoint_type": "vad2"}, "endpoint_type", "is invalid"),
        ({"name": "x" * 256}, "name", "greater than 255 characters"),
        ({"initial_message": "x" * 201}, "initial_message", "greater than 200 characters"),
        ({"reengagement_prompt": "x" * 1001}, "reengagement_prompt", "greater than 1000"),
        ({"name": None}, "name", "must be a string"),
        ({"voice_id": "7"}, "voice_id", "must be an integer"),
        ({"language_id": "English"}, "language_id", "must be an integer"),
        ({"record": 1}, "record", "must be true or false"),
        ({"variables": "x"}, "variables", "must be an array"),
        ({"tool_ids": [1, "x"]}, "tool_ids.1", "must be an integer"),
        ({"webhook_url": "not a url"}, "webhook_url", "must be a valid URL"),
        (
            {"post_call_schema": [{"name": "Bad", "type": "string", "description": "abc"}]},
            "post_call_schema.0.name",
            "format is invalid",
        ),
        (
            {"post_call_schema": [{"name": "okay", "type": "date", "description": "abc"}]},
            "post_call_schema.0.type",
            "is invalid",
        ),
        (
            {"post_call_schema": [{"name": "okay", "type": "bool", "description": "ab"}]},
            "post_call_schema.0.description",
            "between 3 and 255",
        ),
        (
            {"post_call_schema": [{"name": "okay", "type": "bool"}]},
            "post_call_schema.0.description",
            "is required",
        ),
        ({"post_call_schema": [{"name": "okay"}]}, "post_call_schema.0.type", "is required"),
    ],
)
def test_invalid_values_are_422(
    autocalls: httpx.Client, sb: Sandbox, body: dict[str, Any], field: str, message: str
) -> None:
    before = sb.stored("autocalls", 127)
    response = autocalls.put("/assistant/127", json=body)
    assert response.status_code == 422
    error = response.json()
    assert set(error) == {"message", "errors"}
    assert field in error["errors"]
    assert any(message in m for m in error["errors"][field])
    assert message in error["message"] or error["message"].startswith("The ")
    assert sb.stored("autocalls", 127) == before


def test_several_errors_are_counted_in_the_message(autocalls: httpx.Client) -> None:
    response = autocalls.put(
        "/assistant/127", json={"max_duration": 1, "speech_speed": 3, "record": "y"}
    )
    assert response.status_code == 422
    assert response.json()["message"].endswith("(and 2 more errors)")
    assert len(response.json()["errors"]) == 3


@pytest.mark.parametrize(
    "body",
    [
        {"phone_number_id": None},
        {"webhook_url": None},
        {"speech_speed": 0.7},
        {"max_duration": 20},
        {"max_silence_duration": 360},
        {"knowledgebase_id": None},
        {"min_interrupt_words": None},
        {"secondary_language_ids": []},
        {"post_call_schema": [{"name": "lead_score_2", "type": "number", "description": "abc"}]},
    ],
)
def test_valid_edge_values_are_accepted(
    autocalls: httpx.Client, sb: Sandbox, body: dict[str, Any]
) -> None:
    response = autocalls.put("/assistant/127", json=body)
    assert response.status_code == 200, response.text
    for key, value in body.items():
        assert sb.stored("autocalls", 127)[key] == value


@pytest.mark.parametrize("assistant_id", ["999", "200", "abc"])
def test_unknown_or_foreign_id_is_404(autocalls: httpx.Client, assistant_id: str) -> None:
    response = autocalls.put(f"/assistant/{assistant_id}", json={"name": "x"})
    assert response.status_code == 404
    assert set(response.json()) == {"message"}


def test_every_hidden_field_is_stored_but_never_listed(
    autocalls: httpx.Client, sb: Sandbox
) -> None:
    values = {
        "chat_llm_fallback_id": 2, "turn_detection_threshold": 0.6,
        "secondary_language_ids": [2], "folder_id": 4, "label_ids": [3, 5], "tool_ids": [1],
        "tts_emotion_enabled": False, "reengagement_prompt": "Still there?",
        "voice_mail_message": "Call us back.",
    }  # fmt: skip
    assert set(values) == set(HIDDEN)
    assert autocalls.put("/assistant/127", json=values).status_code == 200
    stored = sb.stored("autocalls", 127)
    listed = _listed(autocalls, 127)
    for name, value in values.items():
        assert stored[name] == value
        assert name not in listed


def test_create_requires_the_model_of_its_mode(autocalls: httpx.Client) -> None:
    core = {
        "name": "New", "voice_id": 1, "language_id": 1, "type": "outbound",
        "timezone": "UTC", "initial_message": "Hi", "system_prompt": "Be brief.",
    }  # fmt: skip
    pipeline = autocalls.post("/assistant", json={**core, "mode": "pipeline"})
    assert pipeline.status_code == 422
    assert set(pipeline.json()["errors"]) == {"llm_model_id"}
    dualplex = autocalls.post("/assistant", json={**core, "mode": "dualplex"})
    assert set(dualplex.json()["errors"]) == {"multimodal_model_id"}
    made = autocalls.post("/assistant", json={**core, "mode": "dualplex", "multimodal_model_id": 4})
    assert made.status_code == 201
    assert made.json()["data"]["mode"] == "dualplex"
    listed = _listed(autocalls, made.json()["data"]["id"])
    assert (listed["mode"], listed["multimodal_model_id"]) == ("dualplex", 4)


# ---- the older field set, a stand-in option -------------------------------------------


@pytest.fixture
def legacy(serve: Callable[..., Sandbox], client_for: Callable[..., httpx.Client]) -> Any:
    sb = serve(autocalls_fields="legacy")
    client = client_for(sb, "autocalls", sb.credentials["AUTOCALLS_TOKEN"])
    return sb, client


def test_legacy_set_writes_what_the_list_shows_under_current_names(legacy: Any) -> None:
    sb, client = legacy
    body = {
        "assistant_name": "Renamed", "calls_direction": "receive", "max_call_duration": 900,
        "record_call": False, "filler_audios": True, "re_engagement_interval": 30,
        "engine_type": "multimodal", "noise_cancellation": False, "llm_model": "gpt-4o",
        "who_speaks_first": "Customer",
    }  # fmt: skip
    assert client.put("/user/assistant/127", json=body).status_code == 200
    item = next(a for a in client.get("/user/assistants/get").json()["data"] if a["id"] == 127)
    assert (item["name"], item["type"], item["max_duration"]) == ("Renamed", "inbound", 900)
    assert (item["record"], item["fillers"], item["reengagement_interval"]) == (False, 1, 30)
    assert (item["mode"], item["enable_noise_cancellation"]) == ("multimodal", False)
    for hidden in ("llm_model", "who_speaks_first", "assistant_name"):
        assert hidden not in item
    assert sb.stored("autocalls", 127)["llm_model"] == "gpt-4o"


def test_legacy_set_ignores_current_names_and_keeps_its_limits(legacy: Any) -> None:
    sb, client = legacy
    before = sb.stored("autocalls", 127)
    current = {"name": "Renamed", "max_duration": 900, "type": "inbound", "mode": "dualplex"}
    assert client.put("/user/assistant/127", json=current).status_code == 200
    assert sb.stored("autocalls", 127) == before
    too_long = client.put("/user/assistant/127", json={"max_silence_duration": 121})
    assert too_long.status_code == 422
    nested = client.put("/user/assistant/127", json={"end_call_tool": {"description": "x" * 501}})
    assert "end_call_tool.description" in nested.json()["errors"]


def test_legacy_create_requires_the_older_core_fields(legacy: Any) -> None:
    _, client = legacy
    response = client.post("/user/assistant", json={"name": "New"})
    assert response.status_code == 422
    assert "assistant_name" in response.json()["errors"]
    assert "llm_model" in response.json()["errors"]


def test_banner_connection_names_the_field_set(legacy: Any, sb: Sandbox) -> None:
    legacy_sb, _ = legacy
    assert "    fields: legacy" in legacy_sb.config_yaml()
    assert "fields:" not in sb.config_yaml()
