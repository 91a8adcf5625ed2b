"""Faults scoped to routes: a create is carried out and its answer held back, while
logins, reads and other writes answer at once."""

from __future__ import annotations

import dataclasses
import json
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voiceops.sandbox import Faults, RecordedRequest, Sandbox
from voiceops.sandbox.faults import FaultPlanner

HELD = Faults(slow_rate=1.0, slow_s=600.0, only="POST /orgs/*/assistants")


@contextmanager
def sent(base_url: str, path: str, token: str, body: object) -> Iterator[socket.socket]:
    """POST `body` over a raw connection and leave the answer unread; the connection
    closes (the client goes away) when the block ends."""
    url = urlsplit(base_url)
    payload = json.dumps(body).encode()
    head = (
        f"POST {url.path}{path} HTTP/1.1\r\nHost: {url.netloc}\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\n\r\n"
    )
    host, port = url.hostname or "127.0.0.1", url.port or 80
    with socket.create_connection((host, port)) as sock:
        sock.sendall(head.encode() + payload)
        yield sock


def logged(sb: Sandbox, vendor: str, method: str) -> RecordedRequest:
    """The first logged request of this vendor and method, once there is one."""
    give_up = time.monotonic() + 30  # only so that a broken sandbox cannot hang the suite
    while not (found := sb.requests(vendor, method)):
        assert time.monotonic() < give_up, f"no {method} reached {vendor}"
        time.sleep(0.01)
    return found[0]


def nothing_arrived(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        sock.recv(1)
    except BlockingIOError:
        return True
    return False


def test_a_held_create_is_carried_out_and_logged_before_its_answer(
    sb: Sandbox, invent: httpx.Client
) -> None:
    sb.set_faults(HELD, vendor="invent")
    before = {a["id"] for a in sb.assistants("invent")}
    token = sb.credentials["INVENT_API_KEY"]
    with sent(sb.base_urls["invent"], "/orgs/c/assistants", token, {"name": "Held"}) as sock:
        create = logged(sb, "invent", "POST")
        assert (create.path, create.status, create.fault) == ("/orgs/c/assistants", 201, "slow")
        created = [a for a in sb.assistants("invent") if a["id"] not in before]
        assert [a["name"] for a in created] == ["Held"]
        # Other routes of the same vendor answer at once, unfaulted.
        listed = invent.get("/assistants")
        assert listed.status_code == 200
        assert invent.patch(f"/assistants/{created[0]['id']}", json={"name": "Seen"}).is_success
        assert [r.fault for r in sb.requests("invent")[1:]] == [None, None]
        assert nothing_arrived(sock)
    assert sb.assistant("invent", created[0]["id"])["name"] == "Seen"


def test_the_held_answer_arrives_after_slow_s(sb: Sandbox, invent: httpx.Client) -> None:
    sb.set_faults(dataclasses.replace(HELD, slow_s=0.05), vendor="invent")
    created = invent.post("/assistants", json={"name": "Late"})
    assert created.status_code == 201
    assert sb.assistant("invent", created.json()["id"])["name"] == "Late"


def test_a_scope_leaves_logins_and_reads_alone(
    sb: Sandbox, client_for: Callable[..., httpx.Client], edmo_login: Callable[..., object]
) -> None:
    sb.set_faults(Faults(rate_5xx=1.0, latency_ms=10, only=["post /assistants"]))
    edmo = client_for(sb, "edmo")
    edmo_login(edmo, sb)  # a POST too, on another path
    assert edmo.get("/assistants/asst_123").status_code == 200
    model = {"provider": "anthropic", "model": "claude-3-5-sonnet"}
    assert edmo.post("/assistants", json={"name": "X", "model": model}).status_code in (500, 503)
    autocalls = client_for(sb, "autocalls", sb.credentials["AUTOCALLS_TOKEN"])
    assert autocalls.get("/user/assistants/get").status_code == 200
    assert [r.fault is None for r in sb.requests()] == [True, True, False, True]


@pytest.mark.parametrize(
    ("rules", "method", "path", "covered"),
    [
        ((), "GET", "/anything", True),
        ("POST /assistants", "POST", "/assistants", True),
        ("POST /assistants", "post", "/assistants", True),
        ("POST /assistants", "GET", "/assistants", False),
        ("POST /assistants", "POST", "/assistants/asst_1", False),
        ("* /assistants/*", "DELETE", "/assistants/asst_1", True),
        ("PATCH /orgs/*/assistants/*", "PATCH", "/orgs/c/assistants/a", True),
        (["GET /a", "POST /b"], "POST", "/b", True),
        (["GET /a", "POST /b"], "POST", "/a", False),
    ],
)
def test_rules_match_method_and_path_glob(
    rules: str | list[str], method: str, path: str, covered: bool
) -> None:
    assert Faults(only=rules).covers(method, path) is covered


def test_rules_are_kept_in_one_form() -> None:
    assert Faults(only="post /a").only == ("POST /a",)
    assert Faults(only=["get /a", "* /b"]) == Faults(only=("GET /a", "* /b"))


@pytest.mark.parametrize("rule", ["POST", "/assistants", "POST assistants", "POST /a /b", ""])
def test_malformed_rules_are_refused(rule: str) -> None:
    with pytest.raises(ValueError, match="must be a method"):
        Faults(only=rule)


@settings(max_examples=50, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    calls=st.lists(st.sampled_from(["/a", "/b", "/c"]), min_size=1, max_size=30),
)
def test_a_scope_keeps_the_unscoped_decisions_of_the_routes_it_covers(
    seed: int, calls: list[str]
) -> None:
    faults = Faults(rate_429=0.2, rate_5xx=0.2, drop_rate=0.1, slow_rate=0.1, jitter_ms=10)
    unscoped = FaultPlanner(seed, faults)
    scoped = FaultPlanner(seed, dataclasses.replace(faults, only="GET /a"))
    for path in calls:
        expected = unscoped.decide("invent", "GET", path)
        decision = scoped.decide("invent", "GET", path)
        if path == "/a":
            assert (decision.fault, decision.delay_s) == (expected.fault, expected.delay_s)
        else:
            assert (decision.fault, decision.delay_s) == (None, 0.0)
