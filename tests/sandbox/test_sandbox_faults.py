from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voiceops.sandbox import Faults, Sandbox
from voiceops.sandbox.faults import FaultPlanner

CLINIC = "5f7b1b1b1b1b1b1b1b1b1b1b"
CLINIC_PATH = f"/assistants/v1/assistants/{CLINIC}"


def _interactly(sb: Sandbox, client_for: Callable[..., httpx.Client]) -> httpx.Client:
    return client_for(sb, "interactly", sb.credentials["INTERACTLY_API_KEY"])


def test_429_with_retry_after_and_nothing_applied(
    sb: Sandbox, client_for: Callable[..., httpx.Client]
) -> None:
    client = _interactly(sb, client_for)
    sb.set_faults(Faults(rate_429=1.0, retry_after_s=0))
    before = sb.stored("interactly", CLINIC)
    response = client.patch(CLINIC_PATH, json={"name": "Changed"})
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "0"
    assert response.json()["statusCode"] == 429  # the vendor's envelope
    assert sb.stored("interactly", CLINIC) == before
    logged = sb.requests("interactly")[-1]
    assert (logged.status, logged.fault) == (429, "429")


def test_default_retry_after_is_one_second(
    sb: Sandbox, client_for: Callable[..., httpx.Client]
) -> None:
    sb.set_faults(Faults(rate_429=1.0))
    response = client_for(sb, "autocalls", "x").get("/user/assistants/get")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"
    assert response.json() == {"message": "Too Many Attempts."}


def test_5xx_faults_use_500_and_503(sb: Sandbox, client_for: Callable[..., httpx.Client]) -> None:
    client = client_for(sb, "edmo")
    sb.set_faults(Faults(rate_5xx=1.0))
    responses = [client.get(f"/assistants/a{i}") for i in range(40)]
    assert {r.status_code for r in responses} == {500, 503}
    assert all(set(r.json()) == {"error"} for r in responses)  # the vendor's envelope
    assert {r.fault for r in sb.requests("edmo")} == {"500", "503"}


def test_dropped_connection_is_a_protocol_error(
    sb: Sandbox, client_for: Callable[..., httpx.Client]
) -> None:
    client = _interactly(sb, client_for)
    sb.set_faults(Faults(drop_rate=1.0))
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        client.patch(CLINIC_PATH, json={"name": "Dropped but applied"})
    logged = sb.requests("interactly")[-1]
    assert (logged.status, logged.fault) == (200, "drop")
    # The request took effect before the connection was cut.
    assert sb.assistant("interactly", CLINIC)["name"] == "Dropped but applied"
    sb.set_faults(Faults())
    assert client.get(CLINIC_PATH).status_code == 200


