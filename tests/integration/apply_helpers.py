"""Helpers shared by the apply tests (this module holds no tests of its own).

The CLI is driven through `Workspace.run`; where a test needs quick retries, a short client
timeout or a hand on the transport, it calls the same code the CLI runs (`prepare`, then
`run_apply`, or `plan_project`) with its own `RunOptions`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.conftest import Workspace
from voiceops.cli.apply import run_apply
from voiceops.cli.hooks import RunHooks
from voiceops.live.httpclient import RetryPolicy
from voiceops.live.session import RunOptions
from voiceops.reconcile.apply import ApplyReport, AssistantResult, Outcome
from voiceops.reconcile.plan import Plan
from voiceops.reconcile.planning import plan_project
from voiceops.reconcile.runner import prepare
from voiceops.sandbox import Faults, RecordedRequest, Sandbox
from voiceops.sandbox.standins import STAND_INS

# The example repository's assistants: name -> (vendor, id).
CLINIC = ("interactly", "5f7b1b1b1b1b1b1b1b1b1b1b")
ENROLLMENT = ("edmo", "asst_123")
SUPPORT = ("invent", "asst_support")
SALES = ("autocalls", "127")
EXAMPLES = {
    "clinic-intake": CLINIC,
    "enrollment-assistant": ENROLLMENT,
    "support-concierge": SUPPORT,
    "sales-outreach": SALES,
}
UPDATE_METHODS = ("PATCH", "PUT")
# When each vendor stamps a change.
UPDATED_AT = {s.name: s.updated_field for s in STAND_INS}

# Hand to a CLI run (click's obj) to make `apply` believe it runs on a terminal; answers
# then come from the runner's input.
TERMINAL_INPUT = RunHooks(is_terminal=lambda stream: stream is sys.stdin)

# Retries that keep a test quick; faults are what is tested, not the waiting.
FAST_RETRY = RetryPolicy(attempts=4, base_delay_s=0.001, max_delay_s=0.005)


def options_for(
    ws: Workspace,
    *,
    env: dict[str, str] | None = None,
    retry: RetryPolicy = FAST_RETRY,
    timeout_s: float = 10.0,
    transport: httpx.AsyncBaseTransport | None = None,
    targets: tuple[str, ...] = (),
) -> tuple[Any, RunOptions]:
    project, options = prepare(ws.config, targets=targets, env={**ws.env, **(env or {})})
    options = dataclasses.replace(
        options, retry=retry, timeout_s=timeout_s, transport=transport, seed=0
    )
    return project, options


def api_apply(
    ws: Workspace,
    *,
    planfile: Path | None = None,
    env: dict[str, str] | None = None,
    retry: RetryPolicy = FAST_RETRY,
    timeout_s: float = 10.0,
    transport: httpx.AsyncBaseTransport | None = None,
    allow_mass_update: bool = False,
    targets: tuple[str, ...] = (),
) -> ApplyReport:
    """`voiceops apply --auto-approve [PLANFILE]` with the given run options."""
    project, options = options_for(
        ws,
        env=env,
        retry=retry,
        timeout_s=timeout_s,
        transport=transport,
        targets=() if planfile else targets,
    )
    report = asyncio.run(
        run_apply(
            project,
            options,
            planfile=planfile,
            auto_approve=True,
            allow_mass_update=allow_mass_update,
            targets=targets,
        )
    )
    assert report is not None
    return report


def api_plan(ws: Workspace, *, env: dict[str, str] | None = None) -> Plan:
    project, options = options_for(ws, env=env)
    plan, _ = asyncio.run(plan_project(project, options))
    return plan


def outcomes(report: ApplyReport) -> dict[str, Outcome]:
    return {r.name: r.outcome for r in report.results}


def result_of(report: ApplyReport, name: str) -> AssistantResult:
    return next(r for r in report.results if r.name == name)


def updates(sb: Sandbox, vendor: str | None = None) -> list[RecordedRequest]:
    """Update requests the sandbox received (whatever it answered)."""
    return [r for r in sb.requests(vendor) if r.method in UPDATE_METHODS]


def landed(sb: Sandbox, vendor: str | None = None) -> list[RecordedRequest]:
    """Update requests the sandbox processed: answered 2xx, even if the answer was then
    dropped or held back past the client's timeout."""
    return [r for r in updates(sb, vendor) if r.status < 300]


