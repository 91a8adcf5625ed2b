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
    # The unknown key goes into the plan as a reference to live state (it may be a secret).
    where = ["config", "speech", "ttsData", 0, "config", "x_vendor_knob"]
    knob = {"$secret": {"from": "live", "path": where}}
    assert sent == [
        {**tuned, "voice": "new-voice", "config": {**tuned["config"], "x_vendor_knob": knob}}
    ]
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


PLANTED = "sk-planted-0123456789abcdef"


def test_values_under_keys_the_schema_does_not_know_never_leave_in_clear(
    workspace: Workspace, sandbox: Sandbox
) -> None:
    # Nothing says a key voiceops does not know holds no secret: it is carried over as a
    # reference to live state, and its value is masked in every output.
    match_sandbox(workspace, sandbox)
    live = sandbox.stored("interactly", CLINIC)
    live["assistantServer"]["signingKey"] = PLANTED
    live["config"]["speech"]["ttsData"].append(
        {"vendor": "azure", "language": "es-ES", "voice": "B", "config": {"apiKey": PLANTED}}
    )
    sandbox.edit("interactly", CLINIC, {k: live[k] for k in ("assistantServer", "config")})
    set_spec(workspace, "clinic-intake", ("assistantServer", "timeoutSeconds"), 7)
    outputs = [
        workspace.run("plan", "--out", "plan.json", "--target", "clinic-intake").output,
        workspace.run("plan", "--format", "json").output,
        workspace.run("plan", "--format", "markdown").output,
        workspace.run("drift").output,
        (workspace.root / "plan.json").read_text(encoding="utf-8"),
    ]
    for output in outputs:
        assert PLANTED not in output
    result = workspace.run("apply", "plan.json")
    assert result.exit_code == 0, result.output
    assert PLANTED not in result.output
    after = sandbox.stored("interactly", CLINIC)
    assert after["assistantServer"]["signingKey"] == PLANTED  # carried over, as it was
    assert after["assistantServer"]["timeoutSeconds"] == 7


def test_an_invent_update_sends_no_config_key_its_page_does_not_list(
    workspace: Workspace, sandbox: Sandbox
) -> None:
    match_sandbox(workspace, sandbox)
    config = sandbox.stored("invent", "asst_support")["config"]
    sandbox.edit("invent", "asst_support", {"config": {**config, "newknob": "planted"}})
    set_spec(workspace, "support-concierge", ("config", "instructions"), "Be brief.")
    result = workspace.run("apply", "--auto-approve", "--target", "support-concierge")
    assert result.exit_code == 0, result.output
    [patch] = sandbox.requests("invent", "PATCH")
    assert set(patch.body["config"]) == {
        "instructions",
        "language",
        "model",
        "knowledge_scope",
        "timezone",
    }


def test_reordered_boards_keep_their_own_segments(workspace: Workspace, sandbox: Sandbox) -> None:
    match_sandbox(workspace, sandbox)
    first = {"board_id": "brd_1", "initial_segment_id": "seg_1"}
    set_spec(workspace, "support-concierge", ("boards",), [first, {"board_id": "brd_2"}])
    assert workspace.run("apply", "--auto-approve").exit_code == 0
    # The document now names the boards only: the segment of brd_1 is live's to keep.
    set_spec(
        workspace, "support-concierge", ("boards",), [{"board_id": "brd_2"}, {"board_id": "brd_1"}]
    )
    result = workspace.run("apply", "--auto-approve", "--target", "support-concierge")
    assert result.exit_code == 0, result.output
    boards = sandbox.assistant("invent", "asst_support")["boards"]
    segments = {b["board_id"]: (b["initial_segment"] or {}).get("id") for b in boards}
    assert segments == {"brd_2": None, "brd_1": "seg_1"}
