from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import yaml

from voiceops.sandbox import Faults, Sandbox, SandboxOptions

CLINIC = "5f7b1b1b1b1b1b1b1b1b1b1b"


def test_default_seed_has_the_example_assistants() -> None:
    sb = Sandbox()
    assert sb.assistant("interactly", CLINIC)["maxCallDuration"] == 30
    assert sb.assistant("edmo", "asst_123")["orgId"] == "org_abc"
    assert sb.assistant("invent", "asst_support")["name"] == "Support Concierge"
    assert sb.assistant("autocalls", 127)["user_id"] == 1
    assert sb.assistant("autocalls", "127") == sb.assistant("autocalls", 127)
    assert set(sb.credentials) >= {
        "INTERACTLY_API_KEY",
        "EDMO_EMAIL",
        "EDMO_PASSWORD",
        "INVENT_API_KEY",
        "AUTOCALLS_TOKEN",
    }


def test_stored_shows_write_only_fields_and_assistant_the_read_shape() -> None:
    sb = Sandbox()
    stored = sb.stored("autocalls", 127)
    shown = sb.assistant("autocalls", 127)
    assert stored["name"] == shown["name"] == "Sales Outreach"
    assert stored["llm_temperature"] == 0.4
    assert shown["llm_temperature"] == "0.40"
    assert stored["tts_emotion_enabled"] is True
    assert "tts_emotion_enabled" not in shown
    assert "externalId" in sb.stored("edmo", "asst_123")
    assert "externalId" not in sb.assistant("edmo", "asst_123")


def test_copies_do_not_leak_into_state() -> None:
    sb = Sandbox()
    sb.assistant("interactly", CLINIC)["assistantServer"]["secret"] = "changed"
    sb.stored("interactly", CLINIC)["name"] = "changed"
    assert sb.assistant("interactly", CLINIC)["assistantServer"]["secret"] != "changed"
    assert sb.assistant("interactly", CLINIC)["name"] != "changed"


def test_unknown_vendor_or_id() -> None:
    sb = Sandbox()
    with pytest.raises(ValueError, match="unknown vendor 'acme'"):
        sb.assistant("acme", "x")
    with pytest.raises(KeyError):
        sb.assistant("edmo", "asst_nope")


def test_edit_is_visible_over_http_and_bumps_the_timestamp(sb: Sandbox, edmo: httpx.Client) -> None:
    before = edmo.get("/assistants/asst_123").json()
    sb.edit("edmo", "asst_123", {"firstMessage": "Edited in the dashboard"})
    after = edmo.get("/assistants/asst_123").json()
    assert after["firstMessage"] == "Edited in the dashboard"
    assert after["updatedAt"] > before["updatedAt"]


def test_add_assistant_fills_defaults_and_owner(
    sb: Sandbox, client_for: Callable[..., httpx.Client]
) -> None:
    new_id = sb.add_assistant("autocalls", {"name": "Fresh"})
    assert new_id == "201"
    item = sb.assistant("autocalls", new_id)
    assert item["name"] == "Fresh"
    assert item["user_id"] == 1
    other = sb.add_assistant("autocalls", {"name": "Theirs"}, account=2)
    assert sb.assistant("autocalls", other)["user_id"] == 2

    invent_id = sb.add_assistant("invent", {"name": "New Desk"})
    client = client_for(sb, "invent", sb.credentials["INVENT_API_KEY"])
    assert client.get(f"/orgs/c/assistants/{invent_id}").json()["name"] == "New Desk"
    assert client.get("/orgs/c/assistants").headers["pagination-count"] == "13"

    team_id = sb.add_assistant("interactly", {"name": "Elsewhere"}, account="someone-else")
    interactly = client_for(sb, "interactly", sb.credentials["INTERACTLY_API_KEY"])
    assert interactly.get(f"/assistants/v1/assistants/{team_id}").status_code == 404

    with pytest.raises(ValueError, match="already exists"):
        sb.add_assistant("edmo", {"id": "asst_123"})


