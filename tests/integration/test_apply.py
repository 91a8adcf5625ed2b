"""`voiceops apply` against the sandbox: the requests it sends, what it leaves alone, and how
it reports each assistant."""

from __future__ import annotations

import re

import pytest

from tests.conftest import Workspace
from tests.integration.apply_helpers import (
    CLINIC,
    ENROLLMENT,
    EXAMPLES,
    SUPPORT,
    TERMINAL_INPUT,
    UPDATED_AT,
    add_document,
    assert_only_managed_changed,
    set_spec,
    spec_of,
    updates,
)
from voiceops.sandbox import Sandbox

LIVE_WEBHOOK_SECRET = "sandbox-webhook-secret"


def report_lines(stdout: str) -> list[str]:
    """The closing report's lines (after the plan that apply shows first)."""
    lines = stdout.splitlines()
    start = max(i for i, line in enumerate(lines) if line.startswith("Plan:") or not line) + 1
    return lines[start:]


def only_update(sb: Sandbox, vendor: str) -> dict:
    sent = updates(sb, vendor)
    assert len(sent) == 1, sent
    return sent[0].body


def test_each_vendor_gets_the_smallest_correct_body(workspace: Workspace) -> None:
    sb = workspace.sandbox
    result = workspace.run("apply", "--auto-approve")
    assert result.exit_code == 0, result.output
    assert "Apply: 4 applied, 0 unchanged, 0 stale, 0 failed, 0 not converged." in result.stdout

    # Interactly: the changed fields, assistantServer whole (live + desired), and `name`.
    assert only_update(sb, "interactly") == {
        "assistantTemperature": 0.2,
        "idleTimeout": 20,
        "assistantServer": {
            "url": "https://hooks.example.com/voice",
            "timeoutSeconds": 20,
            "secret": "<redacted>",  # (the sandbox's log never holds a secret value)
            "headers": {},
            "enabled": True,
            "messages": ["status-update", "end-of-call-report"],
        },
        "name": "Clinic Intake",
    }
    # Edmo: `model` whole, with provider and model and the unmanaged maxTokens, and `voice`
    # at its live value (its update page marks both "Required").
    assert only_update(sb, "edmo") == {
        "firstMessage": "Hi, I'm your enrollment assistant. How can I help today?",
        "model": {"provider": "openai", "model": "gpt-4o", "temperature": 0.6, "maxTokens": 1024},
        "voice": sb.stored("edmo", "asst_123")["voice"],
    }
    # Invent: `config` with the keys its newest update page lists, unmanaged ones at their
    # live values; stt, tts and conversation are create-only and never sent.
    config = only_update(sb, "invent")["config"]
    assert set(only_update(sb, "invent")) == {"config"}
    assert config["model"] == "gpt-4o"
    assert config["knowledge_scope"] == "all"  # unmanaged, live value
    assert set(config) == {"instructions", "language", "model", "knowledge_scope", "timezone"}
    # Autocalls: readable changes, and the write-only fields git sets.
    assert only_update(sb, "autocalls") == {
        "max_duration": 900,
        "fillers": True,
        "reengagement_prompt": "Ask once whether they are still there, then offer to call back.",
        "tts_emotion_enabled": True,
    }
    assert updates(sb, "autocalls")[0].path == "/user/assistant/127"

    converged = workspace.run("plan", "--detailed-exitcode")
    assert converged.exit_code == 0, converged.output


def test_interactly_always_sends_name_even_when_unmanaged(workspace: Workspace) -> None:
    spec = spec_of(workspace, "clinic-intake")
    del spec["name"]
    set_spec(workspace, "clinic-intake", spec)
    result = workspace.run("apply", "--auto-approve", "--target", "clinic-intake")
    assert result.exit_code == 0, result.output
    body = only_update(workspace.sandbox, "interactly")
    assert body["name"] == "Clinic Intake"  # the live name, since git does not set one


def test_unmanaged_siblings_in_a_replaced_object_survive(workspace: Workspace) -> None:
    sb = workspace.sandbox
    server = spec_of(workspace, "clinic-intake")["assistantServer"]
    del server["secret"]  # no longer managed: the live secret must stay as it is
    workspace.edit_spec("clinic-intake", assistantServer=server)
    before = sb.stored(*CLINIC)

    result = workspace.run("apply", "--auto-approve", "--target", "clinic-intake")
    assert result.exit_code == 0, result.output

    sent = only_update(sb, "interactly")["assistantServer"]
    assert sent["secret"] == "<redacted>"  # it was sent; the sandbox's log does not keep it
    assert sent["headers"] == {}
    after = sb.stored(*CLINIC)
    assert after["assistantServer"] == {**before["assistantServer"], "timeoutSeconds": 20}
    assert LIVE_WEBHOOK_SECRET not in result.output


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_apply_changes_only_managed_fields(workspace: Workspace, name: str) -> None:
    sb = workspace.sandbox
    vendor, assistant_id = EXAMPLES[name]
    before = sb.stored(vendor, assistant_id)

    result = workspace.run("apply", "--auto-approve", "--target", name)
    assert result.exit_code == 0, result.output

    after = sb.stored(vendor, assistant_id)
    assert after != before
    assert_only_managed_changed(before, after, spec_of(workspace, name), vendor)
    assert after[UPDATED_AT[vendor]] != before[UPDATED_AT[vendor]]


