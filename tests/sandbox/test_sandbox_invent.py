from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from voiceops.sandbox import Sandbox

READ_KEYS = {
    "id",
    "name",
    "enabled",
    "deleted",
    "secret_key",
    "avatar_url",
    "config",
    "integrations",
    "actions",
    "boards",
    "created_at",
    "updated_at",
}


def test_read_shape(invent: httpx.Client) -> None:
    response = invent.get("/assistants/asst_support")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == READ_KEYS
    assert body["config"]["conversation"]["enable_update_contact_tool"] is True
    assert body["secret_key"].startswith("sk_sandbox_")


@pytest.mark.parametrize("org", ["c", "org_main"])
def test_current_org_alias_and_own_org_id(sb: Sandbox, org: str) -> None:
    url = f"{sb.base_urls['invent']}/orgs/{org}/assistants/asst_support"
    token = sb.credentials["INVENT_API_KEY"]
    response = httpx.get(url, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("org", "token"),
    [
        ("c", None),
        ("c", "not-a-key"),
        ("org_partner", "sandbox-invent-key"),  # a valid key, but for another org
    ],
)
def test_auth_failures_are_401(sb: Sandbox, org: str, token: str | None) -> None:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    base = f"{sb.base_urls['invent']}/orgs/{org}/assistants"
    for response in (
        httpx.get(base, headers=headers),
        httpx.get(f"{base}/asst_support", headers=headers),
        httpx.patch(f"{base}/asst_support", headers=headers, json={"name": "x"}),
    ):
        assert response.status_code == 401
        body = response.json()
        assert body["statusCode"] == 401
        assert body["error"] == "Unauthorized"


@pytest.mark.parametrize("assistant_id", ["asst_missing", "asst_partner_desk"])
def test_unknown_or_other_orgs_assistant_is_404(invent: httpx.Client, assistant_id: str) -> None:
    for response in (
        invent.get(f"/assistants/{assistant_id}"),
        invent.patch(f"/assistants/{assistant_id}", json={"name": "x"}),
    ):
        assert response.status_code == 404
        assert response.json()["statusCode"] == 404


def test_list_is_paginated_with_headers(invent: httpx.Client) -> None:
    first = invent.get("/assistants")
    assert first.status_code == 200
    assert len(first.json()) == 10
    assert first.headers["pagination-count"] == "12"
    assert first.headers["pagination-page"] == "1"
    assert first.headers["pagination-take"] == "10"
    second = invent.get("/assistants", params={"page": 2})
    assert len(second.json()) == 2
    assert second.headers["pagination-page"] == "2"
    ids = [a["id"] for a in first.json() + second.json()]
    assert len(set(ids)) == 12
    assert "asst_partner_desk" not in ids
    assert all(set(a) == READ_KEYS for a in first.json())


def test_list_page_size_and_end(invent: httpx.Client) -> None:
    page = invent.get("/assistants", params={"page": 3, "take": 5})
    assert [a["id"] for a in page.json()] == ["asst_feedback", "asst_status"]
    assert page.headers["pagination-take"] == "5"
    assert invent.get("/assistants", params={"page": 9, "take": 5}).json() == []
    assert len(invent.get("/assistants", params={"take": 100}).json()) == 12


@pytest.mark.parametrize("params", [{"take": 101}, {"take": 0}, {"page": 0}, {"page": "x"}])
def test_bad_pagination_is_400(invent: httpx.Client, params: dict[str, Any]) -> None:
    response = invent.get("/assistants", params=params)
    assert response.status_code == 400
    assert response.json()["statusCode"] == 400


def test_patch_is_partial_and_answers_the_assistant(invent: httpx.Client, sb: Sandbox) -> None:
    before = sb.assistant("invent", "asst_support")
    response = invent.patch("/assistants/asst_support", json={"enabled": False})
    assert response.status_code == 200
    after = response.json()
    assert after == sb.assistant("invent", "asst_support")
    assert after["enabled"] is False
    assert after["updated_at"] > before["updated_at"]
    same = READ_KEYS - {"enabled", "updated_at"}
    assert {k: after[k] for k in same} == {k: before[k] for k in same}


def test_an_update_replaces_the_five_config_keys_and_keeps_the_create_only_ones(
    invent: httpx.Client,
) -> None:
    before = invent.get("/assistants/asst_support").json()["config"]
    response = invent.patch("/assistants/asst_support", json={"config": {"model": "gpt-4o"}})
    assert response.status_code == 200, response.text
    after = response.json()["config"]
    # The newest update page lists instructions, language, model, knowledge_scope and
    # timezone: sent together, so one left out is gone; stt, tts, conversation stay.
    assert after == {
        "model": "gpt-4o",
        "stt": before["stt"],
        "tts": before["tts"],
        "conversation": before["conversation"],
    }


