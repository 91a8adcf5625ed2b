"""Apply under faults: retries, updates that may or may not have landed, and reruns.

The sandbox injects the faults. Where a test needs a fault on exactly one request (the
update), a transport switches the sandbox's faults on for that request only. The runs use
quick retries and, for held-back answers, a short client timeout.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import httpx
import pytest

from tests.conftest import Workspace
from tests.integration.apply_helpers import (
    EXAMPLES,
    FAST_RETRY,
    SALES,
    Intercept,
    api_apply,
    api_plan,
    assert_only_managed_changed,
    is_update,
    landed,
    outcomes,
    read_path,
    result_of,
    sandbox_fault,
    spec_of,
    updates,
)
from voiceops.live.httpclient import RetryPolicy
from voiceops.reconcile.apply import Outcome
from voiceops.sandbox import Faults, Sandbox

NAMES = sorted(EXAMPLES)


def converged(ws: Workspace, *targets: str) -> bool:
    args = [arg for name in targets for arg in ("--target", name)]
    return ws.run("plan", "--detailed-exitcode", *args).exit_code == 0


def reads_between_updates(sb: Sandbox, vendor: str, assistant_id: str) -> list[str]:
    """The vendor's requests in order, as 'U' (update) and 'R' (a read of the assistant)."""
    path = read_path(vendor, assistant_id)
    return [
        "U" if r.method in ("PATCH", "PUT") else "R"
        for r in sb.requests(vendor)
        if r.method in ("PATCH", "PUT") or (r.method == "GET" and r.path == path)
    ]


@pytest.mark.parametrize("name", NAMES)
def test_dropped_answer_to_an_update_that_landed_is_not_resent(
    workspace: Workspace, name: str
) -> None:
    sb = workspace.sandbox
    vendor, assistant_id = EXAMPLES[name]
    transport = Intercept(is_update, sandbox_fault(sb, Faults(drop_rate=1.0)))

    report = api_apply(workspace, targets=(name,), transport=transport)

    assert outcomes(report) == {name: Outcome.APPLIED}
    sent = updates(sb, vendor)
    assert [r.fault for r in sent] == ["drop"]  # one update, and it landed
    assert sent[0].status < 300
    # Plan read, update, re-read to find out, read-back.
    assert reads_between_updates(sb, vendor, assistant_id) == ["R", "U", "R", "R"]
    assert converged(workspace, name)


@pytest.mark.parametrize("name", NAMES)
def test_update_answered_too_late_is_re_read_not_resent(workspace: Workspace, name: str) -> None:
    sb = workspace.sandbox
    vendor, _ = EXAMPLES[name]
    transport = Intercept(is_update, sandbox_fault(sb, Faults(slow_rate=1.0, slow_s=5.0)))

    report = api_apply(workspace, targets=(name,), transport=transport, timeout_s=0.5)

    assert outcomes(report) == {name: Outcome.APPLIED}
    assert [r.fault for r in updates(sb, vendor)] == ["slow"]
    assert converged(workspace, name)


@pytest.mark.parametrize("name", NAMES)
def test_update_refused_with_5xx_is_re_read_then_resent(workspace: Workspace, name: str) -> None:
    sb = workspace.sandbox
    vendor, assistant_id = EXAMPLES[name]
    transport = Intercept(is_update, sandbox_fault(sb, Faults(rate_5xx=1.0)))

    report = api_apply(workspace, targets=(name,), transport=transport)

    assert outcomes(report) == {name: Outcome.APPLIED}
    sent = updates(sb, vendor)
    assert [r.status for r in sent][1:] == [200]
    assert sent[0].status in (500, 503)
    assert sent[0].body == sent[1].body
    assert len(landed(sb, vendor)) == 1
    assert reads_between_updates(sb, vendor, assistant_id) == ["R", "U", "R", "U", "R"]
    assert converged(workspace, name)


def test_edmo_500_after_its_own_copy_changed_is_not_resent(workspace: Workspace) -> None:
    """Edmo may answer 500 when the underlying provider failed after Edmo's own copy changed.
    The sandbox's injected 500s never process the request, so the transport plays that
    vendor: it lets the update through and answers 500 instead of the real answer."""
    sb = workspace.sandbox

    async def half_applied(request: httpx.Request, send: Any) -> httpx.Response:
        response = await send(request)
        await response.aread()
        assert response.status_code == 200
        return httpx.Response(500, json={"error": "voice provider failed"}, request=request)

    transport = Intercept(is_update, half_applied)
    report = api_apply(workspace, targets=("enrollment-assistant",), transport=transport)

    assert outcomes(report) == {"enrollment-assistant": Outcome.APPLIED}
    assert len(updates(sb, "edmo")) == 1
    assert reads_between_updates(sb, "edmo", "asst_123") == ["R", "U", "R", "R"]
    assert converged(workspace, "enrollment-assistant")


