"""What is particular to each vendor: Autocalls' list encodings and single list, Edmo's login,
Invent's pagination."""

from __future__ import annotations

import pytest

from tests.conftest import Workspace
from tests.integration.plan_helpers import (
    ExpiringSessions,
    add_spec,
    assert_clean,
    assistant,
    changes,
    error_lines,
    match_sandbox,
    plan_json,
    python_plan,
    set_base_url,
    set_spec,
)
from voiceops.reconcile.plan import Status, plan_to_dict
from voiceops.sandbox import Sandbox, SandboxOptions

# ---- Autocalls ---------------------------------------------------------------------------


def test_autocalls_list_encodings_read_as_the_spec_values(
    workspace: Workspace, sandbox: Sandbox
) -> None:
    match_sandbox(workspace, sandbox)
    live = sandbox.assistant("autocalls", 127)
    # The list really does encode booleans as 1/0, numbers as strings and tools nested.
    assert (live["name"], live["type"], live["fillers"], live["max_duration"]) == (
        "Sales Outreach",
        "outbound",
        1,
        900,
    )
    assert live["llm_temperature"] == "0.40"
    assert live["tools"][0]["data"]
    plan = plan_json(workspace, "--detailed-exitcode", "--target", "sales-outreach")
    assert assistant(plan, "sales-outreach")["status"] == "unchanged"


@pytest.mark.parametrize(
    ("field", "value", "before"),
    [
        ("name", "Sales Callbacks", "Sales Outreach"),
        ("type", "inbound", "outbound"),
        ("fillers", False, True),
        ("record", False, True),
        ("max_duration", 1200, 900),
        ("reengagement_interval", 30, 45),
        ("llm_temperature", 0.7, 0.4),
    ],
)
def test_autocalls_encoded_field_change(
    workspace: Workspace, sandbox: Sandbox, field: str, value: object, before: object
) -> None:
    match_sandbox(workspace, sandbox)
    set_spec(workspace, "sales-outreach", (field,), value)
    plan = plan_json(workspace, "--target", "sales-outreach")
    change = changes(plan, "sales-outreach")
    assert list(change) == [field]
    assert (change[field]["before"], change[field]["after"]) == (before, value)
    assert assistant(plan, "sales-outreach")["request"]["body"] == {field: value}


def test_autocalls_tools_are_sent_flat_and_read_back_from_their_data(
    workspace: Workspace, sandbox: Sandbox
) -> None:
    match_sandbox(workspace, sandbox)
    tools = [
        {"type": "end_call", "description": "End politely."},
        {"type": "collect_keypad", "timeout": 5, "stop_key": "#"},
    ]
    set_spec(workspace, "sales-outreach", ("tools",), tools)
    plan = plan_json(workspace, "--target", "sales-outreach")
    assert assistant(plan, "sales-outreach")["request"]["body"] == {"tools": tools}
    assert workspace.run("apply", "--auto-approve").exit_code == 0
    assert sandbox.assistant("autocalls", 127)["tools"][1] == {
        "type": "collect_keypad",
        "data": {"timeout": 5, "stop_key": "#"},
    }
    assert workspace.run("plan", "--detailed-exitcode").exit_code == 0


def test_autocalls_fillers_zero_reads_as_false(workspace: Workspace, sandbox: Sandbox) -> None:
    sandbox.edit("autocalls", 127, {"fillers": False})
    assert sandbox.assistant("autocalls", 127)["fillers"] == 0
    set_spec(workspace, "sales-outreach", ("fillers",), False)
    plan = plan_json(workspace, "--target", "sales-outreach")
    assert "fillers" not in changes(plan, "sales-outreach")