@pytest.mark.parametrize("key", ["stt", "tts", "conversation"])
def test_an_update_refuses_the_keys_only_create_takes(invent: httpx.Client, key: str) -> None:
    response = invent.patch("/assistants/asst_support", json={"config": {key: {}}})
    assert response.status_code == 400
    assert f"must NOT have additional properties ({key})" in response.json()["message"]


def test_boards_are_written_as_ids_and_read_as_links(invent: httpx.Client) -> None:
    boards = [{"board_id": "brd_1", "initial_segment_id": "seg_1"}, {"board_id": "brd_2"}]
    response = invent.patch("/assistants/asst_support", json={"boards": boards})
    assert response.status_code == 200, response.text
    shown = response.json()["boards"]
    assert [b["board_id"] for b in shown] == ["brd_1", "brd_2"]
    assert shown[0]["initial_segment"]["id"] == "seg_1"
    assert shown[1]["initial_segment"] is None
    assert {"id", "board_name", "created_at", "updated_at"} <= set(shown[0])


def test_a_soft_deleted_assistant_is_read_by_id_but_gone_otherwise(
    invent: httpx.Client, sb: Sandbox
) -> None:
    sb.edit("invent", "asst_support", {"deleted": True})
    read = invent.get("/assistants/asst_support")
    assert read.status_code == 200
    assert read.json()["deleted"] is True
    assert "asst_support" not in [a["id"] for a in invent.get("/assistants").json()]
    assert invent.patch("/assistants/asst_support", json={"enabled": False}).status_code == 404


def test_avatar_id_shows_as_avatar_url(invent: httpx.Client) -> None:
    body = invent.patch("/assistants/asst_support", json={"avatar_id": "file_new"}).json()
    assert body["avatar_url"].endswith("/file_new.png")
    assert "avatar_id" not in body
    cleared = invent.patch("/assistants/asst_support", json={"avatar_id": None}).json()
    assert cleared["avatar_url"] is None


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"name": ""}, "body/name must NOT have fewer than 1 characters"),
        ({"name": "x" * 1025}, "body/name must NOT have more than 1024 characters"),
        ({"name": 5}, "body/name must be string"),
        ({"enabled": "yes"}, "body/enabled must be boolean"),
        ({"config": {"model": 1}}, "body/config/model must be string"),
        ({"boards": [{"initial_segment_id": "s"}]}, "must have required property 'board_id'"),
        ({"boards": [{"board_id": "b", "x": 1}]}, "must NOT have additional properties (x)"),
        ({"config": []}, "body/config must be object"),
        ({"secret_key": "sk_mine"}, "body must NOT have additional properties (secret_key)"),
        ({"color": "red"}, "body must NOT have additional properties (color)"),
    ],
)
def test_invalid_updates_are_400(
    invent: httpx.Client, sb: Sandbox, body: dict[str, Any], fragment: str
) -> None:
    before = sb.stored("invent", "asst_support")
    response = invent.patch("/assistants/asst_support", json=body)
    assert response.status_code == 400
    error = response.json()
    assert error["statusCode"] == 400
    assert error["error"] == "Bad Request"
    assert fragment in error["message"]
    assert sb.stored("invent", "asst_support") == before


def test_name_of_1024_characters_is_accepted(invent: httpx.Client) -> None:
    assert invent.patch("/assistants/asst_support", json={"name": "x" * 1024}).status_code == 200


def test_rate_limit_answers_429_past_the_limit(
    serve: Callable[..., Sandbox], client_for: Callable[..., httpx.Client]
) -> None:
    sb = serve(invent_rate_per_minute=3)
    client = client_for(sb, "invent", sb.credentials["INVENT_API_KEY"])
    statuses = [client.get("/orgs/c/assistants/asst_support").status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    limited = client.get("/orgs/c/assistants/asst_support")
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1
    assert limited.json()["statusCode"] == 429
    assert [r.status for r in sb.requests("invent")][-1] == 429

    # Only Invent is limited, and the window can be reset.
    interactly = client_for(sb, "interactly", sb.credentials["INTERACTLY_API_KEY"])
    assert interactly.get("/assistants/v1/assistants/5f7b1b1b1b1b1b1b1b1b1b1b").status_code == 200
    sb.reset_rate_limits()
    assert client.get("/orgs/c/assistants/asst_support").status_code == 200
