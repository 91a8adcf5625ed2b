"""After sending, apply reads every updated assistant back and reports the fields the vendor
did not keep. The sandbox keeps what it accepts, so these tests stand for a vendor that
does not: a transport in front of the real sandbox drops a key from the update (as
Autocalls does with keys it has no rule for) or rewrites a value after it was stored."""

from __future__ import annotations

import dataclasses
import functools
import json
from typing import Any

import httpx
import pytest

from tests.conftest import Workspace
from tests.integration.apply_helpers import (
    CLINIC,
    ENROLLMENT,
    SALES,
    SUPPORT,
    Intercept,
    add_document,
    api_apply,
    is_update,
    outcomes,
    updates,
)
from voiceops.cli.hooks import RunHooks
from voiceops.reconcile.apply import Outcome
from voiceops.sandbox import Sandbox


def ignoring(key: str) -> Any:
    """A vendor that accepts the update but silently ignores `key` in it."""

    async def hook(request: httpx.Request, send: Any) -> httpx.Response:
        body = json.loads(request.content)
        body.pop(key, None)
        headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
        trimmed = httpx.Request(request.method, request.url, headers=headers, json=body)
        trimmed.extensions = request.extensions
        return await send(trimmed)

    return hook


def trimming(sb: Sandbox, vendor: str, assistant_id: str, key: str) -> Any:
    """A vendor that stores `key` with surrounding whitespace removed."""

    async def hook(request: httpx.Request, send: Any) -> httpx.Response:
        response = await send(request)
        await response.aread()
        sb.edit(vendor, assistant_id, {key: json.loads(request.content)[key].strip()})
        return response

    return hook


@pytest.fixture
def route_through(workspace: Workspace):  # type: ignore[no-untyped-def]
    """Make the workspace's CLI runs go through the given transport."""

    def install(transport: httpx.AsyncBaseTransport) -> None:
        via = functools.partial(dataclasses.replace, transport=transport)
        workspace.hooks = RunHooks(options=via)

    return install


def test_a_rewritten_value_is_reported_as_not_converged(
    workspace: Workspace, route_through: Any
) -> None:
    sb = workspace.sandbox
    workspace.edit_spec("clinic-intake", welcomeMessage="Riverside clinic, how can I help?  ")
    route_through(Intercept(is_update, trimming(sb, *CLINIC, "welcomeMessage")))

    result = workspace.run("apply", "--auto-approve", "--target", "clinic-intake")

    assert result.exit_code == 1
    line = next(x for x in result.stdout.splitlines() if x.startswith("  not converged"))
    assert "clinic-intake" in line
    assert "did not keep: welcomeMessage" in line
    assert "assistantTemperature" not in line  # kept, so not named
    assert "Apply: 0 applied, 0 unchanged, 0 stale, 0 failed, 1 not converged." in result.stdout


def test_an_ignored_field_is_reported_as_not_converged(workspace: Workspace) -> None:
    sb = workspace.sandbox
    transport = Intercept(is_update, ignoring("max_duration"))
    report = api_apply(workspace, targets=("sales-outreach",), transport=transport)

    assert outcomes(report) == {"sales-outreach": Outcome.NOT_CONVERGED}
    assert "max_duration" in report.results[0].detail
    assert "fillers" not in report.results[0].detail
    assert not report.ok
    assert sb.stored(*SALES)["max_duration"] == 600
    # The write-only fields of an update that did not converge are not recorded as applied
    # (a vendor that kept nothing readable may have ignored them too): they go out again.
    sb.clear_requests()
    assert api_apply(workspace, targets=("sales-outreach",)).ok
    body = updates(sb, "autocalls")[0].body
    assert body["max_duration"] == 900
    assert set(body) == {"max_duration", "reengagement_prompt", "tts_emotion_enabled"}


def test_the_summary_counts_every_outcome(workspace: Workspace, capsys: Any) -> None:
    sb = workspace.sandbox
    pharmacy = "6a1c2e3f4b5d6e7f8a9b0c2e"
    add_document(workspace, "pharmacy-refills", "interactly-prod", pharmacy, {"idleTimeout": 20})
    planfile = workspace.root / "plan.json"
    assert workspace.run("plan", "--out", str(planfile)).exit_code == 0

    sb.edit(*ENROLLMENT, {"name": "Renamed in the dashboard"})  # -> stale
    sb.edit(*SUPPORT, {"deleted": True})  # -> failed (404)
    transport = Intercept(is_update, ignoring("max_duration"), times=99)  # -> not converged
    capsys.readouterr()

    report = api_apply(workspace, planfile=planfile, transport=transport)

    assert outcomes(report) == {
        "clinic-intake": Outcome.APPLIED,
        "enrollment-assistant": Outcome.STALE,
        "pharmacy-refills": Outcome.UNCHANGED,
        "sales-outreach": Outcome.NOT_CONVERGED,
        "support-concierge": Outcome.FAILED,
    }
    out = capsys.readouterr().out
    assert "Apply: 1 applied, 1 unchanged, 1 stale, 1 failed, 1 not converged." in out
    for name in ("clinic-intake", "enrollment-assistant", "pharmacy-refills", "sales-outreach"):
        assert name in out
    assert not report.ok
    assert sorted(r.vendor for r in updates(sb)) == ["autocalls", "interactly"]
