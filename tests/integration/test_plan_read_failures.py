"""A read that fails for one assistant is that assistant's error, not its connection's."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from tests.conftest import Workspace
from voiceops.live.httpclient import RetryPolicy
from voiceops.live.session import RunOptions
from voiceops.reconcile.planning import plan_project
from voiceops.reconcile.runner import prepare
from voiceops.sandbox import Sandbox


class FailOnePath(httpx.AsyncBaseTransport):
    """Real HTTP to the sandbox, except that GETs of one path always answer 503."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path.endswith(self.path):
            return httpx.Response(503, json={"error": "upstream unavailable"})
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


SEEDED = {
    "interactly": ("interactly-prod", "5f7b1b1b1b1b1b1b1b1b1b1b"),
    "edmo": ("edmo-main", "asst_123"),
}
READ_ONLY = ("_id", "id", "orgId", "teamId", "createdAt", "updatedAt")


@pytest.mark.parametrize("vendor", sorted(SEEDED))
def test_one_failing_read_leaves_the_others_planned(
    workspace: Workspace, sandbox: Sandbox, vendor: str
) -> None:
    connection, seeded = SEEDED[vendor]
    record = sandbox.assistant(vendor, seeded)
    new_id = sandbox.add_assistant(vendor, {k: v for k, v in record.items() if k not in READ_ONLY})
    extra = workspace.root / "assistants" / "second.yaml"
    extra.write_text(
        json.dumps(
            {
                "apiVersion": "voiceops/v1",
                "kind": "Assistant",
                "metadata": {"name": "second"},
                "provider": connection,
                "id": new_id,
                "spec": {"name": record["name"]},
            }
        ),
        encoding="utf-8",
    )
    project, options = prepare(workspace.config, env=workspace.env)
    options = RunOptions(
        env=options.env,
        retry=RetryPolicy(attempts=2, base_delay_s=0.0),
        transport=FailOnePath(f"/{new_id}"),
    )
    plan, _ = asyncio.run(plan_project(project, options))
    by_name = {a.name: a for a in plan.assistants}
    assert by_name["second"].error is not None
    assert "503" in by_name["second"].error
    assert "second.yaml" in by_name["second"].error
    others = [a for a in plan.assistants if a.connection == connection and a.name != "second"]
    assert others
    assert all(a.error is None for a in others)
