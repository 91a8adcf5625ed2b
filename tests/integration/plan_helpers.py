"""Helpers shared by the `voiceops plan` end-to-end tests (this module holds no tests).

Everything here talks to the real sandbox server over HTTP on 127.0.0.1, through the
`workspace` and `sandbox` fixtures of `tests/conftest.py`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
import socket
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from click.testing import Result

from tests.conftest import Workspace
from voiceops.cli.hooks import RunHooks
from voiceops.live.httpclient import RetryPolicy
from voiceops.reconcile.plan import Plan, plan_to_dict
from voiceops.reconcile.planning import plan_project
from voiceops.reconcile.redaction import Redactor
from voiceops.reconcile.runner import prepare
from voiceops.reconcile.writeonly import WriteOnlyRecord
from voiceops.sandbox import Sandbox

# The example assistants: name -> (provider type, connection, id).
EXAMPLES: dict[str, tuple[str, str, str]] = {
    "clinic-intake": ("interactly", "interactly-prod", "5f7b1b1b1b1b1b1b1b1b1b1b"),
    "enrollment-assistant": ("edmo", "edmo-main", "asst_123"),
    "support-concierge": ("invent", "invent-support", "asst_support"),
    "sales-outreach": ("autocalls", "autocalls-sales", "127"),
}
VENDOR_OF = {name: vendor for name, (vendor, _, _) in EXAMPLES.items()}
CONNECTION_OF_VENDOR = {vendor: conn for vendor, conn, _ in EXAMPLES.values()}

# Retries without waiting, so tests that meet many faults stay fast.
FAST_RETRY = RetryPolicy(attempts=12, base_delay_s=0.001, max_delay_s=0.01)

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


# ---- running plan -----------------------------------------------------------------------


def plan_json(workspace: Workspace, *args: str, env: dict[str, str] | None = None) -> dict:
    """`voiceops plan --format json …`, parsed; fails the test on a crash."""
    result = workspace.run("plan", "--format", "json", *args, env=env)
    assert_clean(result)
    assert result.exit_code in (0, 1, 2), result.output
    return json.loads(result.stdout)


def python_plan(
    workspace: Workspace,
    *,
    retry: RetryPolicy = FAST_RETRY,
    transport: httpx.AsyncBaseTransport | None = None,
    env: dict[str, str] | None = None,
    concurrency: int | None = None,
) -> tuple[Plan, Redactor]:
    """The same plan through the Python API, with a chosen retry policy or transport."""
    project, options = prepare(
        workspace.config, env={**workspace.env, **(env or {})}, concurrency=concurrency
    )
    options = dataclasses.replace(options, retry=retry, transport=transport)
    return asyncio.run(plan_project(project, options))


def comparable(plan: Plan | dict) -> dict:
    """The JSON form without the fields that differ between two runs over the same state."""
    data = plan_to_dict(plan) if isinstance(plan, Plan) else dict(plan)
    data.pop("created_at", None)
    return data


def assistant(plan: dict, name: str) -> dict:
    found = [a for a in plan["assistants"] if a["name"] == name]
    assert found, f"{name} is not in the plan: {[a['name'] for a in plan['assistants']]}"
    return found[0]


def changes(plan: dict, name: str) -> dict[str, dict]:
    """path -> change, for one assistant of a JSON plan."""
    return {c["path"]: c for c in assistant(plan, name)["changes"]}


def assert_clean(result: Result) -> None:
    """No traceback and no escape sequences, whatever the outcome."""
    everything = result.stdout + result.stderr
    assert "Traceback" not in everything, everything
    assert result.exception is None or isinstance(result.exception, SystemExit), everything


def error_lines(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


# ---- shaping the workspace and the sandbox -------------------------------------------------


def read_spec(workspace: Workspace, name: str) -> dict[str, Any]:
    return yaml.safe_load(workspace.spec_file(name).read_text(encoding="utf-8"))


def write_spec(workspace: Workspace, name: str, document: dict[str, Any]) -> Path:
    path = workspace.spec_file(name)
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def set_spec(workspace: Workspace, name: str, path: tuple[str, ...], value: Any) -> None:
    """Set one (possibly nested) field of an example's spec."""
    document = read_spec(workspace, name)
    target = document["spec"]
    for key in path[:-1]:
        target = target.setdefault(key, {})
    target[path[-1]] = value
    write_spec(workspace, name, document)


