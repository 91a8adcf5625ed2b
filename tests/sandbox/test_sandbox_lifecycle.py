"""Create and delete, where each vendor documents them: Edmo, Invent, Autocalls."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from voiceops.sandbox import Sandbox, SandboxOptions
from voiceops.sandbox.invent import CREATES_PER_HOUR

CLINIC = "5f7b1b1b1b1b1b1b1b1b1b1b"

EDMO_MODEL = {"provider": "anthropic", "model": "claude-3-5-sonnet"}
AUTOCALLS_CREATE: dict[str, Any] = {
    "name": "Intake ES",
    "voice_id": 12,
    "language_id": 2,
    "type": "inbound",
    "mode": "multimodal",
    "multimodal_model_id": 1,
    "timezone": "Europe/Madrid",
    "initial_message": "Hola, ¿en qué puedo ayudarle?",
    "system_prompt": "Take the caller's details.",
}


class Clock:
    """A monotonic clock a test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# -- Edmo --------------------------------------------------------------------------


def test_edmo_create_read_update_delete(sb: Sandbox, edmo: httpx.Client) -> None:
    before = len(sb.assistants("edmo"))
    created = edmo.post("/assistants", json={"name": "Old Line", "model": EDMO_MODEL})
    assert created.status_code == 201, created.text
    body = created.json()
    assert re.fullmatch(r"asst_\d+", body["id"])
    assert body["name"] == "Old Line"
    assert body["model"] == EDMO_MODEL
    assert body["orgId"] == sb.assistant("edmo", "asst_123")["orgId"]
    assert {"createdAt", "updatedAt"} <= set(body)
    assert "externalId" not in body
    assert sb.requests("edmo", "POST")[-1].body == {"name": "Old Line", "model": EDMO_MODEL}
    assert len(sb.assistants("edmo")) == before + 1

    new_id = body["id"]
    assert edmo.get(f"/assistants/{new_id}").json() == body
    patched = edmo.patch(f"/assistants/{new_id}", json={"firstMessage": "Hello"})
    assert patched.status_code == 200
    assert patched.json()["firstMessage"] == "Hello"

    deleted = edmo.delete(f"/assistants/{new_id}")
    assert deleted.status_code == 200
    assert deleted.json() == {"success": True}
    assert edmo.get(f"/assistants/{new_id}").status_code == 404
    assert edmo.delete(f"/assistants/{new_id}").json() == {"error": "Assistant not found"}
    assert len(sb.assistants("edmo")) == before
    with pytest.raises(KeyError):
        sb.assistant("edmo", new_id)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"name": "No model"}, "model is required"),
        ({"model": {"provider": "openai"}}, "model.model is required"),
        ({"model": {"provider": "mistral", "model": "m"}}, "model.provider must be one of"),
        ({"model": EDMO_MODEL, "orgId": "org_x"}, "orgId is not a field"),
    ],
)
def test_edmo_invalid_create_is_400(
    sb: Sandbox, edmo: httpx.Client, body: dict[str, Any], fragment: str
) -> None:
    before = len(sb.assistants("edmo"))
    response = edmo.post("/assistants", json=body)
    assert response.status_code == 400
    assert set(response.json()) == {"error"}
    assert fragment in response.json()["error"]
    assert len(sb.assistants("edmo")) == before


def test_edmo_delete_of_unknown_or_other_orgs_assistant_is_404(
    sb: Sandbox, edmo: httpx.Client
) -> None:
    assert edmo.delete("/assistants/asst_nope").status_code == 404
    assert edmo.delete("/assistants/asst_999").status_code == 404  # another org's
    assert sb.assistant("edmo", "asst_999")["id"] == "asst_999"


def test_edmo_delete_by_external_id(sb: Sandbox, edmo: httpx.Client) -> None:
    external = sb.stored("edmo", "asst_456")["externalId"]
    assert edmo.delete(f"/assistants/{external}").json() == {"success": True}
    assert edmo.get("/assistants/asst_456").status_code == 404


def test_edmo_create_and_delete_need_the_cookie(
    sb: Sandbox, client_for: Callable[..., Any]
) -> None:
    anonymous = client_for(sb, "edmo")
    assert anonymous.post("/assistants", json={"model": EDMO_MODEL}).status_code == 401
    assert anonymous.delete("/assistants/asst_123").status_code == 401
    assert sb.assistant("edmo", "asst_123")["id"] == "asst_123"


