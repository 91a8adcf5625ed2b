"""Autocalls (providers.md; seed 003): no single read, so the account's list is paged once;
the read shape renames fields; PUT with only the fields sent, `variables` whole, write-only
fields, and `end_call_tool.description` sent as a nested object."""

from __future__ import annotations

import httpx

from tests.providers.provider_helpers import provider, read, shown, unchanged

LISTED = {
    "id": 127,
    "user_id": 9,
    "engine_id": 1,
    "synthesizer_id": 2,
    "transcriber_id": 3,
    "instance_id": 4,
    "status": "active",
    "inbound_webhook_url": "https://app.autocalls.ai/hook/127",
    "flows_platform_id": None,
    "created_at": "2025-01-01T00:00:00Z",
    "updated_at": "2025-01-02T00:00:00Z",
    "deleted_at": None,
    "name": "Sales outreach",
    "type": "outbound",
    "max_duration": 600,
    "record": True,
    "fillers": 1,
    "reengagement_interval": 30,
    "voice_id": 12,
    "language": "English",
    "timezone": "America/New_York",
    "initial_message": "Hi!",
    "system_prompt": "Sell politely.",
    "variables": {"company": "Acme", "offer": "10%"},
}
SPEC_SHAPE = {
    "assistant_name": "Sales outreach",
    "calls_direction": "make",
    "max_call_duration": 600,
    "record_call": True,
    "filler_audios": True,
    "re_engagement_interval": 30,
    "voice_id": 12,
    "language": "English",
    "timezone": "America/New_York",
    "initial_message": "Hi!",
    "system_prompt": "Sell politely.",
    "variables": {"company": "Acme", "offer": "10%"},
}


def test_to_spec_shape_renames_recodes_and_drops_read_only_fields() -> None:
    adapter = provider("autocalls")
    assert unchanged(adapter.to_spec_shape, LISTED) == SPEC_SHAPE
    inbound = adapter.to_spec_shape({**LISTED, "type": "inbound", "fillers": 0})
    assert (inbound["calls_direction"], inbound["filler_audios"]) == ("receive", False)


def test_variables_go_whole_and_nothing_else_is_forced() -> None:
    adapter = provider("autocalls")
    live = adapter.to_spec_shape(LISTED)
    body = unchanged(adapter.build_body, live, {"variables": {"offer": "20%"}}, ["variables"])
    assert body == {"variables": {"company": "Acme", "offer": "20%"}}


def test_write_only_fields_are_sent_when_changed() -> None:
    adapter = provider("autocalls")
    # Write fields the list never shows.
    assert {("llm_temperature",), ("engine_type",), ("who_speaks_first",)} <= adapter.write_only
    assert ("end_call_tool.description",) in adapter.write_only
    assert not {(k,) for k in SPEC_SHAPE} & adapter.write_only
    live = adapter.to_spec_shape(LISTED)
    desired = {"llm_temperature": 0.3, "who_speaks_first": "Customer"}
    body = adapter.build_body(live, desired, ["llm_temperature", "who_speaks_first"])
    assert body == desired


def test_the_update_is_a_put_with_the_end_call_tool_nested() -> None:
    adapter = provider("autocalls")
    body = adapter.build_body(
        adapter.to_spec_shape(LISTED),
        {"end_call_tool.description": "End when done.", "assistant_name": "Sales"},
        ["end_call_tool.description", "assistant_name"],
    )
    request = unchanged(adapter.update_request, "127", body)
    assert (request.method, request.path) == ("PUT", "/user/assistant/127")
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