def read_path(vendor: str, assistant_id: str) -> str:
    """The path voiceops reads one assistant at (Autocalls: its paged list)."""
    return {
        "interactly": f"/assistants/v1/assistants/{assistant_id}",
        "edmo": f"/assistants/{assistant_id}",
        "invent": f"/orgs/c/assistants/{assistant_id}",
        "autocalls": "/user/assistants/get",
    }[vendor]


def assert_only_managed_changed(
    before: dict[str, Any], after: dict[str, Any], managed: dict[str, Any], vendor: str
) -> None:
    """Every stored field outside `managed` (stored names) kept its value, at any depth;
    the vendor's updated-at stamp is the only exception."""
    unmanaged_before = _without(before, managed, top=UPDATED_AT[vendor])
    unmanaged_after = _without(after, managed, top=UPDATED_AT[vendor])
    assert unmanaged_after == unmanaged_before


def _without(stored: dict[str, Any], managed: dict[str, Any], top: str | None = None) -> Any:
    """The unmanaged part of `stored`. Below a managed object only its unmanaged fields
    count, and only where there are any."""
    kept: dict[str, Any] = {}
    for key, value in stored.items():
        if key == top:
            continue
        if key not in managed:
            kept[key] = value
        elif isinstance(managed[key], dict) and isinstance(value, dict):
            below = _without(value, managed[key])
            if below:
                kept[key] = below
    return kept


def spec_of(ws: Workspace, name: str) -> dict[str, Any]:
    document = yaml.safe_load(ws.spec_file(name).read_text(encoding="utf-8"))
    return document["spec"]


def set_spec(ws: Workspace, name: str, spec: dict[str, Any]) -> None:
    """Replace the whole spec of one of the workspace's documents."""
    path = ws.spec_file(name)
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    document["spec"] = spec
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")


def add_document(ws: Workspace, name: str, provider: str, assistant_id: object, spec: dict) -> None:
    """Write one more assistant document into the workspace's repository."""
    document = {
        "apiVersion": "voiceops/v1",
        "kind": "Assistant",
        "metadata": {"name": name},
        "provider": provider,
        "id": assistant_id,
        "spec": spec,
    }
    ws.spec_file(name).write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")


def plan_json(ws: Workspace, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    result = ws.run("plan", "--format", "json", *args, env=env)
    assert result.exit_code in (0, 2), result.output
    return json.loads(result.stdout)


class Intercept(httpx.AsyncBaseTransport):
    """Real HTTP to the sandbox, with a hook around chosen requests.

    `hook(request, send)` is awaited instead of sending `request` when `match(request)` is
    true; `send` sends it for real. Used to have the sandbox inject a fault into exactly one
    request (the update), or to stand for a vendor that answers in a way the sandbox does not.
    """

    def __init__(
        self,
        match: Callable[[httpx.Request], bool],
        hook: Callable[..., Any],
        times: int = 1,
    ) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.match = match
        self.hook = hook
        self.remaining = times

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.remaining and self.match(request):
            self.remaining -= 1
            return await self.hook(request, self.inner.handle_async_request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def is_update(request: httpx.Request) -> bool:
    return request.method in UPDATE_METHODS


def vendor_of(request: httpx.Request) -> str:
    return request.url.path.split("/")[1]


def sandbox_fault(sb: Sandbox, faults: Faults) -> Callable[..., Any]:
    """A hook that has the sandbox answer this one request with `faults`."""

    async def hook(request: httpx.Request, send: Callable[..., Any]) -> httpx.Response:
        vendor = vendor_of(request)
        sb.set_faults(faults, vendor=vendor)
        try:
            response = await send(request)
            await response.aread()
            return response
        finally:
            sb.set_faults(Faults(), vendor=vendor)

    return hook
