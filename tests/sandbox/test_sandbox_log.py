from __future__ import annotations

import httpx

from voiceops.sandbox import RecordedRequest, Sandbox

CLINIC = "5f7b1b1b1b1b1b1b1b1b1b1b"


def test_requests_are_logged_with_credentials_redacted(
    sb: Sandbox, interactly: httpx.Client, edmo: httpx.Client
) -> None:
    interactly.patch(f"/{CLINIC}", json={"name": "Logged"})
    edmo.get("/assistants/asst_123", params={"verbose": "1"})

    patch = sb.requests("interactly", "patch")[0]
    assert isinstance(patch, RecordedRequest)
    assert (patch.method, patch.path, patch.status, patch.fault) == (
        "PATCH",
        f"/assistants/v1/assistants/{CLINIC}",
        200,
        None,
    )
    assert patch.body == {"name": "Logged"}
    assert patch.headers["authorization"] == "<redacted>"
    assert "sandbox-interactly-key" not in repr(patch)

    login, read = sb.requests("edmo")
    assert login.path == "/auth/login"
    assert login.body == {"email": "<redacted>", "password": "<redacted>"}
    assert read.headers["cookie"] == "<redacted>"
    assert read.query == {"verbose": "1"}
    assert read.body is None


def test_filters_and_clear(sb: Sandbox, interactly: httpx.Client, invent: httpx.Client) -> None:
    interactly.get(f"/{CLINIC}")
    invent.get("/assistants")
    invent.patch("/assistants/asst_support", json={"enabled": True})
    assert [r.vendor for r in sb.requests()] == ["interactly", "invent", "invent"]
    assert len(sb.requests(vendor="invent", method="GET")) == 1
    assert sb.requests(method="PATCH")[0].vendor == "invent"
    sb.clear_requests()
    assert sb.requests() == []


def test_errors_and_non_json_bodies_are_logged(sb: Sandbox, interactly: httpx.Client) -> None:
    interactly.patch(f"/{CLINIC}", content=b"plain text")
    interactly.get("/000000000000000000000000")
    bad, missing = sb.requests("interactly")
    assert (bad.status, bad.body) == (400, "plain text")
    assert missing.status == 404


def test_secret_values_in_bodies_are_not_logged(sb: Sandbox, interactly: httpx.Client) -> None:
    server = {
        "url": "https://hooks.example.com/x",
        "secret": "logged-nowhere-secret",
        "headers": {"X-Api": "logged-nowhere-header"},
    }
    interactly.patch(f"/{CLINIC}", json={"name": "Logged", "assistantServer": server})
    patch = sb.requests("interactly", "patch")[0]
    assert patch.body == {
        "name": "Logged",
        "assistantServer": {
            "url": "https://hooks.example.com/x",
            "secret": "<redacted>",
            "headers": {"X-Api": "<redacted>"},
        },
    }
    assert "logged-nowhere" not in repr(sb.requests())
    # The vendor stand-in itself stored the real values.
    assert sb.stored("interactly", CLINIC)["assistantServer"]["secret"] == "logged-nowhere-secret"