def test_update_of_write_only_fields_alone_is_sent_once_and_reported_uncertain(
    workspace: Workspace,
) -> None:
    """Nothing readable tells whether an update of write-only fields only landed, and sending
    it again could repeat its effect: it is sent at most once per run, reported uncertain,
    and not recorded, so the next apply sends it once more."""
    sb = workspace.sandbox
    assert api_apply(workspace, targets=("sales-outreach",)).ok
    workspace.edit_spec("sales-outreach", tts_emotion_enabled=False)
    sb.clear_requests()
    transport = Intercept(is_update, sandbox_fault(sb, Faults(drop_rate=1.0)))

    report = api_apply(workspace, targets=("sales-outreach",), transport=transport)

    assert outcomes(report) == {"sales-outreach": Outcome.UNCERTAIN}
    assert "may have landed" in result_of(report, "sales-outreach").detail
    assert not report.ok
    assert [(r.fault, r.body) for r in updates(sb, "autocalls")] == [
        ("drop", {"tts_emotion_enabled": False}),
    ]
    assert sb.stored(*SALES)["tts_emotion_enabled"] is False
    # Not recorded as applied: the next run proposes it again, and sends it once.
    assert not converged(workspace, "sales-outreach")
    sb.clear_requests()
    assert api_apply(workspace, targets=("sales-outreach",)).ok
    assert len(updates(sb, "autocalls")) == 1
    assert converged(workspace, "sales-outreach")


class RecordingSleep:
    """The HTTP client's sleep (handed in with its retry policy): records each wait, waits
    none."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.delays.append(seconds)
        await asyncio.sleep(0)


@pytest.mark.parametrize("name", NAMES)
def test_429_on_an_update_waits_for_retry_after(workspace: Workspace, name: str) -> None:
    sb = workspace.sandbox
    vendor, _ = EXAMPLES[name]
    clock = RecordingSleep()
    retry = dataclasses.replace(FAST_RETRY, sleep=clock.sleep)
    transport = Intercept(is_update, sandbox_fault(sb, Faults(rate_429=1.0, retry_after_s=7)))

    report = api_apply(workspace, targets=(name,), transport=transport, retry=retry)

    assert outcomes(report) == {name: Outcome.APPLIED}
    assert [r.status for r in updates(sb, vendor)] == [429, 200]
    # The vendor asked for 7 s; the quick back-off settings do not cut that short. (Shorter
    # waits are the client's own spacing of requests to a rate-limited vendor.)
    assert [d for d in clock.delays if d >= 1] == [7.0]
    assert converged(workspace, name)


def test_429_and_503_on_reads_are_retried(workspace: Workspace) -> None:
    sb = workspace.sandbox

    def is_read(request: httpx.Request) -> bool:
        return request.method == "GET"

    retry_once = RetryPolicy(attempts=3, base_delay_s=0.001, max_delay_s=0.002)
    faults = Faults(rate_429=0.5, rate_5xx=0.5, retry_after_s=0)
    transport = Intercept(is_read, sandbox_fault(sb, faults), times=4)
    report = api_apply(workspace, transport=transport, retry=retry_once)
    assert report.ok, report
    assert {r.fault for r in sb.requests(method="GET") if r.fault} <= {"429", "500", "503"}
    assert any(r.fault for r in sb.requests(method="GET"))
    assert converged(workspace)


def test_expired_edmo_session_logs_in_again(workspace: Workspace) -> None:
    sb = workspace.sandbox

    async def expire_first(request: httpx.Request, send: Any) -> httpx.Response:
        sb.expire_sessions()
        return await send(request)

    transport = Intercept(is_update, expire_first)
    report = api_apply(workspace, targets=("enrollment-assistant",), transport=transport)
    assert outcomes(report) == {"enrollment-assistant": Outcome.APPLIED}
    assert [r.status for r in updates(sb, "edmo")] == [401, 200]
    assert len(sb.requests("edmo", "POST")) == 2  # the first login and the second
    assert converged(workspace, "enrollment-assistant")


def test_partial_failure_under_random_faults_converges_on_rerun(workspace: Workspace) -> None:
    sb = workspace.sandbox
    before = {name: sb.stored(*EXAMPLES[name]) for name in NAMES}
    sb.set_faults(
        Faults(
            rate_429=0.15,
            rate_5xx=0.25,
            drop_rate=0.15,
            slow_rate=0.1,
            slow_s=2.0,
            retry_after_s=0,
        )
    )
    few = RetryPolicy(attempts=2, base_delay_s=0.001, max_delay_s=0.002)

    reports = []
    for _ in range(12):
        report = api_apply(workspace, retry=few, timeout_s=0.5)
        reports.append(report)
        if report.ok:
            break
    assert not reports[0].ok, "the faults were meant to make the first run fail in part"
    assert reports[-1].ok, [r.results for r in reports]
    first = outcomes(reports[0])
    assert Outcome.APPLIED in first.values() or len(reports) > 1

    sb.set_faults(Faults())
    assert not any(a.changes for a in api_plan(workspace).assistants)
    assert workspace.run("plan", "--detailed-exitcode").exit_code == 0
    for name in NAMES:
        vendor, assistant_id = EXAMPLES[name]
        after = sb.stored(vendor, assistant_id)
        assert_only_managed_changed(before[name], after, spec_of(workspace, name), vendor)
