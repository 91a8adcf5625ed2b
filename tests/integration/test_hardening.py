"""Hostile and careless input through real `voiceops` processes against the sandbox: each
gets one sentence (with the position where a file is at fault), exit 1, no traceback, and
nothing is sent to a vendor."""

from __future__ import annotations

import os
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