def test_dropped_connection_in_process() -> None:
    sb = Sandbox()
    sb.set_faults(Faults(drop_rate=1.0))

    async def call() -> None:
        transport = httpx.ASGITransport(app=sb.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
            await client.get(
                f"/interactly{CLINIC_PATH}",
                headers={"Authorization": "Bearer sandbox-interactly-key"},
            )

    with pytest.raises(httpx.RemoteProtocolError):
        asyncio.run(call())
    assert sb.requests()[-1].fault == "drop"


def test_slow_answer_outlasts_the_client_timeout(
    sb: Sandbox, client_for: Callable[..., httpx.Client]
) -> None:
    sb.set_faults(Faults(slow_rate=1.0, slow_s=30.0), vendor="invent")
    client = client_for(sb, "invent", sb.credentials["INVENT_API_KEY"])
    with pytest.raises(httpx.ReadTimeout):
        client.get("/orgs/c/assistants/asst_support", timeout=0.3)
    logged = sb.requests("invent")[-1]
    assert (logged.status, logged.fault) == (200, "slow")


def test_slow_answer_arrives_eventually(
    sb: Sandbox, client_for: Callable[..., httpx.Client]
) -> None:
    sb.set_faults(Faults(slow_rate=1.0, slow_s=0.05))
    client = _interactly(sb, client_for)
    assert client.get(CLINIC_PATH).status_code == 200


def test_latency_still_answers(sb: Sandbox, client_for: Callable[..., httpx.Client]) -> None:
    sb.set_faults(Faults(latency_ms=20, jitter_ms=20))
    assert _interactly(sb, client_for).get(CLINIC_PATH).status_code == 200
    assert sb.requests()[-1].fault is None


def test_latency_and_jitter_bounds() -> None:
    planner = FaultPlanner(7, Faults(latency_ms=100, jitter_ms=50))
    delays = [planner.decide("edmo", "GET", "/assistants/x").delay_s for _ in range(200)]
    assert all(0.1 <= d < 0.15 for d in delays)
    assert len(set(delays)) > 1


def test_vendor_settings_override_global_ones(
    sb: Sandbox, client_for: Callable[..., httpx.Client]
) -> None:
    sb.set_faults(Faults(rate_5xx=1.0), vendor="edmo")
    interactly = _interactly(sb, client_for)
    assert interactly.get(CLINIC_PATH).status_code == 200
    assert client_for(sb, "edmo").get("/assistants/asst_123").status_code in (500, 503)
    sb.set_faults(Faults())  # global settings drop every vendor's own
    assert client_for(sb, "edmo").get("/assistants/asst_123").status_code == 401


def test_unknown_vendor_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown vendor 'acme'"):
        Sandbox().set_faults(Faults(), vendor="acme")


@pytest.mark.parametrize(
    "kwargs",
    [{"rate_429": 1.5}, {"rate_429": 0.6, "rate_5xx": 0.6}, {"retry_after_s": 0.5}, {"slow_s": -1}],
)
def test_invalid_fault_settings(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must"):
        Faults(**kwargs)  # type: ignore[arg-type]


def test_python_api_is_never_faulted(sb: Sandbox) -> None:
    sb.set_faults(Faults(rate_5xx=1.0))
    sb.edit("edmo", "asst_123", {"name": "Edited"})
    assert sb.assistant("edmo", "asst_123")["name"] == "Edited"
    assert sb.requests() == []


def _fault_sequence(sb: Sandbox, client: httpx.Client, paths: list[str]) -> dict[str, list[str]]:
    for path in paths:
        client.get(path)
    by_path: dict[str, list[str]] = {}
    for request in sb.requests():
        by_path.setdefault(request.path, []).append(str(request.fault))
    return by_path


def test_faults_are_deterministic_under_a_seed(
    serve: Callable[..., Sandbox], client_for: Callable[..., httpx.Client]
) -> None:
    a_path, b_path = "/assistants/asst_123", "/assistants/asst_456"
    order_one = [a_path] * 20 + [b_path] * 20
    order_two = [p for pair in zip([b_path] * 20, [a_path] * 20, strict=True) for p in pair]

    runs = []
    for order in (order_one, order_two):
        sb = serve(seed=42, fault_rate=0.5)
        runs.append(_fault_sequence(sb, client_for(sb, "edmo"), order))
    assert runs[0] == runs[1]
    assert {"429", "None"} <= set(runs[0][a_path])

    other = serve(seed=43, fault_rate=0.5)
    assert _fault_sequence(other, client_for(other, "edmo"), order_one) != runs[0]


def test_fault_rate_option_spreads_over_429_and_5xx(
    serve: Callable[..., Sandbox], client_for: Callable[..., httpx.Client]
) -> None:
    sb = serve(fault_rate=1.0)
    client = client_for(sb, "edmo")
    statuses = {client.get(f"/assistants/n{i}").status_code for i in range(60)}
    assert statuses == {429, 500, 503}


@settings(max_examples=50, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    calls=st.lists(st.sampled_from(["/a", "/b", "/c"]), min_size=1, max_size=30),
)
def test_decisions_depend_only_on_per_path_order(seed: int, calls: list[str]) -> None:
    faults = Faults(rate_429=0.2, rate_5xx=0.2, drop_rate=0.1, slow_rate=0.1, jitter_ms=10)
    mixed = FaultPlanner(seed, faults)
    by_path: dict[str, list[object]] = {}
    for path in calls:
        decision = mixed.decide("invent", "GET", path)
        by_path.setdefault(path, []).append((decision.fault, decision.delay_s))
    for path, seen in by_path.items():
        alone = FaultPlanner(seed, faults)
        replay = [alone.decide("invent", "GET", path) for _ in seen]
        assert [(d.fault, d.delay_s) for d in replay] == seen
