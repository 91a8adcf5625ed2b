"""Autocalls: no single read, so the account's list is paged once; the list answers in one
shape, mapped to the connection's field set (current by default, or `fields: legacy`); PUT
with only the fields sent, `variables` whole, write-only fields, and the older set's
`end_call_tool.description` sent as a nested object."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.providers.provider_helpers import provider, read, shown, unchanged
from voiceops.spec.schemas import SchemaStore

# A whole list item, as the List assistants page shows one (list-item.example.json), with
# a built-in tool as the page's example shows tools.
LISTED: dict[str, Any] = {
    "id": 127, "user_id": 1, "phone_number_id": 45, "engine_id": None, "synthesizer_id": None,
    "transcriber_id": None, "voice_id": 8, "instance_id": 1, "name": "Sales Outreach Assistant",
    "variables": {"company_name": "Your Company", "rep_name": "Assistant"},
    "post_call_evaluation": True, "fillers": 1,
    "post_call_schema": [{"name": "interest_level", "type": "string", "description": "..."}],
    "tools": [
        {"type": "end_call", "data": {"description": "End call when done"}},
        {
            "type": "warm_call_transfer",
            "data": {"supervisor_phone": "+14155552001", "outbound_phone_id": "7"},
        },
    ],
    "is_webhook_active": True, "webhook_url": "https://yourcompany.com/api/webhooks/sales-calls",
    "inbound_webhook_url": None, "language": None, "type": "outbound", "status": "active",
    "max_duration": 900, "record": True, "initial_message": "...", "system_prompt": "...",
    "flows_platform_id": None, "timezone": "America/Los_Angeles",
    "created_at": "2025-07-15T14:32:15.000000Z", "updated_at": "2025-08-02T09:18:42.000000Z",
    "max_silence_duration": 25, "reengagement_interval": 45, "deleted_at": None,
    "end_call_on_voicemail": 1, "llm_temperature": "0.35", "voice_stability": "0.75",
    "voice_similarity": "0.85", "allow_interruptions": True, "enable_noise_cancellation": True,
    "endpoint_sensitivity": 1.8, "speech_speed": "1.10", "endpoint_type": "vad",
    "wait_for_customer": True, "mode": "pipeline", "language_id": 1,
    "transcriber_provider_id": None, "synthesizer_provider_id": None, "llm_model_id": 3,
    "multimodal_model_id": None, "ambient_sound": "office",
    "uuid": "a7b3c942-5f1e-4d28-8c59-2e4f7a8b9c3d", "send_webhook_only_on_completed": True,
    "include_recording_in_webhook": True, "interrupt_sensitivity": 1.2,
    "filler_config": {"neutral": ["..."], "negative": ["..."]},
    "knowledgebase_id": 12, "knowledgebase_mode": "function_call", "min_interrupt_words": 3,
    "ambient_sound_volume": "0.30", "widget_settings": {"theme": "modern"},
}  # fmt: skip
CURRENT_SHAPE = {
    "phone_number_id": 45, "voice_id": 8, "name": "Sales Outreach Assistant",
    "variables": {"company_name": "Your Company", "rep_name": "Assistant"},
    "post_call_evaluation": True, "fillers": True,
    "post_call_schema": [{"name": "interest_level", "type": "string", "description": "..."}],
    "tools": [
        {"type": "end_call", "description": "End call when done"},
        {"type": "warm_call_transfer", "supervisor_phone": "+14155552001", "outbound_phone_id": 7},
    ],
    "is_webhook_active": True, "webhook_url": "https://yourcompany.com/api/webhooks/sales-calls",
    "type": "outbound", "max_duration": 900, "record": True, "initial_message": "...",
    "system_prompt": "...", "timezone": "America/Los_Angeles", "max_silence_duration": 25,
    "reengagement_interval": 45, "end_call_on_voicemail": True, "llm_temperature": 0.35,
    "voice_stability": 0.75, "voice_similarity": 0.85, "allow_interruptions": True,
    "enable_noise_cancellation": True, "endpoint_sensitivity": 1.8, "speech_speed": 1.1,
    "endpoint_type": "vad", "wait_for_customer": True, "mode": "pipeline", "language_id": 1,
    "transcriber_provider_id": None, "synthesizer_provider_id": None, "llm_model_id": 3,
    "multimodal_model_id": None, "ambient_sound": "office", "send_webhook_only_on_completed": True,
    "include_recording_in_webhook": True, "interrupt_sensitivity": 1.2,
    "filler_config": {"neutral": ["..."], "negative": ["..."]}, "knowledgebase_id": 12,
    "knowledgebase_mode": "function_call", "min_interrupt_words": 3, "ambient_sound_volume": 0.3,
}  # fmt: skip
LEGACY_SHAPE = {
    "phone_number_id": 45, "voice_id": 8, "assistant_name": "Sales Outreach Assistant",
    "language": None, "variables": {"company_name": "Your Company", "rep_name": "Assistant"},
    "post_call_evaluation": True, "filler_audios": True,
    "post_call_schema": [{"name": "interest_level", "type": "string", "description": "..."}],
    "is_webhook_active": True, "webhook_url": "https://yourcompany.com/api/webhooks/sales-calls",
    "calls_direction": "make", "max_call_duration": 900, "record_call": True,
    "initial_message": "...", "system_prompt": "...", "timezone": "America/Los_Angeles",
    "max_silence_duration": 25, "re_engagement_interval": 45, "end_call_on_voicemail": True,
    "llm_temperature": 0.35, "voice_stability": 0.75, "voice_similarity": 0.85,
    "allow_interruptions": True, "noise_cancellation": True, "endpoint_sensitivity": 1.8,
    "speech_speed": 1.1, "endpoint_type": "vad", "engine_type": "pipeline",
    "send_webhook_only_on_completed": True, "include_recording_in_webhook": True,
    "interrupt_sensitivity": 1.2, "min_interrupt_words": 3, "ambient_sound_volume": 0.3,
}  # fmt: skip


def _managed(schema: str, shaped: dict[str, Any]) -> dict[str, Any]:
    """The fields of `shaped` that the set's schema manages."""
    names = SchemaStore().property_names(schema)
    return {k: v for k, v in shaped.items() if k in names}