# -- Invent ------------------------------------------------------------------------


def test_invent_create_read_update(sb: Sandbox, invent: httpx.Client) -> None:
    before = len(sb.assistants("invent", "org_main"))
    sent = {"name": "Concierge ES", "enabled": False, "config": {"language": "es"}}
    created = invent.post("/assistants", json=sent)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["id"].startswith("asst_")
    assert body["deleted"] is False
    assert body["name"] == "Concierge ES"
    assert body["enabled"] is False
    # The config sent is laid over the defaults.
    assert body["config"]["language"] == "es"
    assert body["config"]["stt"]["model"]
    assert sb.stored("invent", body["id"])["org_id"] == "org_main"
    assert sb.requests("invent", "POST")[-1].body == sent

    listed = invent.get("/assistants", params={"take": 100})
    assert body["id"] in [a["id"] for a in listed.json()]
    assert int(listed.headers["pagination-count"]) == before + 1
    assert invent.get(f"/assistants/{body['id']}").json() == body
    patched = invent.patch(f"/assistants/{body['id']}", json={"enabled": True})
    assert patched.status_code == 200
    assert patched.json()["enabled"] is True


def test_invent_create_with_only_a_name(invent: httpx.Client) -> None:
    body = invent.post("/assistants", json={"name": "x" * 1024}).json()
    assert body["enabled"] is True
    assert body["config"]["language"] == "auto"


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({}, "body must have required property 'name'"),
        ({"name": ""}, "body/name must NOT have fewer than 1 characters"),
        ({"name": "x" * 1025}, "body/name must NOT have more than 1024 characters"),
        ({"name": "A", "boards": []}, "body must NOT have additional properties (boards)"),
        ({"name": "A", "enabled": "yes"}, "body/enabled must be boolean"),
        ({"name": "A", "config": {"colour": 1}}, "additional properties (colour)"),
    ],
)
def test_invent_invalid_create_is_400(
    sb: Sandbox, invent: httpx.Client, body: dict[str, Any], fragment: str
) -> None:
    before = len(sb.assistants("invent"))
    response = invent.post("/assistants", json=body)
    assert response.status_code == 400
    error = response.json()
    assert error["statusCode"] == 400
    assert error["code"] == "FST_ERR_VALIDATION"
    assert fragment in error["message"]
    assert len(sb.assistants("invent")) == before


def test_invent_has_no_delete(sb: Sandbox, invent: httpx.Client) -> None:
    unknown = invent.get("/no-such-route")
    response = invent.delete("/assistants/asst_support")
    assert (response.status_code, response.json()) == (unknown.status_code, unknown.json())
    assert response.status_code == 404
    assert sb.assistant("invent", "asst_support")["id"] == "asst_support"


def test_invent_create_needs_the_key(sb: Sandbox, client_for: Callable[..., Any]) -> None:
    anonymous = client_for(sb, "invent")
    assert anonymous.post("/orgs/c/assistants", json={"name": "A"}).status_code == 401
    other = client_for(sb, "invent", sb.credentials["INVENT_API_KEY"])
    assert other.post("/orgs/org_other/assistants", json={"name": "A"}).status_code == 401


def test_invent_eleventh_create_in_an_hour_is_429(
    serve: Callable[..., Sandbox], client_for: Callable[..., httpx.Client]
) -> None:
    clock = Clock()
    sb = serve(clock=clock)
    client = client_for(sb, "invent", sb.credentials["INVENT_API_KEY"])
    before = len(sb.assistants("invent"))
    for minute in range(CREATES_PER_HOUR):
        clock.now += 60
        assert client.post("/orgs/c/assistants", json={"name": f"A{minute}"}).status_code == 201
    # A refused validation does not count, a refused create is not stored.
    assert client.post("/orgs/c/assistants", json={}).status_code == 400
    refused = client.post("/orgs/c/assistants", json={"name": "Eleventh"})
    assert refused.status_code == 429
    assert refused.json()["statusCode"] == 429
    # The first create ages out an hour after it was made: 9 minutes from now.
    assert int(refused.headers["Retry-After"]) == 3600 - 9 * 60
    assert len(sb.assistants("invent")) == before + CREATES_PER_HOUR
    assert sb.requests("invent", "POST")[-1].status == 429

    # Reads and updates are not creates.
    assert client.get("/orgs/c/assistants/asst_support").status_code == 200
    clock.now += 3600 - 9 * 60 - 1
    assert client.post("/orgs/c/assistants", json={"name": "Still"}).status_code == 429
    clock.now += 1
    assert client.post("/orgs/c/assistants", json={"name": "Eleventh"}).status_code == 201
    assert client.post("/orgs/c/assistants", json={"name": "Twelfth"}).status_code == 429


