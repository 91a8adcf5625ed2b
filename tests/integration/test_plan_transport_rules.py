"""Credentials stay with the connection's own host, and import writes what it reads."""

from __future__ import annotations

import asyncio
import json

import httpx
import yaml

from tests.conftest import Workspace
from voiceops.live.httpclient import RetryPolicy
from voiceops.live.session import RunOptions
from voiceops.reconcile.planning import plan_project
from voiceops.reconcile.runner import prepare


class RedirectEverything(httpx.AsyncBaseTransport):
    """Answers every request with a redirect to another host, and records what it saw."""

    def __init__(self) -> None:
        self.seen: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        return httpx.Response(302, headers={"location": "https://elsewhere.example/steal"})


def test_redirects_are_not_followed(workspace: Workspace) -> None:
    project, options = prepare(workspace.config, env=workspace.env)
    transport = RedirectEverything()
    options = RunOptions(env=options.env, retry=RetryPolicy(attempts=1), transport=transport)
    plan, _ = asyncio.run(plan_project(project, options))
    assert all(a.error and "does not follow redirects" in a.error for a in plan.assistants)
    # Every request went to the sandbox's own loopback address; none followed the redirect.
    assert transport.seen
    assert {r.url.host for r in transport.seen} == {"127.0.0.1"}


def test_import_all_writes_every_listed_assistant(workspace: Workspace) -> None:
    out = workspace.root / "imported"
    result = workspace.run("import", "--provider", "invent-support", "--all", "--out", str(out))
    # The one assistant the repository already manages keeps its file; the rest are written.
    assert result.exit_code == 0, result.output
    assert "skipped support-concierge: already managed by assistants/support-concierge.yaml" in (
        result.stdout
    )
    written = sorted(out.glob("*.yaml"))
    assert len(written) >= 10
    ids = {str(yaml.safe_load(p.read_text(encoding="utf-8"))["id"]) for p in written}
    assert "asst_support" not in ids
    assert "asst_sales" in ids


def test_import_writes_back_to_the_file_that_manages_the_assistant(workspace: Workspace) -> None:
    workspace.sandbox.edit("edmo", "asst_123", {"firstMessage": "Changed in the dashboard."})
    result = workspace.run("import", "--provider", "edmo-main", "--id", "asst_123", "--force")
    assert result.exit_code == 0, result.output
    assert "enrollment-assistant.yaml" in result.stdout
    document = yaml.safe_load(workspace.spec_file("enrollment-assistant").read_text())
    assert document["metadata"]["name"] == "enrollment-assistant"
    assert document["spec"]["firstMessage"] == "Changed in the dashboard."
    drift = json.loads(workspace.run("drift", "--format", "json").stdout)
    enrollment = next(a for a in drift["assistants"] if a["name"] == "enrollment-assistant")
    assert enrollment["status"] == "unchanged"


def test_import_writes_nothing_when_one_id_is_unknown(workspace: Workspace) -> None:
    out = workspace.root / "imported"
    result = workspace.run(
        "import", "--provider", "edmo-main", "--id", "asst_123", "--id", "nope", "--out", str(out)
    )
    assert result.exit_code == 1
    assert "'nope' was not found" in result.output
    assert not out.exists() or not list(out.iterdir())
