from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from voiceops.sandbox import Sandbox

EXTERNAL_ID = "3c1e9a52-7f0b-4d6e-9a11-5b2f8c0d7e41"
Login = Callable[[httpx.Client, Sandbox], httpx.Response]


def test_login_sets_an_http_only_cookie(sb: Sandbox, edmo_login: Login) -> None:
    with httpx.Client(base_url=sb.base_urls["edmo"]) as client:
        response = edmo_login(client, sb)
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("auth-token=")
        assert "HttpOnly" in cookie
        assert "Path=/" in cookie
        assert client.get("/assistants/asst_123").status_code == 200


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"email": "ops@example.com", "password": "wrong"}, 401),
        ({"email": "nobody@example.com", "password": "sandbox-edmo-password"}, 401),
        ({"email": "ops@example.com"}, 400),
        ({}, 400),
    ],
)
def test_bad_login(sb: Sandbox, body: dict[str, Any], status: int) -> None:
    response = httpx.post(sb.base_urls["edmo"] + "/auth/login", json=body)
    assert response.status_code == status
    assert set(response.json()) == {"error"}
    assert "set-cookie" not in response.headers


@pytest.mark.parametrize("cookie", [None, "not-a-session"])
def test_requests_without_a_session_are_401(sb: Sandbox, cookie: str | None) -> None:
    cookies = {"auth-token": cookie} if cookie else None
    with httpx.Client(base_url=sb.base_urls["edmo"], cookies=cookies) as client:
        for response in (
            client.get("/assistants/asst_123"),
            client.patch("/assistants/asst_123", json={"name": "x"}),
        ):
            assert response.status_code == 401
            assert response.json() == {"error": "Not authenticated"}


def test_read_by_own_or_external_id(edmo: httpx.Client) -> None:
    own = edmo.get("/assistants/asst_123").json()
    external = edmo.get(f"/assistants/{EXTERNAL_ID}").json()
    assert own == external
    assert own["id"] == "asst_123"
    assert own["orgId"] == "org_abc"
    assert "externalId" not in own
    assert own["model"] == {
        "provider": "openai",
        "model": "gpt-4o",
        "temperature": 0.7,
        "maxTokens": 1024,
    }


@pytest.mark.parametrize("assistant_id", ["asst_nope", "asst_999"])  # asst_999: another org
def test_unknown_or_other_orgs_assistant_is_404(edmo: httpx.Client, assistant_id: str) -> None:
    for response in (
        edmo.get(f"/assistants/{assistant_id}"),
        edmo.patch(f"/assistants/{assistant_id}", json={"name": "x"}),
    ):
        assert response.status_code == 404
        assert response.json() == {"error": "Assistant not found"}


def test_expired_sessions_need_a_new_login(
    sb: Sandbox, edmo: httpx.Client, edmo_login: Login
) -> None:
    assert edmo.get("/assistants/asst_123").status_code == 200
    sb.expire_sessions()
    assert edmo.get("/assistants/asst_123").status_code == 401
    edmo_login(edmo, sb)
    assert edmo.get("/assistants/asst_123").status_code == 200


def test_sessions_expire_after_the_ttl(
    serve: Callable[..., Sandbox], edmo_login: Login, client_for: Callable[..., httpx.Client]
) -> None:
    sb = serve(login_ttl_s=0.05)
    client = client_for(sb, "edmo")
    edmo_login(client, sb)
    time.sleep(0.2)
    assert client.get("/assistants/asst_123").status_code == 401
    edmo_login(client, sb)
    time.sleep(0.2)
    assert client.patch("/assistants/asst_123", json={"name": "x"}).status_code == 401


def test_patch_is_partial(edmo: httpx.Client, sb: Sandbox) -> None:
    before = sb.assistant("edmo", "asst_123")
    response = edmo.patch("/assistants/asst_123", json={"firstMessage": "Hello there"})
    assert response.status_code == 200
    after = response.json()
    assert after["firstMessage"] == "Hello there"
    assert after["updatedAt"] > before["updatedAt"]
    same = set(before) - {"firstMessage", "updatedAt"}
    assert {k: after[k] for k in same} == {k: before[k] for k in same}


def test_patch_through_the_external_id(edmo: httpx.Client, sb: Sandbox) -> None:
    response = edmo.patch(f"/assistants/{EXTERNAL_ID}", json={"maxDurationSeconds": 600})
    assert response.status_code == 200
    assert sb.assistant("edmo", "asst_123")["maxDurationSeconds"] == 600


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("model", {"provider": "openai", "model": "gpt-4o"}),
        ("voice", {"voiceId": "echo"}),
        ("transcriber", {"provider": "whisper"}),
        ("metadata", {"only": "this"}),
    ],
)
def test_nested_objects_are_replaced_whole(
    edmo: httpx.Client, sb: Sandbox, field: str, value: dict[str, Any]
) -> None:
    response = edmo.patch("/assistants/asst_123", json={field: value})
    assert response.status_code == 200, response.text
    assert response.json()[field] == value
    assert sb.assistant("edmo", "asst_123")[field] == value


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"model": {"model": "gpt-4o"}}, "model.provider is required"),
        ({"model": {"provider": "openai"}}, "model.model is required"),
        ({"model": {"provider": "mistral", "model": "x"}}, "model.provider must be one of"),
        ({"model": {"provider": "openai", "model": "x", "temperature": 2.5}}, "between 0 and 2"),
        ({"model": {"provider": "openai", "model": "x", "temperature": -0.1}}, "between 0 and 2"),
        ({"model": {"provider": "openai", "model": "x", "maxTokens": 1.5}}, "maxTokens"),
        ({"model": None}, "model must be an object"),
        ({"voice": {"provider": "polly", "voiceId": "x"}}, "voice.provider must be one of"),
        ({"transcriber": {"provider": "google"}}, "transcriber.provider must be one of"),
        ({"firstMessageMode": "shout"}, "firstMessageMode must be one of"),
        ({"maxDurationSeconds": "long"}, "maxDurationSeconds must be an integer"),
        ({"endCallPhrases": ["bye", 2]}, "endCallPhrases.1 must be a string"),
        ({"name": None}, "name must be a string"),
        ({"colour": "blue"}, "colour is not a field"),
        ({"orgId": "org_other"}, "orgId is not a field"),
    ],
)
def test_invalid_updates_are_400(
    edmo: httpx.Client, sb: Sandbox, body: dict[str, Any], fragment: str
) -> None:
    before = sb.stored("edmo", "asst_123")
    response = edmo.patch("/assistants/asst_123", json=body)
    assert response.status_code == 400
    assert set(response.json()) == {"error"}
    assert fragment in response.json()["error"]
    assert sb.stored("edmo", "asst_123") == before


def test_nullable_fields_accept_null(edmo: httpx.Client) -> None:
    nulls = {
        "firstMessage": None,
        "firstMessageMode": None,
        "voicemailMessage": None,
        "endCallMessage": None,
        "endCallPhrases": None,
        "metadata": None,
        "maxDurationSeconds": None,
    }
    response = edmo.patch("/assistants/asst_123", json=nulls)
    assert response.status_code == 200, response.text
    assert {k: response.json()[k] for k in nulls} == nulls
