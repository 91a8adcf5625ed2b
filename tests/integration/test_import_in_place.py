"""`import --force` into the document that manages the assistant: only the values that
changed in the dashboard change in the file; everything else stays byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tests.conftest import Workspace

INTERACTLY_ID = "5f7b1b1b1b1b1b1b1b1b1b1b"


def changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    """(old, new) for each line that differs; fails unless the line count is the same."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    assert len(old) == len(new), (before, after)
    return [(a, b) for a, b in zip(old, new, strict=True) if a != b]


def first_import(workspace: Workspace, path: Path, *args: str) -> str:
    """Import once right after apply: the document already holds the live values of every
    field it manages, and fields it does not manage stay out, so nothing changes."""
    before = path.read_text(encoding="utf-8")
    result = workspace.run("import", *args, "--force")
    assert result.exit_code == 0, result.output
    after = path.read_text(encoding="utf-8")
    assert after == before
    return after


def test_autocalls_import_keeps_write_only_fields_comments_and_other_documents(
    workspace: Workspace,
) -> None:
    sales = workspace.spec_file("sales-outreach")
    enrollment = workspace.spec_file("enrollment-assistant")
    text = sales.read_text(encoding="utf-8")
    text = text.replace("  max_duration: 900\n", "  max_duration: 900  # 15 minutes\n")
    text = text.replace("  variables:\n", "  # agreed with the sales team\n  variables:\n")
    # A second document in the same file, with its own comment.
    other = enrollment.read_text(encoding="utf-8").replace(
        "  maxDurationSeconds: 1800\n", "  maxDurationSeconds: 1800 # half an hour\n"
    )
    text += "---\n" + other
    sales.write_text(text, encoding="utf-8")
    enrollment.unlink()
    assert workspace.run("apply", "--auto-approve").exit_code == 0
    text = first_import(workspace, sales, "--provider", "autocalls-sales", "--id", "127")

    workspace.sandbox.edit("autocalls", 127, {"max_duration": 600})
    result = workspace.run("import", "--provider", "autocalls-sales", "--id", "127", "--force")

    assert result.exit_code == 0, result.output
    assert "updated assistants/sales-outreach.yaml (sales-outreach, id 127) in place" in (
        result.stdout
    )
    after = sales.read_text(encoding="utf-8")
    assert changed_lines(text, after) == [
        ("  max_duration: 900  # 15 minutes\n", "  max_duration: 600  # 15 minutes\n")
    ]
    # The write-only fields (reengagement_prompt, tts_emotion_enabled) are still there, as
    # written.
    assert "  tts_emotion_enabled: true\n" in after
    assert "  reengagement_prompt: Ask once whether they are still there" in after
    plan = workspace.run("plan", "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output


def test_interactly_import_updates_nested_fields_and_keeps_the_secret_reference(
    workspace: Workspace,
) -> None:
    clinic = workspace.spec_file("clinic-intake")
    text = clinic.read_text(encoding="utf-8").replace(
        "  assistantServer:\n", "  # the webhook that receives call events\n  assistantServer:\n"
    )
    clinic.write_text(text, encoding="utf-8")
    assert workspace.run("apply", "--auto-approve").exit_code == 0
    text = first_import(workspace, clinic, "--provider", "interactly-prod", "--id", INTERACTLY_ID)

    live = workspace.sandbox.assistant("interactly", INTERACTLY_ID)
    server = {**live["assistantServer"], "timeoutSeconds": 45}
    config = json.loads(json.dumps(live["config"]))
    config["speech"]["stt"]["languages"] = "en-GB"
    workspace.sandbox.edit("interactly", INTERACTLY_ID, {"assistantServer": server})
    workspace.sandbox.edit("interactly", INTERACTLY_ID, {"config": config})
    result = workspace.run(
        "import", "--provider", "interactly-prod", "--id", INTERACTLY_ID, "--force"
    )

    assert result.exit_code == 0, result.output
    after = clinic.read_text(encoding="utf-8")
    assert changed_lines(text, after) == [
        ("        languages: en-US\n", "        languages: en-GB\n"),
        ("    timeoutSeconds: 20\n", "    timeoutSeconds: 45\n"),
    ]
    assert "    secret: ${env:CLINIC_INTAKE_ASSISTANTSERVER_SECRET}\n" in after
    # The reference was kept, not written: no variable to set.
    assert "set these variables" not in result.stdout
    assert "config.speech.stt.languages, assistantServer.timeoutSeconds" in result.stdout
    plan = workspace.run("plan", "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output


def test_fields_the_file_does_not_manage_stay_out_of_it(workspace: Workspace) -> None:
    enrollment = workspace.spec_file("enrollment-assistant")
    text = enrollment.read_bytes()
    assert workspace.run("apply", "--auto-approve").exit_code == 0

    # The vendor has model.maxTokens, voice and transcriber, which the document leaves alone.
    result = workspace.run("import", "--provider", "edmo-main", "--id", "asst_123", "--force")

    assert result.exit_code == 0, result.output
    assert "it holds the live values already" in result.stdout
    assert enrollment.read_bytes() == text
    plan = workspace.run("plan", "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output


def test_an_import_with_nothing_new_leaves_the_file_alone(workspace: Workspace) -> None:
    assert workspace.run("apply", "--auto-approve").exit_code == 0
    args = ("--provider", "edmo-main", "--id", "asst_123")
    first_import(workspace, workspace.spec_file("enrollment-assistant"), *args)
    before = workspace.spec_file("enrollment-assistant").read_bytes()
    result = workspace.run("import", *args, "--force")
    assert result.exit_code == 0, result.output
    assert "unchanged assistants/enrollment-assistant.yaml" in result.stdout
    assert workspace.spec_file("enrollment-assistant").read_bytes() == before


FLOW = (
    "# one document in flow style\n"
    "{apiVersion: voiceops/v1, kind: Assistant, metadata: {name: sales-outreach},\n"
    " provider: autocalls-sales, id: 127,\n"
    " spec: {name: Sales Outreach, type: outbound,\n"
    "   timezone: America/New_York, max_duration: 900, record: true}}\n"
)


def test_a_flow_style_document_is_edited_in_place(workspace: Workspace) -> None:
    sales = workspace.spec_file("sales-outreach")
    sales.write_text(FLOW, encoding="utf-8")
    workspace.sandbox.edit("autocalls", 127, {"max_duration": 600})

    result = workspace.run("import", "--provider", "autocalls-sales", "--id", "127", "--force")

    assert result.exit_code == 0, result.output
    after = sales.read_text(encoding="utf-8")
    lines = changed_lines(FLOW, after)
    assert [old for old, _ in lines] == [
        "   timezone: America/New_York, max_duration: 900, record: true}}\n"
    ]
    assert lines[0][1] == ("   timezone: America/New_York, max_duration: 600, record: true}}\n")
    data = yaml.safe_load(after)
    assert data["spec"]["max_duration"] == 600
    assert data["metadata"] == {"name": "sales-outreach"}
    assert workspace.run("validate").exit_code == 0


def test_an_edit_without_a_precise_form_is_refused_and_nothing_is_written(
    workspace: Workspace,
) -> None:
    clinic = workspace.spec_file("clinic-intake")
    text = clinic.read_text(encoding="utf-8").replace("  hints:\n", "  hints:  # recognizer\n")
    clinic.write_text(text, encoding="utf-8")
    hints = ["Riverside", "copay", "referral", "deductible"]
    workspace.sandbox.edit("interactly", INTERACTLY_ID, {"hints": hints})

    result = workspace.run(
        "import", "--provider", "interactly-prod", "--id", INTERACTLY_ID, "--force"
    )

    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "skipped clinic-intake: assistants/clinic-intake.yaml:" in result.stdout
    assert "cannot update this document in place" in result.stdout
    assert clinic.read_text(encoding="utf-8") == text