def test_invent_create_limit_is_per_org(
    serve: Callable[..., Sandbox], client_for: Callable[..., httpx.Client]
) -> None:
    sb = serve(clock=Clock())
    keys = sb.snapshot()["invent"]["keys"]
    other_key = next(k for k, org in keys.items() if org != "org_main")
    mine = client_for(sb, "invent", sb.credentials["INVENT_API_KEY"])
    theirs = client_for(sb, "invent", other_key)
    for n in range(CREATES_PER_HOUR):
        assert mine.post("/orgs/c/assistants", json={"name": f"A{n}"}).status_code == 201
    assert mine.post("/orgs/c/assistants", json={"name": "B"}).status_code == 429
    assert theirs.post("/orgs/c/assistants", json={"name": "B"}).status_code == 201
    sb.reset_rate_limits()
    assert mine.post("/orgs/c/assistants", json={"name": "C"}).status_code == 201


# -- Autocalls ---------------------------------------------------------------------


def test_autocalls_create_read_update_delete(sb: Sandbox, autocalls: httpx.Client) -> None:
    before = len(sb.assistants("autocalls", account=1))
    created = autocalls.post("/assistant", json=AUTOCALLS_CREATE)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["message"] == "Assistant created successfully"
    new_id = body["data"]["id"]
    assert isinstance(new_id, int)
    assert new_id > 129
    assert body["data"] == {
        "id": new_id,
        "name": "Intake ES",
        "status": "active",
        "type": "inbound",
        "mode": "multimodal",
    }
    assert sb.requests("autocalls", "POST")[-1].body == AUTOCALLS_CREATE
    assert sb.stored("autocalls", new_id)["multimodal_model_id"] == 1
    assert len(sb.assistants("autocalls", account=1)) == before + 1

    listed = autocalls.get("/assistants/get", params={"per_page": 100}).json()["data"]
    shown = next(a for a in listed if a["id"] == new_id)
    assert shown["name"] == "Intake ES"
    assert shown["user_id"] == 1
    updated = autocalls.put(f"/assistant/{new_id}", json={"name": "Intake"})
    assert updated.status_code == 200
    assert sb.assistant("autocalls", new_id)["name"] == "Intake"

    deleted = autocalls.delete(f"/assistant/{new_id}")
    assert deleted.status_code == 200
    assert deleted.json()["message"]
    listed = autocalls.get("/assistants/get", params={"per_page": 100}).json()["data"]
    assert new_id not in [a["id"] for a in listed]
    assert autocalls.put(f"/assistant/{new_id}", json={"name": "x"}).status_code == 404
    assert autocalls.delete(f"/assistant/{new_id}").status_code == 404
    assert len(sb.assistants("autocalls", account=1)) == before
    assert sb.stored("autocalls", new_id)["deleted_at"] is not None  # kept, soft-deleted


def test_autocalls_ids_are_not_reused(autocalls: httpx.Client) -> None:
    first = autocalls.post("/assistant", json=AUTOCALLS_CREATE).json()["data"]["id"]
    assert autocalls.delete(f"/assistant/{first}").status_code == 200
    again = autocalls.post("/assistant", json=AUTOCALLS_CREATE).json()
    assert again["data"]["id"] == first + 1


def test_autocalls_create_missing_required_fields_is_422(
    sb: Sandbox, autocalls: httpx.Client
) -> None:
    before = len(sb.assistants("autocalls"))
    body = {**AUTOCALLS_CREATE, "initial_message": "", "voice_id": None}
    del body["name"]
    response = autocalls.post("/assistant", json=body)
    assert response.status_code == 422
    error = response.json()
    assert error["errors"] == {
        "name": ["The name field is required."],
        "voice_id": ["The voice id field is required."],
        "initial_message": ["The initial message field is required."],
    }
    assert error["message"] == "The name field is required. (and 2 more errors)"
    assert len(sb.assistants("autocalls")) == before


