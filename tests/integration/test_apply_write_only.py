"""Write-only fields (Autocalls: accepted by the update, never shown by the list)."""

from __future__ import annotations

import json

from tests.conftest import Workspace
from tests.integration.apply_helpers import SALES, plan_json, updates

RECORD = ".voiceops/write-only.json"
PROMPT = "Ask once whether they are still there, then offer to call back."


def test_write_only_fields_apply_once_and_then_stay_quiet(workspace: Workspace) -> None:
    sb = workspace.sandbox
    planned = plan_json(workspace, "--target", "sales-outreach")
    changes = {c["path"]: c for c in planned["assistants"][0]["changes"]}
    assert changes["reengagement_prompt"]["write_only"] is True
    assert changes["tts_emotion_enabled"]["write_only"] is True
    assert changes["max_duration"]["write_only"] is False
    assert "(write-only)" in workspace.run("plan").stdout

    result = workspace.run("apply", "--auto-approve")
    assert result.exit_code == 0, result.output
    body = updates(sb, "autocalls")[0].body
    assert body["reengagement_prompt"] == PROMPT
    assert body["tts_emotion_enabled"] is True

    assert workspace.run("plan", "--detailed-exitcode").exit_code == 0
    drift = workspace.run("drift")
    assert drift.exit_code == 0, drift.output
    assert "reengagement_prompt" not in drift.stdout

    # The record keeps hashes of what was applied, never the values.
    record_text = (workspace.root / RECORD).read_text()
    record = json.loads(record_text)
    entry = record["assistants"]["autocalls-sales/127"]
    assert set(entry) == {"reengagement_prompt", "tts_emotion_enabled"}
    assert all(value.startswith("sha256:") for value in entry.values())
    assert "still there" not in record_text
    assert "true" not in record_text


def test_changing_a_write_only_field_in_git_applies_it_again(workspace: Workspace) -> None:
    sb = workspace.sandbox
    assert workspace.run("apply", "--auto-approve").exit_code == 0
    sb.clear_requests()

    workspace.edit_spec("sales-outreach", reengagement_prompt="Say hello again.")
    planned = plan_json(workspace, "--target", "sales-outreach")
    changes = planned["assistants"][0]["changes"]
    assert [(c["path"], c["write_only"], c["after"]) for c in changes] == [
        ("reengagement_prompt", True, "Say hello again.")
    ]

    result = workspace.run("apply", "--auto-approve")
    assert result.exit_code == 0, result.output
    assert [r.body for r in updates(sb)] == [{"reengagement_prompt": "Say hello again."}]
    assert sb.stored(*SALES)["reengagement_prompt"] == "Say hello again."
    assert workspace.run("plan", "--detailed-exitcode").exit_code == 0

    # Back to the old value: that is a change in git too.
    workspace.edit_spec("sales-outreach", reengagement_prompt=PROMPT)
    assert workspace.run("plan", "--detailed-exitcode").exit_code == 2
    assert workspace.run("apply", "--auto-approve").exit_code == 0
    assert sb.stored(*SALES)["reengagement_prompt"] == PROMPT


def test_a_whole_number_written_differently_is_not_a_change(workspace: Workspace) -> None:
    workspace.edit_spec("sales-outreach", speech_speed=1)
    assert workspace.run("apply", "--auto-approve").exit_code == 0
    workspace.edit_spec("sales-outreach", speech_speed=1.0)  # 1 equals 1.0
    assert workspace.run("plan", "--detailed-exitcode").exit_code == 0


def test_new_write_only_field_in_git_is_sent_alone(workspace: Workspace) -> None:
    sb = workspace.sandbox
    assert workspace.run("apply", "--auto-approve").exit_code == 0
    sb.clear_requests()
    workspace.edit_spec("sales-outreach", voice_mail_message="Please call us back.")

    result = workspace.run("apply", "--auto-approve")
    assert result.exit_code == 0, result.output
    assert [r.body for r in updates(sb)] == [{"voice_mail_message": "Please call us back."}]
    assert sb.stored(*SALES)["voice_mail_message"] == "Please call us back."


def test_a_failed_write_only_update_is_tried_again_next_time(workspace: Workspace) -> None:
    sb = workspace.sandbox
    # 422 from the vendor: nothing applied, so nothing may be recorded as applied.
    workspace.edit_spec("sales-outreach", webhook_url="${env:SALES_WEBHOOK_URL}")
    assert (
        workspace.run("apply", "--auto-approve", env={"SALES_WEBHOOK_URL": "https://"}).exit_code
        == 1
    )
    assert not (workspace.root / RECORD).exists() or "autocalls-sales/127" not in json.loads(
        (workspace.root / RECORD).read_text()
    ).get("assistants", {})

    workspace.edit_spec("sales-outreach", webhook_url="https://hooks.example.com/sales")
    sb.clear_requests()
    assert workspace.run("apply", "--auto-approve").exit_code == 0
    body = updates(sb, "autocalls")[0].body
    assert body["reengagement_prompt"] == PROMPT
    assert body["tts_emotion_enabled"] is True


def test_an_unreadable_record_is_one_plain_error(workspace: Workspace) -> None:
    record = workspace.root / RECORD
    record.parent.mkdir()
    record.write_text("{not json")
    result = workspace.run("apply", "--auto-approve")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert RECORD.split("/")[-1] in result.stderr
    assert updates(workspace.sandbox) == []
