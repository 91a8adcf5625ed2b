"""`voiceops plan` end to end: exit codes, each kind of field change, semantic equality."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from unittest.mock import ANY

import pytest
from click.testing import CliRunner

from tests.conftest import Workspace
from tests.integration.plan_helpers import (
    ANSI,
    EXAMPLES,
    VENDOR_OF,
    add_spec,
    assert_clean,
    assistant,
    changes,
    match_sandbox,
    plan_json,
    read_spec,
    secret_values,
    set_spec,
    write_spec,
)
from voiceops.cli import main
from voiceops.cli.hooks import RunHooks
from voiceops.sandbox import Sandbox

SEED_CHANGES = {
    "clinic-intake": {"assistantTemperature", "idleTimeout", "assistantServer.timeoutSeconds"},
    "enrollment-assistant": {"firstMessage", "model.temperature"},
    "support-concierge": {"config.model"},
    "sales-outreach": {"max_duration", "fillers", "reengagement_prompt", "tts_emotion_enabled"},
}


# ---- no change and exit codes ------------------------------------------------------------


def test_first_plan_shows_the_seeded_differences(workspace: Workspace) -> None:
    plan = plan_json(workspace)
    assert plan["summary"] == {
        "managed": 4,
        "update": 4,
        "create": 0,
        "adopt": 0,
        "delete": 0,
        "unchanged": 0,
        "error": 0,
    }
    for name, expected in SEED_CHANGES.items():
        assert set(changes(plan, name)) == expected, name


def test_exit_codes_with_and_without_detailed_exitcode(workspace: Workspace) -> None:
    plain = workspace.run("plan")
    detailed = workspace.run("plan", "--detailed-exitcode")
    assert plain.exit_code == 0, plain.output
    assert detailed.exit_code == 2, detailed.output
    assert "Plan: 4 to update, 0 unchanged, 0 error(s)." in plain.stdout
    for result in (plain, detailed):
        assert_clean(result)
        assert result.stderr == ""


def test_plan_after_apply_has_no_change(workspace: Workspace) -> None:
    applied = workspace.run("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    again = workspace.run("plan", "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert "No changes: 4 assistant(s) match git." in again.stdout


def test_plan_with_live_state_edited_to_match_has_no_change(
    workspace: Workspace, sandbox: Sandbox
) -> None:
    match_sandbox(workspace, sandbox)
    result = workspace.run("plan", "--detailed-exitcode")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "No changes: 4 assistant(s) match git."
    plan = plan_json(workspace, "--detailed-exitcode")
    assert plan["summary"]["unchanged"] == 4
    assert all(a["request"] is None and a["changes"] == [] for a in plan["assistants"])


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_each_vendor_reports_no_change_on_its_own(
    workspace: Workspace, sandbox: Sandbox, name: str
) -> None:
    match_sandbox(workspace, sandbox)
    result = workspace.run("plan", "--detailed-exitcode", "--target", name)
    assert result.exit_code == 0, result.output
    assert "No changes: 1 assistant(s) match git." in result.stdout


# ---- one kind of field at a time ---------------------------------------------------------

SCALARS = {
    # name: (spec field, new value, live value in the sandbox after match_sandbox)
    "clinic-intake": ("idleTimeout", 45, 20),
    "enrollment-assistant": ("maxDurationSeconds", 600, 1800),
    "support-concierge": ("enabled", False, True),
    "sales-outreach": ("reengagement_interval", 60, 45),
}


@pytest.mark.parametrize("name", list(SCALARS))
def test_scalar_change(workspace: Workspace, sandbox: Sandbox, name: str) -> None:
    match_sandbox(workspace, sandbox)
    field, new, old = SCALARS[name]
    set_spec(workspace, name, (field,), new)
    result = workspace.run("plan", "--detailed-exitcode", "--target", name)
    assert result.exit_code == 2, result.output
    assert f"~ {field}: {json.dumps(old)} -> {json.dumps(new)}" in result.stdout
    plan = plan_json(workspace, "--target", name)
    change = changes(plan, name)[field]
    assert (change["before"], change["after"]) == (old, new)
    assert not change["sensitive"]
    assert not change["write_only"]
    assert change["before_known"]
    body = assistant(plan, name)["request"]["body"]
    assert body[field] == new


NESTED = {
    # name: (path in spec, new value, key of the whole object in the request, a live field
    #        the spec does not name, which the request must carry unchanged)
    "clinic-intake": (("assistantServer", "timeoutSeconds"), 5, "assistantServer", "headers"),
    "enrollment-assistant": (("model", "temperature"), 1.1, "model", "maxTokens"),
    "support-concierge": (("config", "instructions"), "Be brief.", "config", "knowledge_scope"),
    "sales-outreach": (("variables", "demo_length"), "45 minutes", "variables", "company_name"),
}


@pytest.mark.parametrize("name", list(NESTED))
def test_nested_field_change_sends_the_whole_object(
    workspace: Workspace, sandbox: Sandbox, name: str
) -> None:
    match_sandbox(workspace, sandbox)
    path, new, top, unmanaged = NESTED[name]
    if name == "clinic-intake":
        server = sandbox.stored("interactly", EXAMPLES[name][2])["assistantServer"]
        server["headers"] = {"X-Token": "live-header-token"}
        sandbox.edit("interactly", EXAMPLES[name][2], {"assistantServer": server})
    if name == "sales-outreach":
        # Manage only one variable: the other must survive the whole-object update.
        document = read_spec(workspace, name)
        document["spec"]["variables"] = {"demo_length": "30 minutes"}
        write_spec(workspace, name, document)
    set_spec(workspace, name, path, new)
    plan = plan_json(workspace, "--target", name)
    found = changes(plan, name)
    assert list(found) == [".".join(path)]
    body = assistant(plan, name)["request"]["body"]
    # What each vendor's update requires besides: Interactly's name, Edmo's voice.
    assert set(body) <= {top, "name", "voice"}
    inner = body[top]
    for key in path[1:]:
        inner = inner[key]
    assert inner == new
    live = sandbox.assistant(VENDOR_OF[name], EXAMPLES[name][2])
    if name == "clinic-intake":
        # headers are sensitive: referenced from live state, never written into the plan.
        reference = {"from": "live", "path": [top, unmanaged, "X-Token"]}
        assert body[top][unmanaged] == {"X-Token": {"$secret": reference}}
        assert "live-header-token" not in workspace.run("plan", "--format", "json").output
    else:
        assert body[top][unmanaged] == live[top][unmanaged]


LISTS = {
    "clinic-intake": ("hints",),
    "enrollment-assistant": ("endCallPhrases",),
    "sales-outreach": ("post_call_schema",),
}


def test_a_change_invents_update_no_longer_takes_is_an_error_naming_the_dashboard(
    workspace: Workspace, sandbox: Sandbox
) -> None:
    # docs.useinvent.com/api-reference/orgs-assistants/update-assistant lists no
    # config.conversation: a difference there cannot be applied, and is said so.
    match_sandbox(workspace, sandbox)
    path = ("config", "conversation", "suggested_messages")
    set_spec(workspace, "support-concierge", path, ["Hi"])
    result = workspace.run("plan", "--format", "json", "--target", "support-concierge")
    assert result.exit_code == 1
    error = assistant(json.loads(result.stdout), "support-concierge")["error"]
    assert "config.conversation.suggested_messages" in error
    assert "Invent dashboard" in error
    assert sandbox.requests("invent", "PATCH") == []


@pytest.mark.parametrize("name", list(LISTS))
def test_reordering_a_list_is_a_change(workspace: Workspace, sandbox: Sandbox, name: str) -> None:
    match_sandbox(workspace, sandbox)
    path = LISTS[name]
    value = read_spec(workspace, name)["spec"]
    for key in path:
        value = value[key]
    reordered = list(reversed(value))
    set_spec(workspace, name, path, reordered)
    plan = plan_json(workspace, "--detailed-exitcode", "--target", name)
    change = changes(plan, name)[".".join(path)]
    assert change["before"] == value
    assert change["after"] == reordered
    assert plan["summary"]["update"] == 1


def test_list_item_added_is_one_change_of_the_whole_list(
    workspace: Workspace, sandbox: Sandbox
) -> None:
    match_sandbox(workspace, sandbox)
    set_spec(workspace, "clinic-intake", ("hints",), ["Riverside", "copay", "referral", "x-ray"])
    plan = plan_json(workspace, "--target", "clinic-intake")
    assert list(changes(plan, "clinic-intake")) == ["hints"]
    assert assistant(plan, "clinic-intake")["request"]["body"]["hints"][-1] == "x-ray"


def test_desired_null_against_a_live_value(workspace: Workspace, sandbox: Sandbox) -> None:
    match_sandbox(workspace, sandbox)
    set_spec(workspace, "enrollment-assistant", ("firstMessage",), None)
    set_spec(workspace, "sales-outreach", ("webhook_url",), None)
    result = workspace.run("plan")
    assert (
        '~ firstMessage: "Hi, I\'m your enrollment assistant. How can I help today?" -> null'
        in (result.stdout)
    )
    assert '~ webhook_url: "https://hooks.example.com/autocalls/sales" -> null' in result.stdout
    plan = plan_json(workspace)
    change = changes(plan, "enrollment-assistant")["firstMessage"]
    assert change["after"] is None
    assert change["before_known"]
    assert not change["before_absent"]
    body = assistant(plan, "enrollment-assistant")["request"]["body"]
    # Edmo's update page marks model and voice "Required": every PATCH carries both.
    assert body == {"firstMessage": None, "model": ANY, "voice": ANY}
    assert assistant(plan, "sales-outreach")["request"]["body"] == {"webhook_url": None}


def test_live_null_against_a_desired_value(workspace: Workspace, sandbox: Sandbox) -> None:
    match_sandbox(workspace, sandbox)
    sandbox.edit("edmo", "asst_123", {"voicemailMessage": None})
    set_spec(workspace, "enrollment-assistant", ("voicemailMessage",), "Please call back.")
    add_spec(workspace, "inbound-reception", "autocalls-sales", 129, {"phone_number_id": 44})
    result = workspace.run("plan")
    assert '~ voicemailMessage: null -> "Please call back."' in result.stdout
    assert "~ phone_number_id: null -> 44" in result.stdout
    plan = plan_json(workspace)
    change = changes(plan, "enrollment-assistant")["voicemailMessage"]
    assert change["before"] is None
    assert change["before_known"]
    assert not change["before_absent"]
    assert changes(plan, "inbound-reception")["phone_number_id"]["before"] is None


def test_live_nested_object_null_against_desired_fields(
    workspace: Workspace, sandbox: Sandbox
) -> None:
    match_sandbox(workspace, sandbox)
    sandbox.edit("edmo", "asst_123", {"metadata": None})
    set_spec(workspace, "enrollment-assistant", ("metadata",), {"department": "admissions"})
    plan = plan_json(workspace, "--target", "enrollment-assistant")
    change = changes(plan, "enrollment-assistant")["metadata"]
    assert (change["before"], change["after"]) == (None, {"department": "admissions"})
    body = assistant(plan, "enrollment-assistant")["request"]["body"]
    assert body == {"metadata": {"department": "admissions"}, "model": ANY, "voice": ANY}


def test_field_missing_from_live_state_is_shown_absent(
    workspace: Workspace, sandbox: Sandbox
) -> None:
    match_sandbox(workspace, sandbox)
    # The seeded "Pharmacy Refills" assistant has no stopSpeakingOptions at all.
    add_spec(
        workspace,
        "pharmacy-refills",
        "interactly-prod",
        "6a1c2e3f4b5d6e7f8a9b0c2e",
        {"stopSpeakingOptions": {"numberOfWords": 2}},
    )
    result = workspace.run("plan", "--target", "pharmacy-refills")
    assert '~ stopSpeakingOptions: (absent) -> {"numberOfWords": 2}' in result.stdout
    plan = plan_json(workspace, "--target", "pharmacy-refills")
    item = changes(plan, "pharmacy-refills")["stopSpeakingOptions"]
    assert item["before_absent"]
    assert not item["before_known"]
    assert item["before"] is None
    body = assistant(plan, "pharmacy-refills")["request"]["body"]
    assert body == {"stopSpeakingOptions": {"numberOfWords": 2}, "name": "Pharmacy Refills"}


# ---- sensitive and write-only ------------------------------------------------------------

ROTATED = "rotated-webhook-secret-0451"


def test_sensitive_change_is_masked_everywhere(workspace: Workspace, sandbox: Sandbox) -> None:
    match_sandbox(workspace, sandbox)
    env = {"CLINIC_INTAKE_ASSISTANTSERVER_SECRET": ROTATED}
    old = sandbox.stored("interactly", EXAMPLES["clinic-intake"][2])["assistantServer"]["secret"]
    outputs = {}
    for output in ("text", "markdown", "json"):
        result = workspace.run("plan", "--format", output, "--detailed-exitcode", env=env)
        assert result.exit_code == 2, result.output
        assert_clean(result)
        outputs[output] = result.stdout + result.stderr
    for output, text in outputs.items():
        assert ROTATED not in text, output
        assert old not in text, output
    assert "~ assistantServer.secret: (sensitive) -> (sensitive)" in outputs["text"]
    assert "| `assistantServer.secret` | `(sensitive)` | `(sensitive)` |" in outputs["markdown"]
    plan = json.loads(outputs["json"])
    change = changes(plan, "clinic-intake")["assistantServer.secret"]
    assert change["sensitive"]
    assert change["before"] is None
    assert change["after"] is None
    body = assistant(plan, "clinic-intake")["request"]["body"]
    assert body["assistantServer"]["secret"] == {
        "$secret": {
            "from": "spec",
            "path": ["assistantServer", "secret"],
            "env": ["CLINIC_INTAKE_ASSISTANTSERVER_SECRET"],
        }
    }
    # The rest of the whole-object update is plain.
    assert body["assistantServer"]["url"] == "https://hooks.example.com/voice"


def test_environment_values_inside_lists_and_objects_are_masked(
    workspace: Workspace, sandbox: Sandbox, tmp_path
) -> None:
    match_sandbox(workspace, sandbox)
    reference = "${env:CLINIC_INTAKE_ASSISTANTSERVER_SECRET}"
    set_spec(workspace, "clinic-intake", ("hints",), ["Riverside", reference])
    set_spec(workspace, "sales-outreach", ("variables",), {"company_name": reference})
    out = tmp_path / "plan.json"
    env = {"CLINIC_INTAKE_ASSISTANTSERVER_SECRET": ROTATED}
    result = workspace.run("plan", "--out", str(out), env=env)
    assert re.search(r"~ hints +: \(sensitive\) -> \(sensitive\)", result.stdout)
    assert "~ variables.company_name: (sensitive) -> (sensitive)" in result.stdout
    plan = json.loads(out.read_text(encoding="utf-8"))
    for text in (result.output, out.read_text(encoding="utf-8")):
        assert ROTATED not in text
    hints = assistant(plan, "clinic-intake")["request"]["body"]["hints"]
    assert hints == [
        "Riverside",
        {
            "$secret": {
                "from": "spec",
                "path": ["hints", 1],
                "env": ["CLINIC_INTAKE_ASSISTANTSERVER_SECRET"],
            }
        },
    ]
    variables = assistant(plan, "sales-outreach")["request"]["body"]["variables"]
    assert variables["company_name"] == {
        "$secret": {
            "from": "spec",
            "path": ["variables", "company_name"],
            "env": ["CLINIC_INTAKE_ASSISTANTSERVER_SECRET"],
        }
    }
    assert variables["demo_length"] == "30 minutes"  # the live value kept in the whole object


def test_sensitive_value_unchanged_is_not_a_change(workspace: Workspace, sandbox: Sandbox) -> None:
    match_sandbox(workspace, sandbox)
    plan = plan_json(workspace, "--target", "clinic-intake")
    assert assistant(plan, "clinic-intake")["status"] == "unchanged"


def test_write_only_field_is_named_with_unknown_before(workspace: Workspace) -> None:
    result = workspace.run("plan", "--target", "sales-outreach")
    assert "~ tts_emotion_enabled: (write-only: not readable) -> true  (write-only)" in (
        result.stdout
    )
    assert "write-only fields cannot be read back" in result.stdout
    markdown = workspace.run("plan", "--target", "sales-outreach", "--format", "markdown")
    assert "| `tts_emotion_enabled` | `(write-only: not readable)` | `true` *(write-only)* |" in (
        markdown.stdout
    )
    change = changes(plan_json(workspace), "sales-outreach")["tts_emotion_enabled"]
    assert change["write_only"]
    assert not change["before_known"]
    assert change["before"] is None
    assert change["after"] is True


def test_write_only_field_after_apply_is_planned_only_when_git_changes(
    workspace: Workspace,
) -> None:
    assert workspace.run("apply", "--auto-approve").exit_code == 0
    assert plan_json(workspace, "--detailed-exitcode")["summary"]["update"] == 0
    set_spec(workspace, "sales-outreach", ("tts_emotion_enabled",), False)
    plan = plan_json(workspace)
    assert list(changes(plan, "sales-outreach")) == ["tts_emotion_enabled"]
    assert assistant(plan, "sales-outreach")["request"]["body"] == {"tts_emotion_enabled": False}


# ---- semantic equality -------------------------------------------------------------------


def test_integer_equals_float(workspace: Workspace, sandbox: Sandbox) -> None:
    match_sandbox(workspace, sandbox)
    assistant_id = EXAMPLES["clinic-intake"][2]
    sandbox.edit("interactly", assistant_id, {"maxCallDuration": 30.0, "assistantTemperature": 1})
    set_spec(workspace, "clinic-intake", ("assistantTemperature",), 1.0)
    set_spec(workspace, "enrollment-assistant", ("maxDurationSeconds",), 1800.0)
    sandbox.edit("autocalls", 127, {"max_duration": 900.0})
    plan = plan_json(workspace, "--detailed-exitcode")
    assert plan["summary"]["update"] == 0, plan


def test_key_order_is_irrelevant(workspace: Workspace, sandbox: Sandbox) -> None:
    match_sandbox(workspace, sandbox)
    assistant_id = EXAMPLES["clinic-intake"][2]
    server = sandbox.stored("interactly", assistant_id)["assistantServer"]
    sandbox.edit("interactly", assistant_id, {"assistantServer": dict(reversed(server.items()))})
    model = sandbox.stored("edmo", "asst_123")["model"]
    sandbox.edit("edmo", "asst_123", {"model": dict(reversed(model.items()))})
    document = read_spec(workspace, "support-concierge")
    config = document["spec"]["config"]
    document["spec"]["config"] = dict(reversed(config.items()))
    write_spec(workspace, "support-concierge", document)
    plan = plan_json(workspace, "--detailed-exitcode")
    assert plan["summary"]["update"] == 0, plan


def test_unmanaged_fields_never_appear(workspace: Workspace, sandbox: Sandbox) -> None:
    match_sandbox(workspace, sandbox)
    interactly_id = EXAMPLES["clinic-intake"][2]
    live = sandbox.stored("interactly", interactly_id)
    sandbox.edit(
        "interactly",
        interactly_id,
        {
            "backgroundSoundVolume": 90,
            "assistantServer": {**live["assistantServer"], "headers": {"X-New": "1"}},
            "config": {"speech": {**live["config"]["speech"], "extra": True}, "other": 1},
        },
    )
    model = sandbox.stored("edmo", "asst_123")["model"]
    sandbox.edit("edmo", "asst_123", {"model": {**model, "maxTokens": 99}, "metadata": None})
    config = sandbox.stored("invent", "asst_support")["config"]
    config["stt"]["model"] = "whisper-2"
    config["conversation"]["enable_memories"] = False
    sandbox.edit("invent", "asst_support", {"config": config, "name": "Renamed in dashboard?"})
    sandbox.edit("autocalls", 127, {"language": "German", "voice_id": 99})
    # The spec does name invent's `name`: that one, and only that one, is a change.
    plan = plan_json(workspace)
    assert plan["summary"]["update"] == 1
    assert list(changes(plan, "support-concierge")) == ["name"]
    text = workspace.run("plan").stdout
    for word in ("backgroundSoundVolume", "headers", "maxTokens", "stt", "language", "voice_id"):
        assert word not in text


# ---- options -----------------------------------------------------------------------------


def test_target_limits_the_plan_and_the_requests(workspace: Workspace, sandbox: Sandbox) -> None:
    sandbox.clear_requests()
    plan = plan_json(workspace, "--target", "enrollment-assistant", "--target", "sales-outreach")
    assert [a["name"] for a in plan["assistants"]] == ["enrollment-assistant", "sales-outreach"]
    # The safety threshold compares with everything the repository manages.
    assert plan["summary"]["managed"] == 4
    assert {r.vendor for r in sandbox.requests()} == {"edmo", "autocalls"}


def test_unknown_target_is_one_sentence(workspace: Workspace, sandbox: Sandbox) -> None:
    sandbox.clear_requests()
    result = workspace.run("plan", "--target", "no-such-assistant")
    assert result.exit_code == 1
    assert_clean(result)
    assert result.stdout == ""
    assert result.stderr == "error: no assistant is named 'no-such-assistant'\n"
    assert sandbox.requests() == []


def test_unknown_target_offers_the_closest_name(workspace: Workspace) -> None:
    result = workspace.run("plan", "--target", "clinic-intak")
    assert result.exit_code == 1
    assert result.stderr == (
        "error: no assistant is named 'clinic-intak' (did you mean 'clinic-intake'?)\n"
    )


def test_out_writes_a_plan_file_without_secrets(
    workspace: Workspace, sandbox: Sandbox, tmp_path
) -> None:
    out = tmp_path / "plan.json"
    env = {"CLINIC_INTAKE_ASSISTANTSERVER_SECRET": ROTATED}
    result = workspace.run("plan", "--out", str(out), env=env)
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    plan = json.loads(text)
    assert plan["format_version"] == 4
    assert plan["summary"]["update"] == 4
    for item in plan["assistants"]:
        assert item["fingerprint"].startswith("sha256:"), item["name"]
        assert item["spec_digest"].startswith("sha256:"), item["name"]
        request = item["request"]
        assert request["method"] in ("PATCH", "PUT"), item["name"]
        assert request["path"], item["name"]
        assert request["body"], item["name"]
    requests = {a["name"]: a["request"] for a in plan["assistants"]}
    assert requests["sales-outreach"] == {
        "method": "PUT",
        "path": "/user/assistant/127",
        "body": {
            "max_duration": 900,
            "fillers": True,
            "reengagement_prompt": (
                "Ask once whether they are still there, then offer to call back."
            ),
            "tts_emotion_enabled": True,
        },
    }
    assert requests["enrollment-assistant"]["path"] == "/assistants/asst_123"
    assert requests["support-concierge"]["path"] == "/orgs/c/assistants/asst_support"
    for secret in [*secret_values(sandbox), ROTATED]:
        assert secret not in text, secret
        assert secret not in result.output, secret


def test_out_into_a_missing_directory_is_one_sentence(workspace: Workspace, tmp_path) -> None:
    out = tmp_path / "missing" / "plan.json"
    result = workspace.run("plan", "--out", str(out))
    assert result.exit_code == 1
    assert_clean(result)
    assert result.stderr == f"error: cannot write the plan file {out}: No such file or directory\n"


def test_no_color_means_no_escape_sequences(workspace: Workspace) -> None:
    # Pretend stdout is a terminal, so that colour would otherwise be used.
    terminal = RunHooks(is_terminal=lambda stream: stream is sys.stdout)
    runner = CliRunner()
    args = ["plan", "--config", str(workspace.config)]
    coloured = runner.invoke(main, args, env=workspace.env, color=True, obj=terminal)
    assert ANSI.search(coloured.stdout), "colour expected on a terminal without NO_COLOR"
    no_color = {**workspace.env, "NO_COLOR": "1"}
    plain = runner.invoke(main, args, env=no_color, color=True, obj=terminal)
    assert plain.exit_code == 0, plain.output
    assert "Plan: 4 to update" in plain.stdout
    assert not ANSI.search(plain.stdout + plain.stderr)
    assert "\x1b" not in plain.stdout + plain.stderr


def _on_a_terminal(workspace: Workspace, *args: str, no_color: bool) -> tuple[int, bytes]:
    """The real command in a child process whose stdout and stderr are a terminal."""
    pty = pytest.importorskip("pty")
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env.update(workspace.env, TERM="xterm-256color")
    if no_color:
        env["NO_COLOR"] = "1"
    leader, follower = pty.openpty()
    command = [sys.executable, "-m", "voiceops", *args, "--config", str(workspace.config)]
    child = subprocess.Popen(
        command, stdin=follower, stdout=follower, stderr=follower, env=env, cwd=workspace.root
    )
    os.close(follower)
    output = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        output += chunk
    os.close(leader)
    return child.wait(), output


@pytest.mark.parametrize("command", ["plan", "drift"])
def test_no_color_on_a_real_terminal(workspace: Workspace, command: str) -> None:
    code, coloured = _on_a_terminal(workspace, command, no_color=False)
    assert code in (0, 2)
    assert b"\x1b[" in coloured  # colour (and the progress spinner) on a terminal
    code, plain = _on_a_terminal(workspace, command, no_color=True)
    assert code in (0, 2)
    assert b"clinic-intake" in plain
    assert b"\x1b" not in plain


# ---- mass-update warning -----------------------------------------------------------------

UNCHANGED_EXTRAS = [
    (
        "after-hours-triage",
        "interactly-prod",
        "6a1c2e3f4b5d6e7f8a9b0c1d",
        {"assistantModel": "gpt-4o"},
    ),
    ("pharmacy-refills", "interactly-prod", "6a1c2e3f4b5d6e7f8a9b0c2e", {"maxCallDuration": 10}),
    ("financial-aid", "edmo-main", "asst_456", {"name": "Financial Aid Helper"}),
    ("campus-tours", "edmo-main", "asst_789", {"endCallPhrases": ["bye"]}),
    ("sales-desk", "invent-support", "asst_sales", {"name": "Sales Desk"}),
    ("appointment-reminders", "autocalls-sales", 128, {"type": "outbound"}),
    ("inbound-reception", "autocalls-sales", 129, {"type": "inbound"}),
    ("billing-questions", "invent-support", "asst_billing", {"enabled": False}),
    ("onboarding-guide", "invent-support", "asst_onboarding", {"name": "Onboarding Guide"}),
    ("returns", "invent-support", "asst_returns", {"name": "Returns and Refunds"}),
]


def test_mass_update_warning(workspace: Workspace) -> None:
    for name, connection, assistant_id, spec in UNCHANGED_EXTRAS[:6]:
        add_spec(workspace, name, connection, assistant_id, spec)
    # 4 of 10 managed assistants change: 40% > 30%.
    result = workspace.run("plan")
    assert result.exit_code == 0, result.output
    warning = (
        "Warning: this would update or delete 4 of 10 managed assistants (40%), more than the 30% "
        "safety threshold; apply needs --allow-mass-update"
    )
    assert result.stdout.startswith(warning)
    assert workspace.run("plan", "--detailed-exitcode").exit_code == 2
    plan = plan_json(workspace)
    assert plan["summary"] == {
        "managed": 10,
        "update": 4,
        "create": 0,
        "adopt": 0,
        "delete": 0,
        "unchanged": 6,
        "error": 0,
    }
    assert len(plan["warnings"]) == 1
    assert "4 of 10" in plan["warnings"][0]
    markdown = workspace.run("plan", "--format", "markdown").stdout
    assert "> [!WARNING]\n> this would update or delete 4 of 10" in markdown


def test_no_mass_update_warning_under_the_threshold(workspace: Workspace) -> None:
    for name, connection, assistant_id, spec in UNCHANGED_EXTRAS:
        add_spec(workspace, name, connection, assistant_id, spec)
    # 4 of 14: 29%.
    plan = plan_json(workspace)
    assert plan["summary"]["unchanged"] == 10, plan
    assert plan["warnings"] == []
    assert "Warning" not in workspace.run("plan").stdout


def test_no_mass_update_warning_with_few_assistants(workspace: Workspace) -> None:
    # All 4 change, but fewer than 10 are managed.
    assert plan_json(workspace)["warnings"] == []


def test_one_request_at_a_time_gives_the_same_plan(workspace: Workspace) -> None:
    serial = plan_json(workspace, "--concurrency", "1")
    parallel = plan_json(workspace, "--concurrency", "64")
    serial.pop("created_at")
    parallel.pop("created_at")
    assert serial == parallel


def test_plan_is_reproducible(workspace: Workspace) -> None:
    first = plan_json(workspace)
    second = plan_json(workspace)
    first.pop("created_at")
    second.pop("created_at")
    assert first == second
    assert all(a["status"] == "update" for a in first["assistants"])
    assert assistant(first, "clinic-intake")["request"]["body"]["name"] == "Clinic Intake"