def test_fixture_dict_replaces_the_default_seed() -> None:
    fixture = {
        "credentials": {"INVENT_API_KEY": "k"},
        "invent": {
            "keys": {"k": "org_x"},
            "assistants": [{"id": f"a{i}", "name": f"A{i}"} for i in range(25)],
        },
    }
    sb = Sandbox(SandboxOptions(fixture=fixture))
    assert sb.credentials == {"INVENT_API_KEY": "k"}
    assert sb.stored("invent", "a7")["org_id"] == "org_x"
    with pytest.raises(KeyError):
        sb.assistant("interactly", CLINIC)
    assert fixture["invent"]["assistants"][0] == {"id": "a0", "name": "A0"}  # not mutated


def test_fixture_file(tmp_path: Path) -> None:
    path = tmp_path / "fixture.yaml"
    path.write_text(
        yaml.safe_dump(
            {"edmo": {"assistants": [{"id": "asst_x", "name": "X", "orgId": "org_abc"}]}}
        )
    )
    sb = Sandbox(SandboxOptions(fixture=path))
    assert sb.assistant("edmo", "asst_x")["name"] == "X"


def test_state_file_persists_every_change(
    tmp_path: Path, serve: Callable[..., Sandbox], client_for: Callable[..., httpx.Client]
) -> None:
    state = tmp_path / "state" / "sandbox.json"
    sb = serve(state_file=state)
    assert state.exists()  # written at start
    client = client_for(sb, "autocalls", sb.credentials["AUTOCALLS_TOKEN"])
    assert client.put("/user/assistant/127", json={"max_duration": 900}).status_code == 200
    saved = json.loads(state.read_text())
    assert (
        next(a for a in saved["autocalls"]["assistants"] if a["id"] == 127)["max_duration"] == 900
    )
    sb.edit("interactly", CLINIC, {"name": "Edited"})
    assert [p.name for p in state.parent.iterdir()] == ["sandbox.json"]  # no temp files left

    reloaded = Sandbox(SandboxOptions(state_file=state))
    assert reloaded.stored("autocalls", 127)["max_duration"] == 900
    assert reloaded.assistant("interactly", CLINIC)["name"] == "Edited"
    assert reloaded.stored("autocalls", 127) == sb.stored("autocalls", 127)
    assert reloaded.stored("edmo", "asst_123") == sb.stored("edmo", "asst_123")


def test_state_file_wins_over_the_fixture(tmp_path: Path) -> None:
    state = tmp_path / "s.json"
    Sandbox(SandboxOptions(state_file=state)).edit("edmo", "asst_123", {"name": "Kept"})
    sb = Sandbox(SandboxOptions(state_file=state, fixture={"edmo": {"assistants": []}}))
    assert sb.assistant("edmo", "asst_123")["name"] == "Kept"


def test_failed_updates_do_not_touch_the_state_file(
    tmp_path: Path, serve: Callable[..., Sandbox], client_for: Callable[..., httpx.Client]
) -> None:
    state = tmp_path / "s.json"
    sb = serve(state_file=state)
    text = state.read_text()
    client = client_for(sb, "autocalls", sb.credentials["AUTOCALLS_TOKEN"])
    assert client.put("/user/assistant/127", json={"max_duration": 1}).status_code == 422
    assert state.read_text() == text


def test_reset_restores_the_initial_state(sb: Sandbox, edmo: httpx.Client) -> None:
    initial = sb.snapshot()
    assert edmo.patch("/assistants/asst_123", json={"name": "Changed"}).status_code == 200
    sb.add_assistant("autocalls", {"name": "Extra"})
    sb.set_faults(Faults(rate_5xx=1.0))
    sb.reset()
    assert sb.snapshot() == initial
    assert sb.requests() == []
    assert edmo.get("/assistants/asst_123").status_code == 401  # sessions are gone, no faults
