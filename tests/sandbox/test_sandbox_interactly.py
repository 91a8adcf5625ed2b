from __future__ import annotations

from typing import Any

import httpx
import pytest

from voiceops.sandbox import Sandbox

CLINIC = "5f7b1b1b1b1b1b1b1b1b1b1b"
TRIAGE = "6a1c2e3f4b5d6e7f8a9b0c1d"  # endCall false, provider azure / gpt-4o
OTHER_TEAM = "7c0d4e4e4e4e4e4e4e4e4e4e"


def test_get_returns_the_full_assistant(interactly: httpx.Client) -> None:
    response = interactly.get(f"/{CLINIC}")
    assert response.status_code == 200
    body = response.json()
    assert body["_id"] == CLINIC
    assert body["teamId"] == "1f7b1b1b1b1b1b1b1b1b1b1b"
    assert body["maxCallDuration"] == 30
    assert body["assistantServer"]["secret"] == "sandbox-webhook-secret"
    assert {"createdAt", "updatedAt", "config", "assistantPredefinedTools"} <= body.keys()


@pytest.mark.parametrize("auth", [None, "Bearer wrong-key", "Basic abc", "Bearer"])
def test_missing_or_bad_key_is_401(sb: Sandbox, auth: str | None) -> None:
    headers = {"Authorization": auth} if auth else {}
    url = f"{sb.base_urls['interactly']}/assistants/v1/assistants/{CLINIC}"
    response = httpx.get(url, headers=headers)
    assert response.status_code == 401
    assert response.json() == {"statusCode": 401, "message": "Unauthorized"}


@pytest.mark.parametrize("assistant_id", ["000000000000000000000000", OTHER_TEAM])
def test_unknown_or_other_teams_assistant_is_404(
    interactly: httpx.Client, assistant_id: str
) -> None:
    for response in (
        interactly.get(f"/{assistant_id}"),
        interactly.patch(f"/{assistant_id}", json={"name": "x"}),
    ):
        assert response.status_code == 404
        assert response.json()["statusCode"] == 404
        assert response.json()["error"] == "Not Found"


def test_patch_without_name_is_rejected(interactly: httpx.Client, sb: Sandbox) -> None:
    before = sb.stored("interactly", CLINIC)
    response = interactly.patch(f"/{CLINIC}", json={"idleTimeout": 40})
    assert response.status_code == 400
    body = response.json()
    assert body["statusCode"] == 400
    assert body["error"] == "Bad Request"
    assert "name should not be empty" in body["message"]
    assert sb.stored("interactly", CLINIC) == before


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"maxCallDuration": 900}, "maxCallDuration must not be greater than 120"),
        ({"maxCallDuration": 0}, "maxCallDuration must not be less than 1"),
        ({"maxCallDuration": 30.5}, "maxCallDuration must be an integer number"),
        ({"idleTimeout": 4}, "idleTimeout must not be less than 5"),
        ({"idleTimeout": 601}, "idleTimeout must not be greater than 600"),
        ({"maxIdleMessagesInSequence": 6}, "maxIdleMessagesInSequence must not be greater than 5"),
        ({"backgroundSoundVolume": 0}, "backgroundSoundVolume must not be less than 1"),
        ({"backgroundSoundVolume": 101}, "backgroundSoundVolume must not be greater than 100"),
        ({"backgroundSound": "http://sounds.example.com/a.mp3"}, "backgroundSound must be"),
        ({"backgroundSound": "https://s.example.com/" + "a" * 990}, "1000 characters"),
        ({"welcomeMessageMode": "whenever"}, "welcomeMessageMode must be one of"),
        ({"assistantProvider": "mistral"}, "assistantProvider must be one of"),
        ({"dtmfInputEnabled": "yes"}, "dtmfInputEnabled must be a boolean value"),
        ({"hints": ["ok", 3]}, "each value in hints must be a string"),
        ({"assistantServer": {"timeoutSeconds": "20"}}, "assistantServer.timeoutSeconds"),
        ({"config": {"speech": {"ttsData": [{"voice": 7}]}}}, "config.speech.ttsData.0.voice"),
        ({"colour": "blue"}, "property colour should not exist"),
        ({"_id": CLINIC}, "property _id should not exist"),
        ({"updatedAt": "2024-01-01T00:00:00.000Z"}, "property updatedAt should not exist"),
    ],
)
def test_invalid_values_are_400(
    interactly: httpx.Client, sb: Sandbox, changes: dict[str, Any], fragment: str
) -> None:
    before = sb.stored("interactly", CLINIC)
    response = interactly.patch(f"/{CLINIC}", json={"name": "Clinic Intake", **changes})
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["statusCode"] == 400
    assert body["error"] == "Bad Request"
    assert isinstance(body["message"], list)
    assert any(fragment in m for m in body["message"]), body["message"]
    assert sb.stored("interactly", CLINIC) == before