def test_autocalls_list_is_read_once_per_plan(workspace: Workspace, sandbox: Sandbox) -> None:
    add_spec(workspace, "appointment-reminders", "autocalls-sales", 128, {"record": True})
    add_spec(workspace, "inbound-reception", "autocalls-sales", 129, {"type": "outbound"})
    for number in range(1000, 1130):
        sandbox.add_assistant("autocalls", {"id": number, "name": f"Bulk {number}"})
    add_spec(workspace, "bulk-1120", "autocalls-sales", 1120, {"name": "Bulk 1120"})
    sandbox.clear_requests()
    plan = plan_json(workspace)
    reads = sandbox.requests("autocalls", "GET")
    # 133 assistants in the account: two pages of 100, each read once for four assistants.
    assert [r.query.get("page") for r in reads] == ["1", "2"]
    assert all(r.path == "/user/assistants/get" for r in reads)
    assert set(changes(plan, "appointment-reminders")) == {"record"}
    assert set(changes(plan, "inbound-reception")) == {"type"}
    assert assistant(plan, "bulk-1120")["status"] == "unchanged"


def test_autocalls_unknown_id_is_reported(workspace: Workspace, sandbox: Sandbox) -> None:
    add_spec(workspace, "ghost", "autocalls-sales", 4242, {"record": True})
    sandbox.clear_requests()
    result = workspace.run("plan", "--format", "json")
    assert result.exit_code == 1
    plan = plan_json(workspace)
    error = assistant(plan, "ghost")["error"]
    assert "'4242'" in error
    assert "autocalls-sales" in error
    assert "ghost.yaml" in error
    assert assistant(plan, "sales-outreach")["status"] == "update"


# ---- Edmo --------------------------------------------------------------------------------


def test_edmo_logs_in_again_when_the_session_expires(
    workspace: Workspace, sandbox: Sandbox
) -> None:
    add_spec(workspace, "financial-aid", "edmo-main", "asst_456", {"name": "Financial Aid"})
    add_spec(workspace, "campus-tours", "edmo-main", "asst_789", {"endCallPhrases": ["bye"]})
    expected, _ = python_plan(workspace)
    sandbox.clear_requests()
    # One request at a time, so that each read meets an expired session exactly once.
    plan, _ = python_plan(workspace, transport=ExpiringSessions(sandbox), concurrency=1)
    assert not plan.has_errors, [a.error for a in plan.assistants]
    got = plan_to_dict(plan)
    want = plan_to_dict(expected)
    got.pop("created_at")
    want.pop("created_at")
    assert got == want
    logins = [r for r in sandbox.requests("edmo", "POST") if r.path == "/auth/login"]
    rejected = [r for r in sandbox.requests("edmo", "GET") if r.status == 401]
    # Every read met an expired session, and each led to exactly one new login.
    assert len(rejected) == 3
    assert len(logins) == 1 + len(rejected)
    assert all(r.status == 200 for r in logins)
    statuses = {a.name: a.status for a in plan.assistants}
    assert statuses["financial-aid"] is Status.UPDATE
    assert statuses["campus-tours"] is Status.UNCHANGED


def test_edmo_short_sessions_through_the_cli(workspace: Workspace) -> None:
    sb = Sandbox(SandboxOptions(seed=1, login_ttl_s=0.0))
    with sb.serve(port=0):
        # Each session ends as soon as it starts: the CLI fails cleanly rather than looping.
        set_base_url(workspace, "edmo-main", sb.base_urls["edmo"])
        result = workspace.run("plan", "--target", "enrollment-assistant")
        assert_clean(result)
        assert result.exit_code == 1
        logins = [r for r in sb.requests("edmo", "POST") if r.path == "/auth/login"]
        assert len(logins) == 2
        # The credentials worked, so the message does not blame them.
        assert "401 right after a successful login" in result.stdout
        assert "rejected the credentials" not in result.stdout


def test_edmo_bad_password(workspace: Workspace) -> None:
    result = workspace.run("plan", env={"EDMO_PASSWORD": "not-the-password"})
    assert result.exit_code == 1
    assert_clean(result)
    message = (
        "connection 'edmo-main': the vendor rejected the credentials in EDMO_EMAIL and "
        "EDMO_PASSWORD (401)"
    )
    assert message in result.stdout
    assert any(message in line for line in error_lines(result))
    assert "not-the-password" not in result.output
    assert "Plan: 3 to update, 0 unchanged, 1 error(s)." in result.stdout


