"""Snapshots of what users read: the JSON plan and the pull-request markdown.

Volatile parts (creation time, fingerprints, ports, version) are normalised. To accept new
output after a deliberate change, run with UPDATE_SNAPSHOTS=1 and review the diff.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from tests.conftest import Workspace
from tests.integration.plan_helpers import add_spec, assert_clean, set_spec
from voiceops.sandbox import Sandbox

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("UPDATE_SNAPSHOTS") == "1"

_VOLATILE = [
    (re.compile(r'"created_at": "[^"]+"'), '"created_at": "<created_at>"'),
    (re.compile(r'"voiceops_version": "[^"]+"'), '"voiceops_version": "<version>"'),
    (re.compile(r"sha256:[0-9a-f]{64}"), "sha256:<digest>"),
    (re.compile(r"(127\.0\.0\.1|localhost):\d+"), r"\1:<port>"),
]


def normalise(text: str) -> str:
    for pattern, replacement in _VOLATILE:
        text = pattern.sub(replacement, text)
    return text


def check_snapshot(name: str, actual: str) -> None:
    path = SNAPSHOTS / name
    actual = normalise(actual)
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    if not path.exists():
        pytest.fail(f"no snapshot {path}; run with UPDATE_SNAPSHOTS=1 to create it")
    assert actual == path.read_text(encoding="utf-8"), (
        f"{name} differs from its snapshot; if the change is intended, "
        "run with UPDATE_SNAPSHOTS=1 and review the diff"
    )


def _outputs(workspace: Workspace, *args: str, env: dict[str, str] | None = None) -> dict:
    outputs = {}
    for output in ("json", "markdown", "text"):
        result = workspace.run("plan", "--format", output, *args, env=env)
        assert_clean(result)
        outputs[output] = result
    return outputs


def test_seed_plan(workspace: Workspace) -> None:
    outputs = _outputs(workspace)
    assert json.loads(outputs["json"].stdout)["summary"]["update"] == 4
    check_snapshot("seed-plan.json", outputs["json"].stdout)
    check_snapshot("seed-plan.md", outputs["markdown"].stdout)
    check_snapshot("seed-plan.txt", outputs["text"].stdout)


def test_mixed_plan(workspace: Workspace, sandbox: Sandbox) -> None:
    """Every kind of line at once: sensitive, write-only, null, absent, long text, errors."""
    set_spec(
        workspace,
        "sales-outreach",
        ("system_prompt",),
        "You call people who asked for information about Acme Cloud.\n"
        "Find out their team size, budget and current tooling, and offer a 30-minute demo.\n"
        "If they are not interested, thank them and end the call politely.\n",
    )
    set_spec(workspace, "sales-outreach", ("webhook_url",), None)
    set_spec(workspace, "enrollment-assistant", ("endCallPhrases",), ["that's everything", "bye"])
    add_spec(
        workspace,
        "pharmacy-refills",
        "interactly-prod",
        "6a1c2e3f4b5d6e7f8a9b0c2e",
        {"stopSpeakingOptions": {"numberOfWords": 2}, "welcomeMessage": "Pharmacy line | @team"},
    )
    add_spec(workspace, "ghost", "invent-support", "asst_ghost", {"name": "Ghost"})
    outputs = _outputs(
        workspace, env={"CLINIC_INTAKE_ASSISTANTSERVER_SECRET": "rotated-secret-for-snapshot"}
    )
    for result in outputs.values():
        assert result.exit_code == 1
        assert "rotated-secret-for-snapshot" not in result.output
    check_snapshot("mixed-plan.json", outputs["json"].stdout)
    check_snapshot("mixed-plan.md", outputs["markdown"].stdout)
    check_snapshot("mixed-plan.txt", outputs["text"].stdout)
    check_snapshot("mixed-plan.stderr", outputs["text"].stderr)


def test_drift_report(workspace: Workspace, sandbox: Sandbox) -> None:
    sandbox.edit("autocalls", 127, {"max_duration": 300})
    for output in ("markdown", "text"):
        result = workspace.run("drift", "--format", output)
        assert result.exit_code == 2
        check_snapshot(f"seed-drift.{'md' if output == 'markdown' else 'txt'}", result.stdout)


def test_normalise_hides_only_volatile_parts() -> None:
    text = (
        '"created_at": "2026-01-01T00:00:00+00:00", "fingerprint": "sha256:'
        + "ab" * 32
        + '", cannot reach http://127.0.0.1:49152/x, "voiceops_version": "0.1.0", id 127'
    )
    assert normalise(text) == (
        '"created_at": "<created_at>", "fingerprint": "sha256:<digest>", cannot reach '
        'http://127.0.0.1:<port>/x, "voiceops_version": "<version>", id 127'
    )