def add_spec(
    workspace: Workspace, name: str, connection: str, assistant_id: str | int, spec: dict
) -> Path:
    """A new assistant document in its own file."""
    document = {
        "apiVersion": "voiceops/v1",
        "kind": "Assistant",
        "metadata": {"name": name},
        "provider": connection,
        "id": assistant_id,
        "spec": spec,
    }
    return write_spec(workspace, name, document)


def line_of(path: Path, text: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if text in line:
            return number
    raise AssertionError(f"{text!r} is not in {path}")


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def set_base_url(workspace: Workspace, connection: str, url: str) -> None:
    config = yaml.safe_load(workspace.config.read_text(encoding="utf-8"))
    config["providers"][connection]["base_url"] = url
    workspace.config.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")


def match_sandbox(workspace: Workspace, sb: Sandbox) -> None:
    """Edit the live assistants (as in a vendor dashboard) so that they equal the example
    specs, and record the write-only values as applied: the plan then has nothing to do."""
    sb.edit("interactly", EXAMPLES["clinic-intake"][2], _interactly_match(sb))
    live = sb.stored("edmo", "asst_123")
    sb.edit(
        "edmo",
        "asst_123",
        {
            "firstMessage": "Hi, I'm your enrollment assistant. How can I help today?",
            "model": {**live["model"], "temperature": 0.6},
        },
    )
    config = sb.stored("invent", "asst_support")["config"]
    config["model"] = "gpt-4o"
    sb.edit("invent", "asst_support", {"config": config})
    sb.edit("autocalls", 127, {"max_duration": 900, "fillers": True})
    record_write_only(workspace, "sales-outreach")


def _interactly_match(sb: Sandbox) -> dict[str, Any]:
    server = sb.stored("interactly", EXAMPLES["clinic-intake"][2])["assistantServer"]
    return {
        "assistantTemperature": 0.2,
        "idleTimeout": 20,
        "assistantServer": {**server, "timeoutSeconds": 20},
    }


def record_write_only(workspace: Workspace, name: str) -> None:
    """Record the spec's write-only values as applied, as `apply` does after sending them."""
    _, connection, assistant_id = EXAMPLES[name]
    document = read_spec(workspace, name)
    project, _ = prepare(workspace.config, env=workspace.env)
    record = WriteOnlyRecord.load(project.config.write_only_record)
    for key in ("reengagement_prompt", "tts_emotion_enabled"):
        if key in document["spec"]:
            record.remember(connection, assistant_id, key, document["spec"][key])
    record.save()


def secret_values(sb: Sandbox) -> list[str]:
    """Every secret the sandbox knows: credentials and sensitive live values."""
    values = list(sb.credentials.values())
    for assistant_id in ("5f7b1b1b1b1b1b1b1b1b1b1b", "6a1c2e3f4b5d6e7f8a9b0c1d"):
        values.append(sb.stored("interactly", assistant_id)["assistantServer"]["secret"])
    values.append(sb.stored("invent", "asst_support")["secret_key"])
    return values


class ExpiringSessions(httpx.AsyncBaseTransport):
    """Passes requests through, but ends every Edmo login session just before the first
    read of each assistant, as if the cookie had expired between two requests."""

    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb
        self.inner = httpx.AsyncHTTPTransport()
        self.seen: set[str] = set()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "GET" and "/edmo/" in path and path not in self.seen:
            self.seen.add(path)
            self.sb.expire_sessions()
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


# Hand to a CLI run (click's obj): it retries without sleeping.
FAST_HOOKS = RunHooks(options=lambda options: dataclasses.replace(options, retry=FAST_RETRY))


@pytest.fixture
def fast_retries(workspace: Workspace) -> None:
    """The workspace's CLI runs retry without sleeping."""
    workspace.hooks = FAST_HOOKS