def test_the_list_maps_to_the_current_set_with_numbers_booleans_and_flat_tools() -> None:
    adapter = provider("autocalls")
    shaped = unchanged(adapter.to_spec_shape, LISTED)
    assert _managed("autocalls", shaped) == CURRENT_SHAPE
    assert "id" not in shaped
    assert "created_at" not in shaped


def test_the_list_maps_to_the_legacy_set() -> None:
    adapter = provider("autocalls", fields="legacy")
    shaped = unchanged(adapter.to_spec_shape, LISTED)
    assert _managed("autocalls-legacy", shaped) == LEGACY_SHAPE
    inbound = adapter.to_spec_shape({**LISTED, "type": "inbound", "fillers": 0})
    assert (inbound["calls_direction"], inbound["filler_audios"]) == ("receive", False)
    dualplex = adapter.to_spec_shape({**LISTED, "mode": "dualplex"})
    assert dualplex["engine_type"] == "dualplex"  # no legacy value: shown as a difference


@pytest.mark.parametrize("text", ["", "fast", "nan", "inf"])
def test_a_listed_number_that_is_no_number_stays_text(text: str) -> None:
    shaped = provider("autocalls").to_spec_shape({**LISTED, "speech_speed": text})
    assert shaped["speech_speed"] == text


def test_every_listed_field_is_readable_and_the_rest_write_only() -> None:
    schemas = SchemaStore()
    for fields, schema in (("current", "autocalls"), ("legacy", "autocalls-legacy")):
        adapter = provider("autocalls", fields=fields)
        readable = set(_managed(schema, adapter.to_spec_shape(LISTED)))
        writable = schemas.property_names(schema)
        # The example item leaves out two fields that the page's field list has.
        readable |= {"ringing_time", "max_initial_silence_duration"} & writable
        assert {(k,) for k in writable - readable} == adapter.write_only, fields


def test_variables_go_whole_and_nothing_else_is_forced() -> None:
    adapter = provider("autocalls")
    live = adapter.to_spec_shape(LISTED)
    body = unchanged(adapter.build_body, live, {"variables": {"offer": "20%"}}, ["variables"])
    assert body == {
        "variables": {"company_name": "Your Company", "rep_name": "Assistant", "offer": "20%"}
    }


def test_write_only_fields_are_sent_when_changed() -> None:
    adapter = provider("autocalls")
    assert {("tool_ids",), ("secondary_language_ids",), ("reengagement_prompt",)} <= (
        adapter.write_only
    )
    assert not {(k,) for k in CURRENT_SHAPE} & adapter.write_only
    live = adapter.to_spec_shape(LISTED)
    desired = {"tool_ids": [1, 5], "voice_mail_message": "Call us back."}
    body = adapter.build_body(live, desired, ["tool_ids", "voice_mail_message"])
    assert body == desired


