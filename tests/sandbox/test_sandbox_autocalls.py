from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from voiceops.sandbox import Sandbox
from voiceops.sandbox.autocalls import WRITE_ONLY

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
READ_KEYS = {
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
}


def _listed(client: httpx.Client, assistant_id: int) -> dict[str, Any]:
    data = client.get("/assistants/get", params={"per_page": 100}).json()["data"]
    return next(a for a in data if a["id"] == assistant_id)


@pytest.mark.parametrize("token", [None, "not-a-token"])
def test_missing_or_bad_token_is_401(sb: Sandbox, token: str | None) -> None:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    base = sb.base_urls["autocalls"] + "/user"
    for response in (
        httpx.get(f"{base}/assistants/get", headers=headers),
        httpx.put(f"{base}/assistant/127", headers=headers, json={"assistant_name": "x"}),
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
    assert other.put("/user/assistant/127", json={"assistant_name": "x"}).status_code == 404


def test_read_shape_uses_read_names_and_hides_write_only_fields(autocalls: httpx.Client) -> None:
    item = _listed(autocalls, 127)
    assert set(item) == READ_KEYS
    assert item["name"] == "Sales Outreach"
    assert item["type"] == "outbound"
    assert item["max_duration"] == 600
    assert item["record"] is True
    assert item["fillers"] == 0
    assert type(item["fillers"]) is int
    assert item["reengagement_interval"] == 45
    for hidden in ("assistant_name", "calls_direction", "llm_temperature", "who_speaks_first"):
        assert hidden not in item
    assert _listed(autocalls, 129)["type"] == "inbound"


def test_put_is_partial_and_answers_a_message(autocalls: httpx.Client, sb: Sandbox) -> None:
    before = sb.stored("autocalls", 127)
    response = autocalls.put(
        "/assistant/127",
        json={"max_call_duration": 900, "filler_audios": True, "llm_temperature": 0.9},
    )
    assert response.status_code == 200
    assert response.json() == {"message": "Assistant updated successfully"}
    after = sb.stored("autocalls", 127)
    assert after["max_call_duration"] == 900
    assert after["llm_temperature"] == 0.9
    changed = {"max_call_duration", "filler_audios", "llm_temperature", "updated_at"}
    assert {k: v for k, v in after.items() if k not in changed} == {
        k: v for k, v in before.items() if k not in changed
    }
    assert after["updated_at"] > before["updated_at"]
    listed = _listed(autocalls, 127)
    assert listed["max_duration"] == 900
    assert listed["fillers"] == 1


def test_put_without_changes_keeps_updated_at(autocalls: httpx.Client, sb: Sandbox) -> None:
    before = sb.stored("autocalls", 127)
    response = autocalls.put("/assistant/127", json={"max_call_duration": 600})
    assert response.status_code == 200
    assert sb.stored("autocalls", 127) == before


def test_variables_are_replaced_whole(autocalls: httpx.Client, sb: Sandbox) -> None:
    autocalls.put("/assistant/127", json={"variables": {"company_name": "Acme"}})
    assert sb.assistant("autocalls", 127)["variables"] == {"company_name": "Acme"}


def test_end_call_tool_description_is_read_from_nested_input(
    autocalls: httpx.Client, sb: Sandbox
) -> None:
    flat = autocalls.put("/assistant/127", json={"end_call_tool.description": "flat"})
    assert flat.status_code == 200
    assert sb.stored("autocalls", 127)["end_call_tool"]["description"] != "flat"
    nested = autocalls.put("/assistant/127", json={"end_call_tool": {"description": "nested"}})
    assert nested.status_code == 200
    assert sb.stored("autocalls", 127)["end_call_tool"] == {"description": "nested"}
    too_long = autocalls.put("/assistant/127", json={"end_call_tool": {"description": "x" * 501}})
    assert too_long.status_code == 422
    assert "end_call_tool.description" in too_long.json()["errors"]


def test_unknown_keys_are_ignored(autocalls: httpx.Client, sb: Sandbox) -> None:
    before = sb.stored("autocalls", 127)
    response = autocalls.put("/assistant/127", json={"name": "renamed", "colour": "blue"})
    assert response.status_code == 200
    assert sb.stored("autocalls", 127) == before


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (
            {"max_call_duration": 19},
            "max_call_duration",
            "The max call duration field must be between 20 and 1200.",
        ),
        ({"max_call_duration": 1201}, "max_call_duration", "between 20 and 1200"),
        ({"re_engagement_interval": 6}, "re_engagement_interval", "between 7 and 600"),
        ({"max_silence_duration": 121}, "max_silence_duration", "between 1 and 120"),
        ({"speech_speed": 1.3}, "speech_speed", "between 0.7 and 1.2"),
        ({"llm_temperature": 1.5}, "llm_temperature", "between 0 and 1"),
        ({"endpoint_sensitivity": 6}, "endpoint_sensitivity", "between 0 and 5"),
        ({"min_interrupt_words": 11}, "min_interrupt_words", "between 0 and 10"),
        ({"ambient_sound_volume": -0.1}, "ambient_sound_volume", "between 0 and 1"),
        ({"calls_direction": "outbound"}, "calls_direction", "The selected calls direction"),
        ({"who_speaks_first": "AI"}, "who_speaks_first", "is invalid"),
        ({"engine_type": "turbo"}, "engine_type", "is invalid"),
        ({"endpoint_type": "vad2"}, "endpoint_type", "is invalid"),
        ({"assistant_name": "x" * 256}, "assistant_name", "greater than 255 characters"),
        ({"assistant_name": None}, "assistant_name", "must be a string"),
        ({"voice_id": "7"}, "voice_id", "must be an integer"),
        ({"record_call": 1}, "record_call", "must be true or false"),
        ({"variables": "x"}, "variables", "must be an array"),
        ({"webhook_url": "not a url"}, "webhook_url", "must be a valid URL"),
        (
            {"post_call_schema": [{"name": "bad name", "type": "string"}]},
            "post_call_schema.0.name",
            "format is invalid",
        ),
        (
            {"post_call_schema": [{"name": "ok", "type": "date"}]},
            "post_call_schema.0.type",
            "is invalid",
        ),
        ({"post_call_schema": [{"name": "ok"}]}, "post_call_schema.0.type", "is required"),
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
        "/assistant/127", json={"max_call_duration": 1, "speech_speed": 3, "record_call": "y"}
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
        {"max_call_duration": 20},
        {"who_speaks_first": "Customer"},
        {"post_call_schema": [{"name": "Lead_Score_2", "type": "number"}]},
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
    response = autocalls.put(f"/assistant/{assistant_id}", json={"assistant_name": "x"})
    assert response.status_code == 404
    assert set(response.json()) == {"message"}


def test_every_write_only_field_is_stored_but_never_listed(
    autocalls: httpx.Client, sb: Sandbox
) -> None:
    stored = sb.stored("autocalls", 127)
    listed = _listed(autocalls, 127)
    for name in WRITE_ONLY:
        assert name in stored
        assert name not in listed
