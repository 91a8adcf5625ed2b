"""`voiceops doctor`: a read-only check of voiceops' model of each vendor against an account,
run against the sandbox over real HTTP."""

from __future__ import annotations

import json

from tests.conftest import Workspace
from voiceops.sandbox import Sandbox

CLINIC = "5f7b1b1b1b1b1b1b1b1b1b1b"


def doctor_json(
    workspace: Workspace, *args: str, env: dict[str, str] | None = None
) -> tuple[int, dict]:
    result = workspace.run("doctor", "--format", "json", *args, env=env)
    return result.exit_code, json.loads(result.stdout)


def test_the_example_account_matches_and_doctor_only_reads(
    workspace: Workspace, sandbox: Sandbox
) -> None:
    sandbox.clear_requests()
    result = workspace.run("doctor")
    assert result.exit_code == 0, result.output
    assert "Doctor: 4 of 4 connection(s) match voiceops' model." in result.stdout
    sent = {(r.method, r.vendor, r.path) for r in sandbox.requests()}
    # GET only; Edmo authenticates reads with the cookie its login POST sets.
    assert {m for m, v, p in sent if (v, p) != ("edmo", "/auth/login")} == {"GET"}
    assert sent


def test_an_unknown_key_a_type_and_a_missing_field_are_found(
    workspace: Workspace, sandbox: Sandbox
) -> None:
    sandbox.edit("interactly", CLINIC, {"voicemailDetection": {"enabled": True}})
    sandbox.edit("invent", "asst_support", {"enabled": "yes"})
    code, report = doctor_json(workspace)
    assert code == 2
    by_name = {c["connection"]: c for c in report["connections"]}
    assert by_name["interactly-prod"]["findings"] == [
        {"kind": "unknown-key", "assistant": CLINIC, "path": "voicemailDetection", "detail": ""}
    ]
    [typed] = [f for f in by_name["invent-support"]["findings"] if f["kind"] == "type"]
    assert (typed["assistant"], typed["path"]) == ("asst_support", "enabled")
    assert typed["detail"] == "string where the schema has boolean"
    assert by_name["edmo-main"]["matches"] is True
    assert report["summary"]["findings"] == 2


def test_plan_and_drift_point_at_doctor_once_per_connection(
    workspace: Workspace, sandbox: Sandbox
) -> None:
    sandbox.edit("interactly", CLINIC, {"voicemailDetection": {"enabled": True}, "x2": 1})
    for command in ("plan", "drift"):
        output = workspace.run(command).output
        lines = [line for line in output.splitlines() if "voiceops doctor" in line]
        assert len(lines) == 1, output
        assert "voicemailDetection, x2" in lines[0]  # sorted
        assert "--connection interactly-prod" in lines[0]


def test_rejected_credentials_are_an_error_and_the_others_still_checked(
    workspace: Workspace,
) -> None:
    code, report = doctor_json(workspace, env={"INVENT_API_KEY": "not-the-key"})
    assert code == 1
    by_name = {c["connection"]: c for c in report["connections"]}
    assert by_name["invent-support"]["credentials"] == "rejected"
    assert "INVENT_API_KEY" in by_name["invent-support"]["error"]
    assert by_name["edmo-main"]["matches"] is True


def test_connection_narrows_the_check(workspace: Workspace, sandbox: Sandbox) -> None:
    sandbox.clear_requests()
    code, report = doctor_json(workspace, "--connection", "edmo-main")
    assert code == 0
    assert [c["connection"] for c in report["connections"]] == ["edmo-main"]
    assert {r.vendor for r in sandbox.requests()} == {"edmo"}
    result = workspace.run("doctor", "--connection", "nope")
    assert result.exit_code == 1
    assert "has no connection 'nope'" in result.stderr


def test_doctor_runs_before_there_is_any_document(workspace: Workspace) -> None:
    # Day one: voiceops.yaml and credentials, no assistants yet.
    for path in (workspace.root / "assistants").iterdir():
        path.unlink()
    (workspace.root / "assistants").rmdir()
    code, report = doctor_json(workspace)
    assert code == 0
    by_name = {c["connection"]: c for c in report["connections"]}
    # Nothing to read on Interactly without an id: its key is not claimed to work.
    assert by_name["interactly-prod"]["credentials"] == "not checked (nothing to read)"
    assert by_name["edmo-main"]["credentials"] == "ok"  # its login proves it
    assert by_name["invent-support"]["assistants"] > 0  # the list


def test_a_managed_assistant_the_vendor_does_not_have_is_a_difference(
    workspace: Workspace, sandbox: Sandbox
) -> None:
    sandbox.edit("invent", "asst_support", {"deleted": True})
    text = workspace.spec_file("clinic-intake").read_text(encoding="utf-8")
    workspace.spec_file("clinic-intake").write_text(
        text.replace(CLINIC, "5f7b1b1b1b1b1b1b1b1b1b1c"), encoding="utf-8"
    )
    code, report = doctor_json(workspace, "--connection", "invent-support", "--connection",
                               "interactly-prod", "--connection", "invent-support")  # fmt: skip
    assert code == 2
    assert [c["connection"] for c in report["connections"]] == ["invent-support", "interactly-prod"]
    found = {(f["kind"], f["assistant"]) for c in report["connections"] for f in c["findings"]}
    assert found == {
        ("not-found", "asst_support"),
        ("not-found", "5f7b1b1b1b1b1b1b1b1b1b1c"),
    }


def test_the_table_lines_up_under_its_header(workspace: Workspace, sandbox: Sandbox) -> None:
    sandbox.edit("invent", "asst_support", {"enabled": "yes"})
    lines = workspace.run("doctor", "--connection", "invent-support").stdout.splitlines()
    header = next(line for line in lines if line.lstrip().startswith("finding"))
    row = next(line for line in lines if "another type" in line)
    assert row.index("asst_support") == header.index("assistant")
    assert row.index("enabled") == header.index("path")