def test_the_update_is_a_put_with_tools_flat() -> None:
    adapter = provider("autocalls")
    tools = [{"type": "dtmf_input", "description": "Navigate menus"}]
    body = adapter.build_body(
        adapter.to_spec_shape(LISTED), {"tools": tools, "name": "Sales"}, ["tools", "name"]
    )
    request = unchanged(adapter.update_request, "127", body)
    assert (request.method, request.path) == ("PUT", "/user/assistant/127")
    assert request.body == {"tools": tools, "name": "Sales"}


def test_the_legacy_update_sends_the_end_call_tool_nested() -> None:
    adapter = provider("autocalls", fields="legacy")
    assert {("llm_model",), ("who_speaks_first",), ("end_call_tool.description",)} <= (
        adapter.write_only
    )
    body = adapter.build_body(
        adapter.to_spec_shape(LISTED),
        {"end_call_tool.description": "End when done.", "assistant_name": "Sales"},
        ["end_call_tool.description", "assistant_name"],
    )
    request = unchanged(adapter.update_request, "127", body)
    assert request.body == {
        "end_call_tool": {"description": "End when done."},
        "assistant_name": "Sales",
    }


def _page(items: list[dict[str, object]], page: int, last: int) -> httpx.Response:
    return httpx.Response(200, json={"current_page": page, "data": items, "last_page": last})


def test_several_ids_are_read_from_one_list_request() -> None:
    adapter = provider("autocalls")
    assert adapter.reads_by_list
    listed = [{**LISTED, "id": n} for n in (127, 128, 129)]

    states, sent = read(adapter, ["127", "129", "404"], lambda r: _page(listed, 1, 1))
    assert shown(sent) == ["GET /user/assistants/get?page=1&per_page=100"]
    assert states == {"127": listed[0], "129": listed[2], "404": None}


def test_even_one_id_is_read_from_the_list() -> None:
    adapter = provider("autocalls")
    states, sent = read(adapter, ["127"], lambda r: _page([LISTED], 1, 1))
    assert shown(sent) == ["GET /user/assistants/get?page=1&per_page=100"]
    assert states == {"127": LISTED}


def test_pages_are_read_once_each_and_no_further_than_needed() -> None:
    adapter = provider("autocalls")
    listed = [{**LISTED, "id": n} for n in range(1, 251)]

    def vendor(request: httpx.Request) -> httpx.Response:
        page, size = int(request.url.params["page"]), int(request.url.params["per_page"])
        return _page(listed[(page - 1) * size : page * size], page, 3)

    states, sent = read(adapter, ["5", "100"], vendor)
    assert shown(sent) == ["GET /user/assistants/get?page=1&per_page=100"]
    assert states == {"5": listed[4], "100": listed[99]}

    states, sent = read(adapter, ["5", "250"], vendor)
    pages = sorted(shown(sent))
    assert pages == sorted(set(pages))  # no page twice
    assert "GET /user/assistants/get?page=3&per_page=100" in pages
    assert all(p.startswith("GET /user/assistants/get?") for p in pages)
    assert states == {"5": listed[4], "250": listed[249]}


def test_an_id_written_with_leading_zeros_is_the_same_assistant() -> None:
    assert provider("autocalls").normalize_id("0127") == "127"


def test_a_listed_calendar_key_is_reported_as_a_secret() -> None:
    adapter = provider("autocalls")
    found: list[str] = []
    adapter.on_secret = found.append
    calendar = {"type": "calendar_integration", "data": {"calcom_api_key": "cal_live_1"}}
    listed = {**LISTED, "tools": [*LISTED["tools"], calendar]}
    states, _ = read(adapter, ["127"], lambda r: _page([listed], 1, 1))
    assert states["127"] == listed
    assert found == ["cal_live_1"]


def test_filler_config_goes_whole_with_the_live_categories_kept() -> None:
    adapter = provider("autocalls")
    live = adapter.to_spec_shape(LISTED)
    desired = {"filler_config": {"positive": ["Great!"]}}
    body = unchanged(adapter.build_body, live, desired, ["filler_config"])
    assert body == {
        "filler_config": {"neutral": ["..."], "negative": ["..."], "positive": ["Great!"]}
    }


def test_whole_numbers_given_as_text_read_as_integers() -> None:
    # A list that gives an integer field as digits ("900") compares as the number.
    shaped = provider("autocalls").to_spec_shape(
        {"id": 1, "max_duration": "900", "ringing_time": "x"}
    )
    assert shaped["max_duration"] == 900
    assert isinstance(shaped["max_duration"], int)
    assert shaped["ringing_time"] == "x"  # not a number: left for doctor to report
