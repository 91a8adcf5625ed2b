"""The vendors as their current documentation describes them, end to end against the sandbox:
Interactly's voice tuning survives an update that does not manage it, Invent's newest update
body, its boards and its soft-deleted assistants."""

from __future__ import annotations

from tests.conftest import Workspace
from tests.integration.plan_helpers import (
    assistant,
    changes,
    match_sandbox,
    plan_json,
    read_spec,
    set_spec,
    write_spec,
)
from voiceops.sandbox import Sandbox

CLINIC = "5f7b1b1b1b1b1b1b1b1b1b1b"
VOICE = ("config", "speech", "ttsData")


def test_a_voice_change_keeps_the_tuning_the_document_does_not_manage(
    workspace: Workspace, sandbox: Sandbox
) -> None:
    match_sandbox(workspace, sandbox)
    live = sandbox.stored("interactly", CLINIC)
    tuned = live["config"]["speech"]["ttsData"][0]
    tuned["config"]["x_vendor_knob"] = 3  # a key the schema does not know
    sandbox.edit("interactly", CLINIC, {"config": live["config"]})
    # The example document names vendor, language and voice only: no difference.
    assert workspace.run("plan", "--detailed-exitcode").exit_code == 0
    item = {"vendor": "eleven-labs", "language": "en-US", "voice": "new-voice"}
    set_spec(workspace, "clinic-intake", VOICE, [item])
    plan = plan_json(workspace, "--target", "clinic-intake")
    assert list(changes(plan, "clinic-intake")) == ["config.speech.ttsData"]
    sent = assistant(plan, "clinic-intake")["request"]["body"]["config"]["speech"]["ttsData"]
    assert sent == [{**tuned, "voice": "new-voice"}]
    result = workspace.run("apply", "--auto-approve", "--target", "clinic-intake")
    assert result.exit_code == 0, result.output
    after = sandbox.stored("interactly", CLINIC)["config"]["speech"]["ttsData"]
    assert after == [{**tuned, "voice": "new-voice"}]
    assert workspace.run("plan", "--detailed-exitcode").exit_code == 0


def test_interactly_documented_fields_are_managed(workspace: Workspace, sandbox: Sandbox) -> None:
    match_sandbox(workspace, sandbox)
    document = read_spec(workspace, "clinic-intake")
    document["spec"]["ttsCacheEnabled"] = False
    document["spec"]["config"]["speech"]["ttsData"][0]["config"] = {"stability": 0.9}
    document["spec"]["assistantServer"]["messages"] = ["end-of-call-report", "error"]
    write_spec(workspace, "clinic-intake", document)
    assert workspace.run("validate").exit_code == 0
    result = workspace.run("apply", "--auto-approve", "--target", "clinic-intake")
    assert result.exit_code == 0, result.output
    stored = sandbox.stored("interactly", CLINIC)
    assert stored["ttsCacheEnabled"] is False
    voice = stored["config"]["speech"]["ttsData"][0]["config"]
    assert voice["stability"] == 0.9
    assert voice["modelId"] == "eleven_turbo_v2_5"  # unmanaged: kept
    assert stored["assistantServer"]["messages"] == ["end-of-call-report", "error"]


def test_invent_boards_are_applied_and_read_back(workspace: Workspace, sandbox: Sandbox) -> None:
    match_sandbox(workspace, sandbox)
    boards = [{"board_id": "brd_sales", "initial_segment_id": "seg_new"}, {"board_id": "brd_2"}]
    set_spec(workspace, "support-concierge", ("boards",), boards)
    result = workspace.run("apply", "--auto-approve", "--target", "support-concierge")
    assert result.exit_code == 0, result.output
    [patch] = sandbox.requests("invent", "PATCH")
    assert patch.body == {"boards": boards}
    assert workspace.run("plan", "--detailed-exitcode").exit_code == 0


def test_a_soft_deleted_invent_assistant_is_gone_and_never_updated(
    workspace: Workspace, sandbox: Sandbox
) -> None:
    sandbox.edit("invent", "asst_support", {"deleted": True})
    result = workspace.run("plan", "--target", "support-concierge")
    assert result.exit_code == 1
    assert "Invent marks assistant 'asst_support' as deleted" in result.stderr
    assert "remove this document" in result.stderr
    assert "voiceops import --provider invent-support" in result.stderr
    applied = workspace.run("apply", "--auto-approve", "--target", "support-concierge")
    assert applied.exit_code == 1
    assert sandbox.requests("invent", "PATCH") == []


def test_importing_a_soft_deleted_invent_assistant_is_refused(
    workspace: Workspace, sandbox: Sandbox
) -> None:
    sandbox.edit("invent", "asst_support", {"deleted": True})
    result = workspace.run(
        "import", "--provider", "invent-support", "--id", "asst_support", "--out", "imported"
    )
    assert result.exit_code == 1
    assert "marks assistant 'asst_support' on 'invent-support' as deleted" in result.stderr
    assert not (workspace.root / "imported").exists()