@pytest.mark.parametrize(
    "changes",
    [
        {"maxCallDuration": 120},
        {"maxCallDuration": 1},
        {"idleTimeout": 5},
        {"idleTimeout": 600},
        {"backgroundSound": "https://sounds.example.com/rain.mp3"},
        {"backgroundSound": "enable"},
        {"backgroundSoundVolume": 100},
        {"callForwardData": [{"phoneNumber": "+15550123", "extension": "", "name": "desk"}]},
        {"idleTimeout": 20.0},
    ],
)
def test_boundary_values_are_accepted(
    interactly: httpx.Client, sb: Sandbox, changes: dict[str, Any]
) -> None:
    response = interactly.patch(f"/{CLINIC}", json={"name": "Clinic Intake", **changes})
    assert response.status_code == 200, response.text
    for key, value in changes.items():
        assert sb.stored("interactly", CLINIC)[key] == value


def test_end_call_fields_need_end_call_enabled_after_the_update(interactly: httpx.Client) -> None:
    rejected = interactly.patch(f"/{TRIAGE}", json={"name": "T", "endCallMessage": "Bye"})
    assert rejected.status_code == 400
    assert any("endCall" in m for m in rejected.json()["message"])

    tools = interactly.get(f"/{TRIAGE}").json()["assistantPredefinedTools"]
    accepted = interactly.patch(
        f"/{TRIAGE}",
        json={
            "name": "T",
            "endCallMessage": "Bye",
            "assistantPredefinedTools": {**tools, "endCall": True},
        },
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["endCallMessage"] == "Bye"


def test_turning_end_call_off_keeps_stored_end_call_fields_valid(
    interactly: httpx.Client,
) -> None:
    tools = interactly.get(f"/{CLINIC}").json()["assistantPredefinedTools"]
    response = interactly.patch(
        f"/{CLINIC}",
        json={"name": "Clinic Intake", "assistantPredefinedTools": {**tools, "endCall": False}},
    )
    assert response.status_code == 200


def test_knowledge_base_ids_need_knowledge_base_enabled(interactly: httpx.Client) -> None:
    response = interactly.patch(
        f"/{CLINIC}", json={"name": "Clinic Intake", "assistantKnowledgeBaseIds": ["kb_1"]}
    )
    assert response.status_code == 400
    assert any("knowledgeBase" in m for m in response.json()["message"])


def test_model_must_belong_to_the_resulting_provider(interactly: httpx.Client) -> None:
    rejected = interactly.patch(f"/{CLINIC}", json={"name": "C", "assistantProvider": "gemini"})
    assert rejected.status_code == 400
    accepted = interactly.patch(
        f"/{CLINIC}",
        json={"name": "C", "assistantProvider": "gemini", "assistantModel": "gemini-1.5-flash"},
    )
    assert accepted.status_code == 200


def test_llm_url_only_with_custom_llm(interactly: httpx.Client) -> None:
    url = "https://llm.example.com"
    rejected = interactly.patch(f"/{CLINIC}", json={"name": "C", "assistantLLMUrl": url})
    assert rejected.status_code == 400
    accepted = interactly.patch(
        f"/{CLINIC}",
        json={"name": "C", "assistantLLMUrl": url, "assistantProvider": "custom-llm"},
    )
    assert accepted.status_code == 200


def test_patch_changes_only_sent_fields(interactly: httpx.Client, sb: Sandbox) -> None:
    before = sb.assistant("interactly", CLINIC)
    response = interactly.patch(
        f"/{CLINIC}", json={"name": "Clinic Intake", "assistantTemperature": 0.2}
    )
    assert response.status_code == 200
    after = response.json()
    assert after == sb.assistant("interactly", CLINIC)
    assert after["assistantTemperature"] == 0.2
    assert after["updatedAt"] > before["updatedAt"]
    unchanged = {k for k in before if k not in ("assistantTemperature", "updatedAt")}
    assert {k: after[k] for k in unchanged} == {k: before[k] for k in unchanged}


def test_nested_object_is_replaced_whole(interactly: httpx.Client) -> None:
    response = interactly.patch(
        f"/{CLINIC}",
        json={"name": "Clinic Intake", "assistantServer": {"url": "https://new.example.com"}},
    )
    assert response.status_code == 200
    assert response.json()["assistantServer"] == {"url": "https://new.example.com"}
    assert "secret" not in interactly.get(f"/{CLINIC}").json()["assistantServer"]


def test_updated_at_moves_on_every_change(interactly: httpx.Client) -> None:
    stamps = [
        interactly.patch(f"/{CLINIC}", json={"name": f"Clinic {i}"}).json()["updatedAt"]
        for i in range(5)
    ]
    assert stamps == sorted(stamps)
    assert len(set(stamps)) == len(stamps)


def test_malformed_json_is_400(interactly: httpx.Client) -> None:
    response = interactly.patch(
        f"/{CLINIC}", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["statusCode"] == 400


def test_unknown_route_uses_the_vendor_envelope(interactly: httpx.Client) -> None:
    response = interactly.get("/")
    assert response.status_code == 404
    assert response.json()["statusCode"] == 404
