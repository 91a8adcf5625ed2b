"""SIGINT and SIGTERM sent to a real `voiceops apply` process in the middle of its writes.

The summary and the write-only record are checked against the sandbox's own request log:
what the process says it applied landed, what it calls interrupted was never sent, and the
record holds exactly the write-only fields of the updates that landed.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import Workspace
from tests.integration.apply_helpers import SALES, add_document, spec_of
from tests.integration.plan_helpers import EXAMPLES, assistant
from voiceops.sandbox import Faults, Sandbox

CLINIC = EXAMPLES["clinic-intake"][2]
COPIES = 8  # of each of two examples, beside the four examples themselves
UPDATES = ("PATCH", "PUT")
# Only a guard against a hung process; no assertion depends on how long anything takes.
GUARD_S = 120.0
OUTCOMES = "applied|unchanged|stale|failed|not converged|interrupted|uncertain"
SUMMARY_LINE = re.compile(rf"^  ({OUTCOMES})\s+([^\s:]+)")


def many_assistants(ws: Workspace) -> dict[str, tuple[str, str]]:
    """Copies of clinic-intake (Interactly) and sales-outreach (Autocalls, with write-only
    fields): name -> (vendor, the path its update goes to)."""
    sb = ws.sandbox
    paths = {
        "clinic-intake": ("interactly", f"/assistants/v1/assistants/{CLINIC}"),
        "enrollment-assistant": ("edmo", "/assistants/asst_123"),
        "support-concierge": ("invent", "/orgs/c/assistants/asst_support"),
        "sales-outreach": ("autocalls", "/user/assistant/127"),
    }
    clinic, sales = sb.stored("interactly", CLINIC), sb.stored(*SALES)
    for i in range(COPIES):
        clinic_id = f"7e{i:022x}"
        sb.add_assistant("interactly", {**clinic, "_id": clinic_id})
        add_document(ws, f"clinic-{i}", "interactly-prod", clinic_id, spec_of(ws, "clinic-intake"))
        paths[f"clinic-{i}"] = ("interactly", f"/assistants/v1/assistants/{clinic_id}")
        sales_id = 1000 + i
        sb.add_assistant("autocalls", {**sales, "id": sales_id})
        add_document(ws, f"sales-{i}", "autocalls-sales", sales_id, spec_of(ws, "sales-outreach"))
        paths[f"sales-{i}"] = ("autocalls", f"/user/assistant/{sales_id}")
    return paths


def start_apply(ws: Workspace) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "voiceops", "apply", "--auto-approve"]
    command += ["--config", str(ws.config), "--concurrency", "2", "--allow-mass-update"]
    env = {**os.environ, **ws.env, "NO_COLOR": "1"}
    return subprocess.Popen(
        command, cwd=ws.root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def wait_for_a_landed_update(
    sb: Sandbox, process: subprocess.Popen[str], vendor: str | None = None
) -> None:
    deadline = time.monotonic() + GUARD_S
    while not [r for r in sb.requests(vendor) if r.method in UPDATES and r.status < 300]:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "no update landed"
        time.sleep(0.01)


def summary(stdout: str) -> dict[str, str]:
    return {m[2]: m[1] for line in stdout.splitlines() if (m := SUMMARY_LINE.match(line))}


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_mid_run_keeps_the_summary_and_the_record(
    workspace: Workspace, signum: signal.Signals
) -> None:
    sb = workspace.sandbox
    paths = many_assistants(workspace)
    sb.set_faults(Faults(latency_ms=150))
    process = start_apply(workspace)
    # An update with write-only fields, so that the record has something to hold.
    wait_for_a_landed_update(sb, process, "autocalls")

    process.send_signal(signum)
    stdout, stderr = process.communicate(timeout=GUARD_S)

    assert process.returncode == 1, (stdout, stderr)
    assert "Traceback" not in stdout + stderr
    assert f"{signum.name}: sending nothing new" in stderr
    assert f"Stopped by {signum.name}: nothing new was sent after it" in stdout
    outcomes = summary(stdout)
    assert set(outcomes) == set(paths), stdout
    log = [r for r in sb.requests() if r.method in UPDATES]
    for name, (vendor, path) in paths.items():
        sent = [r for r in log if r.vendor == vendor and r.path == path]
        if outcomes[name] == "applied":
            assert [r.status < 300 for r in sent] == [True], (name, sent)
        elif outcomes[name] == "interrupted":
            assert sent == [], name
        else:
            assert outcomes[name] == "uncertain", (name, outcomes[name])
    assert "interrupted" in outcomes.values(), "the signal was meant to stop the run mid-way"

    record = json.loads((workspace.root / ".voiceops" / "write-only.json").read_text())
    recorded = set(record["assistants"])
    for name, (vendor, path) in paths.items():
        if vendor == "autocalls":
            key = f"autocalls-sales/{path.rsplit('/', 1)[1]}"
            assert (key in recorded) == (outcomes[name] == "applied"), name
            if key in recorded:
                assert set(record["assistants"][key]) == {
                    "reengagement_prompt",
                    "tts_emotion_enabled",
                }

    # What landed is not proposed again; what was interrupted still is.
    sb.set_faults(Faults())
    plan = json.loads(workspace.run("plan", "--format", "json").stdout)
    for name, outcome in outcomes.items():
        expected = {"applied": "unchanged", "interrupted": "update"}.get(outcome)
        if expected:
            assert assistant(plan, name)["status"] == expected, name


def test_a_second_signal_exits_at_once(workspace: Workspace) -> None:
    sb = workspace.sandbox
    many_assistants(workspace)
    # Updates held back far longer than the test takes: only a second signal ends the wait.
    sb.set_faults(Faults(latency_ms=150))
    process = start_apply(workspace)
    wait_for_a_landed_update(sb, process)
    sb.set_faults(Faults(slow_rate=1.0, slow_s=60))

    process.send_signal(signal.SIGTERM)
    assert process.stderr is not None
    while "sending nothing new" not in (line := process.stderr.readline()):
        assert line, "the process ended before it reported the first signal"
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=GUARD_S)

    assert process.returncode == 128 + signal.SIGTERM
    assert "SIGTERM again: exiting at once" in stderr
    assert "Traceback" not in stdout + stderr