# ---- Invent ------------------------------------------------------------------------------


def _bulk_invent(sandbox: Sandbox, count: int) -> None:
    for number in range(count):
        sandbox.add_assistant("invent", {"id": f"asst_bulk_{number:03d}", "name": f"Bulk {number}"})


def test_invent_assistants_on_later_pages(workspace: Workspace, sandbox: Sandbox) -> None:
    _bulk_invent(sandbox, 300)  # 11 seeded + 300 in the org: four pages of 100
    managed = {"asst_bulk_120": "Bulk 120", "asst_bulk_210": "Renamed", "asst_bulk_299": "Bulk 299"}
    for assistant_id, name in managed.items():
        add_spec(
            workspace,
            assistant_id.replace("_", "-"),
            "invent-support",
            assistant_id,
            {"name": name},
        )
    sandbox.clear_requests()
    plan = plan_json(workspace)
    assert assistant(plan, "asst-bulk-120")["status"] == "unchanged"
    assert assistant(plan, "asst-bulk-299")["status"] == "unchanged"
    change = changes(plan, "asst-bulk-210")["name"]
    assert (change["before"], change["after"]) == ("Bulk 210", "Renamed")
    assert set(changes(plan, "support-concierge")) == {"config.model"}
    reads = sandbox.requests("invent", "GET")
    pages = [r for r in reads if r.path == "/orgs/c/assistants"]
    singles = [r for r in reads if r.path != "/orgs/c/assistants"]
    assert {r.query["take"] for r in pages} == {"100"}
    assert len({r.query["page"] for r in pages}) == len(pages)
    # Four managed assistants: never more than one request each, never more than the pages.
    assert len(reads) <= 4
    assert len(pages) + len(singles) == len(reads)


def test_invent_few_assistants_far_away_are_read_one_by_one(
    workspace: Workspace, sandbox: Sandbox
) -> None:
    _bulk_invent(sandbox, 300)
    add_spec(workspace, "far-away", "invent-support", "asst_bulk_290", {"name": "Bulk 290"})
    sandbox.clear_requests()
    plan = plan_json(workspace)
    assert assistant(plan, "far-away")["status"] == "unchanged"
    reads = sandbox.requests("invent", "GET")
    assert len(reads) <= 3, [(r.path, r.query) for r in reads]


def test_invent_single_assistant_is_one_get(workspace: Workspace, sandbox: Sandbox) -> None:
    sandbox.clear_requests()
    plan_json(workspace, "--target", "support-concierge")
    reads = sandbox.requests("invent", "GET")
    assert [r.path for r in reads] == ["/orgs/c/assistants/asst_support"]


def test_invent_unknown_id_with_paging(workspace: Workspace, sandbox: Sandbox) -> None:
    _bulk_invent(sandbox, 150)
    add_spec(workspace, "bulk-5", "invent-support", "asst_bulk_005", {"name": "Bulk 5"})
    add_spec(workspace, "missing", "invent-support", "asst_missing", {"name": "Missing"})
    plan = plan_json(workspace)
    assert assistant(plan, "bulk-5")["status"] == "unchanged"
    error = assistant(plan, "missing")["error"]
    assert "'asst_missing'" in error
    assert "missing.yaml" in error
    assert "(404)" in error


def test_invent_deleted_assistant_is_not_found(workspace: Workspace, sandbox: Sandbox) -> None:
    sandbox.edit("invent", "asst_sales", {"deleted": True})
    add_spec(workspace, "sales-desk", "invent-support", "asst_sales", {"name": "Sales Desk"})
    plan = plan_json(workspace)
    assert "(404)" in assistant(plan, "sales-desk")["error"]
    assert assistant(plan, "support-concierge")["status"] == "update"
