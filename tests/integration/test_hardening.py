"""Hostile and careless input through real `voiceops` processes against the sandbox: each
gets one sentence (with the position where a file is at fault), exit 1, no traceback, and
nothing is sent to a vendor."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import Workspace
from voiceops.reconcile.plan import MAX_PLAN_FILE_BYTES

WRITES = {"POST", "PATCH", "PUT", "DELETE"}


def voiceops(
    ws: Workspace, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The real command in a child process, run in the workspace."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("VOICEOPS")}
    return subprocess.run(
        [sys.executable, "-m", "voiceops", *args],
        cwd=ws.root,
        env={**clean, **ws.env, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def refused(result: subprocess.CompletedProcess[str]) -> str:
    """The one sentence of a refusal, checked for the contract."""
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr


def writes(ws: Workspace) -> list[str]:
    return [f"{r.method} {r.path}" for r in ws.sandbox.requests() if r.method in WRITES]


def test_a_delete_the_vendor_knows_nothing_of_is_reported(workspace: Workspace) -> None:
    path = workspace.spec_file("enrollment-assistant")
    text = path.read_text(encoding="utf-8").replace("id: asst_123", "id: asst_999")
    path.write_text(text.replace("\nspec:\n", "\nensure: absent\nspec:\n", 1), encoding="utf-8")
    result = voiceops(workspace, "plan", "--target", "enrollment-assistant")
    assert result.returncode == 0, result.stderr
    shown = result.stdout + result.stderr
    assert "knows no assistant 'asst_999' on connection 'edmo-main'" in shown
    assert "nothing to delete" in shown


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_device_is_not_read_as_a_plan_file(workspace: Workspace, device: str) -> None:
    said = refused(voiceops(workspace, "apply", device))
    assert f"{device} is not a regular file, so not a plan file" in said
    assert not writes(workspace)


def test_a_fifo_is_not_waited_on_as_a_plan_file(workspace: Workspace) -> None:
    fifo = workspace.root / "plan.json"
    os.mkfifo(fifo)
    said = refused(voiceops(workspace, "apply", str(fifo)))
    assert "is not a regular file, so not a plan file" in said


def test_a_plan_file_beyond_the_size_limit_is_refused(workspace: Workspace) -> None:
    huge = workspace.root / "plan.json"
    with huge.open("wb") as stream:
        stream.truncate(MAX_PLAN_FILE_BYTES + 1)
    said = refused(voiceops(workspace, "apply", str(huge)))
    assert "is larger than 64 MiB, so not a voiceops plan file" in said


def test_a_model_is_checked_against_the_live_provider_at_plan_time(workspace: Workspace) -> None:
    path = workspace.spec_file("clinic-intake")
    text = path.read_text(encoding="utf-8").replace("  assistantProvider: openai\n", "")
    path.write_text(text.replace("gpt-4o-mini", "gemini-1.5-flash"), encoding="utf-8")
    live = next(a for a in workspace.sandbox.assistants("interactly"))
    assert live["assistantProvider"] != "gemini"
    result = voiceops(workspace, "plan", "--target", "clinic-intake")
    assert result.returncode == 1, result.stdout
    shown = result.stdout + result.stderr
    assert "assistants/clinic-intake.yaml:16:" in shown
    assert f"the live assistant's assistantProvider is {live['assistantProvider']!r}" in shown
    assert "set assistantProvider in the spec as well" in shown, shown
    assert "Traceback" not in shown
    refused(voiceops(workspace, "apply", "--auto-approve", "--target", "clinic-intake"))
    assert not writes(workspace)


def test_the_sandbox_log_keeps_no_referenced_value(workspace: Workspace) -> None:
    token = "tok-9d8c7b6a5f4e"
    for name, field, value in [
        ("sales-outreach", "webhook_url", "https://hooks.example.com/calls?token=${env:HOOK}"),
        ("enrollment-assistant", "metadata", {"team": "${env:HOOK}"}),
    ]:
        workspace.edit_spec(name, **{field: value})
    workspace.env["HOOK"] = token
    result = workspace.run("apply", "--auto-approve")
    assert result.exit_code == 0, result.output
    logged = [(r.path, r.query, r.headers, r.body) for r in workspace.sandbox.requests()]
    assert any(r.method == "PATCH" for r in workspace.sandbox.requests("edmo"))
    assert token not in repr(logged)
    assert "<redacted>" in repr([r.body for r in workspace.sandbox.requests("autocalls")])
    stored = workspace.sandbox.assistant("autocalls", 127)
    assert token in str(stored.get("webhook_url"))


def test_norway_in_a_free_form_map_is_warned_about(workspace: Workspace) -> None:
    path = workspace.spec_file("sales-outreach")
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("  variables:\n", "  variables:\n    country: NO\n"))
    result = voiceops(workspace, "validate")
    assert result.returncode == 0, result.stderr
    line = next(n for n, x in enumerate(text.splitlines(), 1) if x == "  variables:") + 1
    assert (
        f"assistants/sales-outreach.yaml:{line}:14: warning: spec.variables.country is written "
        'NO, which YAML 1.1 reads as false; write "NO" in quotes if you meant the text'
    ) in result.stderr
    assert "record_call" not in result.stderr  # a declared boolean field: yes/no is meant


def test_global_flags_after_the_subcommand_and_lenient_everywhere(workspace: Workspace) -> None:
    path = workspace.spec_file("enrollment-assistant")
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("    provider: openai\n", "    provider: openai-next\n", 1))
    strict = voiceops(workspace, "plan")
    assert "openai-next" in refused(strict)
    for args in (["plan", "--debug", "--lenient"], ["drift", "--lenient", "--debug"]):
        result = voiceops(workspace, *args)
        assert result.returncode in (0, 2), result.stderr
        assert "debug: voiceops" in result.stderr
        assert "accepted in lenient mode" in result.stderr
    applied = voiceops(workspace, "apply", "--lenient", "--auto-approve", "--debug")
    assert "no such option" not in applied.stderr
    twice = voiceops(workspace, "--debug", "validate", "--debug", "--lenient")
    assert twice.returncode == 0, twice.stderr


def test_import_all_skips_managed_ones_and_says_which(workspace: Workspace) -> None:
    shutil.rmtree(workspace.root / "schemas")
    result = voiceops(workspace, "import", "--provider", "autocalls-sales", "--all", "--out", "new")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (
        "skipped sales-outreach: already managed by assistants/sales-outreach.yaml; "
        "pass --force to update it in place"
    ) in result.stdout
    written = sorted((workspace.root / "new").glob("*.yaml"))
    assert written, result.stdout
    for path in written:  # no schemas/ in this repository: no $schema line pointing at one
        assert "$schema" not in path.read_text(encoding="utf-8")
    asked = voiceops(workspace, "import", "--provider", "autocalls-sales", "--id", "127")
    assert asked.returncode == 1  # named explicitly, a managed one still needs --force


def test_the_write_only_record_drops_a_deleted_assistant(workspace: Workspace) -> None:
    record = workspace.root / ".voiceops" / "write-only.json"
    assert voiceops(workspace, "apply", "--auto-approve").returncode == 0
    assert "autocalls-sales/127" in json.loads(record.read_text())["assistants"]
    path = workspace.spec_file("sales-outreach")
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("\nspec:\n", "\nensure: absent\nspec:\n", 1), encoding="utf-8")
    deleted = voiceops(workspace, "apply", "--auto-approve")
    assert deleted.returncode == 0, deleted.stdout + deleted.stderr
    kept = json.loads(record.read_text())["assistants"]
    assert "autocalls-sales/127" not in kept


def test_a_saved_plan_applied_twice_says_whose_counts_it_shows(workspace: Workspace) -> None:
    assert voiceops(workspace, "apply", "--auto-approve").returncode == 0
    workspace.edit_spec("clinic-intake", idleTimeout=21)
    assert voiceops(workspace, "plan", "--out", "plan.json").returncode == 0
    for applied, unchanged in ((1, 3), (0, 4)):
        result = voiceops(workspace, "apply", "plan.json")
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Plan in plan.json: 1 to update, 3 unchanged, 0 error(s)." in result.stdout
        assert "\nPlan: " not in result.stdout
        assert f"Apply: {applied} applied, {unchanged} unchanged," in result.stdout


def test_a_record_that_could_not_be_saved_stops_the_run_before_anything_is_sent(
    workspace: Workspace,
) -> None:
    config = workspace.config.read_text(encoding="utf-8")
    workspace.config.write_text(config + f"write_only_record: {'r' * 300}/write-only.json\n")
    said = refused(voiceops(workspace, "apply", "--auto-approve"))
    assert "cannot be created: a part of its path is longer than 255 bytes" in said
    assert not writes(workspace)
