"""Edmo (providers.md; seed 001): PATCH of a partial body where `model`, `voice`,
`transcriber` (and, by the general rule, any nested object) go whole; one GET per assistant."""

from __future__ import annotations

import httpx

from tests.providers.provider_helpers import provider, read, shown, unchanged

LIVE = {
    "id": "asst_123",
    "orgId": "org_1",
    "createdAt": "2025-01-01T00:00:00Z",
    "updatedAt": "2025-01-02T00:00:00Z",
    "name": "Enrollment Assistant",
    "firstMessage": "Hi, I'm your enrollment assistant.",
    "firstMessageMode": "assistant-speaks-first",
    "model": {"provider": "openai", "model": "gpt-4o", "temperature": 0.6, "maxTokens": 1024},
    "voice": {"provider": "openai", "voiceId": "alloy"},
    "transcriber": {"provider": "deepgram", "model": "nova-2"},
    "metadata": {"team": "admissions", "tier": "gold"},
    "maxDurationSeconds": 1800,
}


def test_to_spec_shape_drops_the_read_only_fields() -> None:
    shaped = unchanged(provider("edmo").to_spec_shape, LIVE)
    assert shaped == {
        k: v for k, v in LIVE.items() if k not in ("id", "orgId", "createdAt", "updatedAt")
    }


def test_a_model_change_always_carries_provider_and_model() -> None:
    adapter = provider("edmo")
    live = adapter.to_spec_shape(LIVE)
    body = unchanged(adapter.build_body, live, {"model": {"temperature": 0.2}}, ["model"])
    assert body == {"model": {**LIVE["model"], "temperature": 0.2}, "voice": LIVE["voice"]}


def test_every_patch_carries_model_and_voice_whole() -> None:
    # The update page calls all fields optional but marks model and voice "Required":
    # a body valid under both readings carries both, live laid under desired.
    adapter = provider("edmo")
    live = adapter.to_spec_shape(LIVE)
    desired = {"name": "Admissions", "voice": {"voiceId": "nova"}}
    body = adapter.build_body(live, desired, ["name"])
    assert body == {
        "name": "Admissions",
        "model": LIVE["model"],
        "voice": {"provider": "openai", "voiceId": "nova"},
    }


def test_a_live_assistant_without_voice_gets_no_null_voice() -> None:
    adapter = provider("edmo")
    live = adapter.to_spec_shape({k: v for k, v in LIVE.items() if k != "voice"})
    body = adapter.build_body(live, {"name": "Admissions"}, ["name"])
    assert body == {"name": "Admissions", "model": LIVE["model"]}


def test_voice_transcriber_and_metadata_go_whole() -> None:
    adapter = provider("edmo")
    live = adapter.to_spec_shape(LIVE)
    desired = {
        "voice": {"voiceId": "nova"},
        "transcriber": {"model": None},
        "metadata": {"tier": "silver"},
    }
    body = adapter.build_body(live, desired, ["voice", "transcriber", "metadata"])
    assert body == {
        "model": LIVE["model"],
        "voice": {"provider": "openai", "voiceId": "nova"},
        "transcriber": {"provider": "deepgram", "model": None},
        "metadata": {"team": "admissions", "tier": "silver"},
    }


def test_only_the_changed_fields_are_sent() -> None:
    adapter = provider("edmo")
    live = adapter.to_spec_shape(LIVE)
    desired = {"name": "Enrollment Assistant", "maxDurationSeconds": 600, "endCallPhrases": None}
    body = adapter.build_body(live, desired, ["maxDurationSeconds", "endCallPhrases"])
    forced = {"model": LIVE["model"], "voice": LIVE["voice"]}
    assert body == {"maxDurationSeconds": 600, "endCallPhrases": None, **forced}
    assert adapter.write_only == frozenset()
    assert adapter.sensitive == frozenset()


def test_each_assistant_is_read_with_its_own_get() -> None:
    adapter = provider("edmo")
    assert not adapter.reads_by_list
    ids = ["asst_123", "3f2c9a1e-0000-4000-8000-00000000abcd", "asst_gone"]

    def vendor(request: httpx.Request) -> httpx.Response:
        wanted = request.url.path.rsplit("/", 1)[1]
        if wanted == "asst_gone":
            return httpx.Response(404, json={"error": "Assistant not found"})
        return httpx.Response(200, json={**LIVE, "id": wanted})

    states, sent = read(adapter, ids, vendor)
    assert sorted(shown(sent)) == sorted(f"GET /assistants/{i}" for i in ids)
    assert states["asst_gone"] is None
    assert states["asst_123"] == LIVE


def test_ids_and_the_update_request() -> None:
    adapter = provider("edmo")
    # The id may be the voice provider's UUID: either case names one assistant.
    assert adapter.normalize_id("3F2C9A1E-0000-4000-8000-00000000ABCD") == (
        "3f2c9a1e-0000-4000-8000-00000000abcd"
    )
    request = adapter.update_request("asst_123", {"name": "x"})
    assert (request.method, request.path, request.body) == (
        "PATCH",
        "/assistants/asst_123",
        {"name": "x"},
    )