@pytest.mark.parametrize(
    ("extra", "errors"),
    [
        (
            {"is_webhook_active": True},
            {"webhook_url": ["The webhook url field is required when is webhook active is true."]},
        ),
        (
            {"type": "both"},
            {"type": ["The selected type is invalid."]},
        ),
        (
            {"max_duration": 5},
            {"max_duration": ["The max duration field must be between 20 and 1200."]},
        ),
        (
            {"allow_interruptions": False},
            {
                "allow_interruptions": [
                    "Interruptions cannot be disabled in multimodal or dualplex mode."
                ]
            },
        ),
    ],
)
def test_autocalls_invalid_create_is_422(
    autocalls: httpx.Client, extra: dict[str, Any], errors: dict[str, list[str]]
) -> None:
    response = autocalls.post("/assistant", json={**AUTOCALLS_CREATE, **extra})
    assert response.status_code == 422
    assert response.json()["errors"] == errors


def test_autocalls_webhook_when_active(sb: Sandbox, autocalls: httpx.Client) -> None:
    body = {**AUTOCALLS_CREATE, "is_webhook_active": True, "webhook_url": "https://h.example/x"}
    new_id = autocalls.post("/assistant", json=body).json()["data"]["id"]
    assert sb.assistant("autocalls", new_id)["webhook_url"] == "https://h.example/x"


def test_autocalls_delete_of_unknown_or_other_users_assistant_is_404(
    sb: Sandbox, client_for: Callable[..., httpx.Client]
) -> None:
    other = client_for(sb, "autocalls", "sandbox-autocalls-other-token")
    assert other.delete("/user/assistant/127").status_code == 404
    assert other.delete("/user/assistant/99999").status_code == 404
    assert other.delete("/user/assistant/abc").status_code == 404
    assert sb.stored("autocalls", 127)["deleted_at"] is None


def test_autocalls_create_and_delete_need_the_token(
    sb: Sandbox, client_for: Callable[..., httpx.Client]
) -> None:
    anonymous = client_for(sb, "autocalls")
    response = anonymous.post("/user/assistant", json=AUTOCALLS_CREATE)
    assert (response.status_code, response.json()) == (401, {"message": "Unauthenticated."})
    assert anonymous.delete("/user/assistant/127").status_code == 401
    assert sb.stored("autocalls", 127)["deleted_at"] is None


# -- Interactly and persistence ---------------------------------------------------


def test_interactly_has_no_create_or_delete(sb: Sandbox, interactly: httpx.Client) -> None:
    unknown = interactly.get("/no/such/route")
    for response in (interactly.post("", json={"name": "X"}), interactly.delete(f"/{CLINIC}")):
        assert (response.status_code, response.json()) == (unknown.status_code, unknown.json())
    assert unknown.status_code == 404
    assert sb.assistant("interactly", CLINIC)["_id"] == CLINIC


def test_state_file_keeps_creates_and_deletes(
    tmp_path: Path, serve: Callable[..., Sandbox], client_for: Callable[..., httpx.Client]
) -> None:
    state = tmp_path / "sandbox.json"
    sb = serve(state_file=state)
    autocalls = client_for(sb, "autocalls", sb.credentials["AUTOCALLS_TOKEN"])
    new_id = autocalls.post("/user/assistant", json=AUTOCALLS_CREATE).json()["data"]["id"]
    assert autocalls.delete("/user/assistant/128").status_code == 200
    invent = client_for(sb, "invent", sb.credentials["INVENT_API_KEY"])
    invent_id = invent.post("/orgs/c/assistants", json={"name": "Kept"}).json()["id"]
    edmo = client_for(sb, "edmo")
    creds = sb.credentials
    edmo.post(
        "/auth/login", json={"email": creds["EDMO_EMAIL"], "password": creds["EDMO_PASSWORD"]}
    )
    assert edmo.delete("/assistants/asst_123").status_code == 200
    saved = json.loads(state.read_text())
    assert "asst_123" not in [a["id"] for a in saved["edmo"]["assistants"]]

    reloaded = Sandbox(SandboxOptions(state_file=state))
    assert reloaded.assistant("autocalls", new_id)["name"] == "Intake ES"
    assert 128 not in [a["id"] for a in reloaded.assistants("autocalls")]
    assert reloaded.assistant("invent", invent_id)["name"] == "Kept"
    assert "asst_123" not in [a["id"] for a in reloaded.assistants("edmo")]