def test_nothing_is_sent_for_assistants_without_changes(workspace: Workspace) -> None:
    sb = workspace.sandbox
    assert workspace.run("apply", "--auto-approve").exit_code == 0
    sb.clear_requests()

    again = workspace.run("apply", "--auto-approve")
    assert again.exit_code == 0, again.output
    assert updates(sb) == []
    assert "Apply: 0 applied, 4 unchanged" in again.stdout

    # One assistant changes in git: only it gets a request.
    workspace.edit_spec("support-concierge", enabled=False)
    sb.clear_requests()
    one = workspace.run("apply", "--auto-approve")
    assert one.exit_code == 0, one.output
    assert [(r.vendor, r.body) for r in updates(sb)] == [("invent", {"enabled": False})]
    assert "Apply: 1 applied, 3 unchanged" in one.stdout


def test_apply_without_terminal_needs_auto_approve(workspace: Workspace) -> None:
    result = workspace.run("apply")
    assert result.exit_code == 1
    assert result.stdout == ""
    message = result.stderr.strip()
    assert "\n" not in message
    assert "--auto-approve" in message
    assert "Traceback" not in result.output
    assert updates(workspace.sandbox) == []


def run_with_input(ws: Workspace, answer: str, *args: str):  # type: ignore[no-untyped-def]
    """`voiceops apply` as if on a terminal, answering `answer`."""
    from click.testing import CliRunner

    from voiceops.cli import main

    args_ = ["apply", "--config", str(ws.config), *args]
    return CliRunner().invoke(main, args_, input=answer, env=ws.env, obj=TERMINAL_INPUT)


def test_on_a_terminal_apply_asks_and_a_no_sends_nothing(workspace: Workspace) -> None:
    declined = run_with_input(workspace, "n\n")
    assert declined.exit_code == 1
    assert "Apply these changes?" in declined.output
    assert "nothing was sent" in declined.output
    assert updates(workspace.sandbox) == []

    accepted = run_with_input(workspace, "y\n")
    assert accepted.exit_code == 0, accepted.output
    assert len(updates(workspace.sandbox)) == 4


def test_a_missing_assistant_fails_alone(workspace: Workspace) -> None:
    sb = workspace.sandbox
    spec = spec_of(workspace, "enrollment-assistant")
    add_document(workspace, "ghost", "edmo-main", "asst_gone", spec)

    result = workspace.run("apply", "--auto-approve")
    assert result.exit_code == 1
    assert "Apply: 4 applied, 0 unchanged, 0 stale, 1 failed, 0 not converged." in result.stdout
    failed = [line for line in report_lines(result.stdout) if "ghost" in line and "failed" in line]
    assert failed
    assert "404" in failed[0]
    assert {r.vendor for r in updates(sb)} == {"interactly", "edmo", "invent", "autocalls"}
    assert all("asst_gone" not in r.path for r in updates(sb))


def test_a_missing_assistant_fails_even_when_nothing_else_changes(workspace: Workspace) -> None:
    assert workspace.run("apply", "--auto-approve").exit_code == 0
    add_document(workspace, "ghost", "edmo-main", "asst_gone", {"name": "Ghost"})

    result = workspace.run("apply", "--auto-approve")
    assert result.exit_code == 1
    assert "0 applied, 4 unchanged, 0 stale, 1 failed" in result.stdout
    assert not re.search(r"unchanged +ghost", result.stdout)


def test_a_rejected_update_fails_alone(workspace: Workspace) -> None:
    # The schema sees the reference, not its value; Autocalls wants a whole URL and answers 422.
    workspace.edit_spec("sales-outreach", webhook_url="${env:SALES_WEBHOOK_URL}")
    result = workspace.run("apply", "--auto-approve", env={"SALES_WEBHOOK_URL": "https://"})
    assert result.exit_code == 1
    line = next(x for x in report_lines(result.stdout) if "sales-outreach" in x)
    assert line.split()[0] == "failed"
    assert "422" in line
    assert "webhook url" in line
    assert "Apply: 3 applied, 0 unchanged, 0 stale, 1 failed, 0 not converged." in result.stdout
    # The others converged regardless.
    plan = workspace.run("plan", "--detailed-exitcode", "--target", "clinic-intake")
    assert plan.exit_code == 0


def test_rejected_credentials_fail_their_connection_only(workspace: Workspace) -> None:
    result = workspace.run("apply", "--auto-approve", env={"EDMO_PASSWORD": "wrong-password"})
    assert result.exit_code == 1
    assert "wrong-password" not in result.output
    plan_errors = [x for x in report_lines(result.stdout) if x.startswith("  failed")]
    assert len(plan_errors) == 1
    assert "enrollment-assistant" in plan_errors[0]
    assert "EDMO_EMAIL and EDMO_PASSWORD" in plan_errors[0]
    assert {r.vendor for r in updates(workspace.sandbox)} == {"interactly", "invent", "autocalls"}


def test_target_limits_what_is_applied(workspace: Workspace) -> None:
    result = workspace.run("apply", "--auto-approve", "--target", "support-concierge")
    assert result.exit_code == 0, result.output
    assert [r.vendor for r in updates(workspace.sandbox)] == ["invent"]
    assert workspace.sandbox.stored(*SUPPORT)["config"]["model"] == "gpt-4o"
    # The others were not touched.
    assert workspace.sandbox.stored(*ENROLLMENT)["model"]["temperature"] == 0.7
