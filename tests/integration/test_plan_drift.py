"""Edits made in a vendor's dashboard (here: straight into the sandbox) show up in `plan`
and in `voiceops drift`; write-only fields never count as drift."""

from __future__ import annotations

import json

import pytest

from tests.conftest import Workspace
from tests.integration.plan_helpers import (
    EXAMPLES,
    assert_clean,
    assistant,
    changes,
    match_sandbox,
    plan_json,
)
from voiceops.sandbox import Sandbox


def drift_json(workspace: Workspace) -> tuple[int, dict]:
    result = workspace.run("drift", "--format", "json")
    assert_clean(result)
    return result.exit_code, json.loads(result.stdout)


def _dashboard_edit(sandbox: Sandbox, name: str) -> tuple[str, object, object]:
    """One edit per vendor, in a field the spec manages: (field, live value, git value)."""
    vendor, _, assistant_id = EXAMPLES[name]
    if name == "clinic-intake":
        sandbox.edit(vendor, assistant_id, {"hints": ["Riverside", "copay"]})
        return "hints", ["Riverside", "copay"], ["Riverside", "copay", "referral"]
    if name == "enrollment-assistant":
        voice = {"provider": "azure", "voiceId": "en-US-JennyNeural"}
        sandbox.edit(vendor, assistant_id, {"voice": voice})
        return "voice.provider", "azure", "openai"
    if name == "support-concierge":
        config = sandbox.stored(vendor, assistant_id)["config"]
        config["timezone"] = "Europe/Paris"
        sandbox.edit(vendor, assistant_id, {"config": config})
        return "config.timezone", "Europe/Paris", "Europe/Berlin"
    sandbox.edit(vendor, int(assistant_id), {"type": "inbound"})
    return "type", "inbound", "outbound"


def test_no_drift_exits_zero(workspace: Workspace, sandbox: Sandbox) -> None:
    match_sandbox(workspace, sandbox)
    result = workspace.run("drift")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "No drift: 4 assistant(s) match git."
    code, report = drift_json(workspace)
    assert code == 0
    assert report["summary"]["unchanged"] == 4


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_dashboard_edit_is_drift_and_in_the_plan(
    workspace: Workspace, sandbox: Sandbox, name: str
) -> None:
    match_sandbox(workspace, sandbox)
    field, live, git = _dashboard_edit(sandbox, name)
    code, report = drift_json(workspace)
    assert code == 2
    assert report["summary"] == {  # drift's own words
        "managed": 4,
        "drifted": 1,
        "not_created": 0,
        "not_adopted": 0,
        "still_exists": 0,
        "unchanged": 3,
        "error": 0,
    }
    assert {a["status"] for a in report["assistants"]} == {"drifted", "unchanged"}
    change = changes(report, name)[field]
    assert (change["before"], change["after"]) == (live, git)
    plan = plan_json(workspace, "--detailed-exitcode")
    assert changes(plan, name) == changes(report, name)
    text = workspace.run("drift")
    assert text.exit_code == 2
    assert f"~ {field}: live {json.dumps(live)}, git {json.dumps(git)}" in text.stdout
    assert "Drift: 1 drifted, 3 unchanged, 0 error(s)." in text.stdout
    assert "voiceops apply" in text.stdout


def test_drift_in_markdown(workspace: Workspace, sandbox: Sandbox) -> None:
    match_sandbox(workspace, sandbox)
    sandbox.edit("autocalls", 127, {"max_duration": 300})
    result = workspace.run("drift", "--format", "markdown")
    assert result.exit_code == 2
    assert "## voiceops drift" in result.stdout
    assert "| `max_duration` | `300` | `900` |" in result.stdout


def test_write_only_fields_are_never_drift(workspace: Workspace, sandbox: Sandbox) -> None:
    match_sandbox(workspace, sandbox)
    # Forget what was applied: the plan must send the write-only fields again...
    (workspace.root / ".voiceops" / "write-only.json").unlink()
    plan = plan_json(workspace, "--detailed-exitcode")
    assert set(changes(plan, "sales-outreach")) == {"reengagement_prompt", "tts_emotion_enabled"}
    # ...but nobody can see them live, so they are not drift.
    code, report = drift_json(workspace)
    assert code == 0, report
    assert assistant(report, "sales-outreach")["changes"] == []
    assert assistant(report, "sales-outreach")["request"] is None
    text = workspace.run("drift")
    assert text.exit_code == 0
    assert "reengagement_prompt" not in text.stdout
    assert "write-only" not in text.stdout


def test_write_only_value_changed_in_the_dashboard_is_not_drift(
    workspace: Workspace, sandbox: Sandbox
) -> None:
    match_sandbox(workspace, sandbox)
    sandbox.edit("autocalls", 127, {"reengagement_prompt": "Hello?", "tts_emotion_enabled": False})
    assert workspace.run("drift").exit_code == 0
    assert plan_json(workspace, "--detailed-exitcode")["summary"]["update"] == 0


def test_drift_with_an_error_exits_one(workspace: Workspace, sandbox: Sandbox) -> None:
    match_sandbox(workspace, sandbox)
    sandbox.edit("autocalls", 127, {"max_duration": 300})
    result = workspace.run("drift", env={"INVENT_API_KEY": "revoked"})
    assert result.exit_code == 1
    assert_clean(result)
    assert "~ max_duration: live 300, git 900" in result.stdout
    assert result.stderr.splitlines() == [
        "error: connection 'invent-support': the vendor rejected the credentials in "
        "INVENT_API_KEY (401)"
    ]


def test_unmanaged_dashboard_edit_is_not_drift(workspace: Workspace, sandbox: Sandbox) -> None:
    match_sandbox(workspace, sandbox)
    sandbox.edit("edmo", "asst_123", {"voicemailMessage": "Changed in the dashboard"})
    sandbox.edit("interactly", EXAMPLES["clinic-intake"][2], {"dtmfInputEnabled": True})
    assert workspace.run("drift").exit_code == 0


def test_secret_changed_in_the_dashboard_is_drift_and_stays_secret(
    workspace: Workspace, sandbox: Sandbox
) -> None:
    match_sandbox(workspace, sandbox)
    assistant_id = EXAMPLES["clinic-intake"][2]
    server = sandbox.stored("interactly", assistant_id)["assistantServer"]
    sandbox.edit(
        "interactly",
        assistant_id,
        {"assistantServer": {**server, "secret": "dashboard-typed-secret", "headers": {}}},
    )
    outputs = [workspace.run("drift", "--format", f) for f in ("text", "markdown", "json")]
    for result in outputs:
        assert result.exit_code == 2
        assert "dashboard-typed-secret" not in result.output
        assert "sandbox-webhook-secret" not in result.output
    assert "~ assistantServer.secret: live (sensitive), git (sensitive)" in outputs[0].stdout
    change = changes(json.loads(outputs[2].stdout), "clinic-intake")["assistantServer.secret"]
    assert change["sensitive"]
    assert change["before"] is None
    assert change["after"] is None
