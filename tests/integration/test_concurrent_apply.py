"""Several applies at once on one repository: each waits for the run lock (--lock-timeout),
and each keeps the others' write-only record."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

from tests.conftest import Workspace
from tests.integration.apply_helpers import SALES, add_document, spec_of
from voiceops.reconcile.writeonly import WriteOnlyRecord
from voiceops.sandbox import Faults

RUNS = 8
GUARD_S = 300.0  # only against a hung process


def start(ws: Workspace, *args: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "voiceops", "apply", "--auto-approve"]
    command += ["--config", str(ws.config), *args]
    return subprocess.Popen(
        command,
        cwd=ws.root,
        env={**os.environ, **ws.env, "NO_COLOR": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(processes: list[subprocess.Popen[str]]) -> list[tuple[int, str]]:
    results = []
    for process in processes:
        stdout, stderr = process.communicate(timeout=GUARD_S)
        assert "Traceback" not in stdout + stderr, stderr
        results.append((process.returncode, stdout + stderr))
    return results


def record_of(ws: Workspace) -> dict[str, dict[str, str]]:
    text = (ws.root / ".voiceops" / "write-only.json").read_text(encoding="utf-8")
    return json.loads(text)["assistants"]


def test_eight_applies_at_once_leave_nothing_to_do(workspace: Workspace) -> None:
    workspace.sandbox.set_faults(Faults(latency_ms=20))

    results = finish([start(workspace, "--lock-timeout", "10m") for _ in range(RUNS)])

    assert all(code == 0 for code, _ in results), results
    assert "autocalls-sales/127" in record_of(workspace)
    workspace.sandbox.set_faults(Faults())
    plan = workspace.run("plan", "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output
    leftovers = [p.name for p in (workspace.root / ".voiceops").iterdir()]
    assert sorted(leftovers) == ["run.guard.lock", "write-only.json", "write-only.json.lock"]


def test_two_applies_on_different_targets_both_stay_recorded(workspace: Workspace) -> None:
    sb = workspace.sandbox
    sb.add_assistant("autocalls", {**sb.stored(*SALES), "id": 1001})
    add_document(
        workspace, "sales-west", "autocalls-sales", 1001, spec_of(workspace, "sales-outreach")
    )
    sb.set_faults(Faults(latency_ms=50))

    results = finish(
        [
            start(workspace, "--target", "sales-outreach", "--lock-timeout", "10m"),
            start(workspace, "--target", "sales-west", "--lock-timeout", "10m"),
        ]
    )

    assert [code for code, _ in results] == [0, 0], results
    assert {"autocalls-sales/127", "autocalls-sales/1001"} <= set(record_of(workspace))
    sb.set_faults(Faults())
    targets = ("--target", "sales-outreach", "--target", "sales-west")
    assert workspace.run("plan", "--detailed-exitcode", *targets).exit_code == 0


def test_saves_merge_into_the_record_as_it_is_then(tmp_path: Path) -> None:
    """Records loaded before any of them saved: each save keeps what the others saved."""
    path = tmp_path / ".voiceops" / "write-only.json"
    records = [WriteOnlyRecord.load(path) for _ in range(16)]
    for n, record in enumerate(records):
        record.remember("autocalls-sales", str(n), "llm_temperature", n / 10)

    threads = [threading.Thread(target=record.save) for record in records]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    saved = WriteOnlyRecord.load(path)
    for n in range(16):
        assert saved.matches("autocalls-sales", str(n), "llm_temperature", n / 10)
    assert sorted(p.name for p in path.parent.iterdir()) == [
        "write-only.json",
        "write-only.json.lock",
    ]


def test_the_record_is_an_ordinary_file_and_keeps_its_mode(tmp_path: Path) -> None:
    """The temporary file a save renames over the record is private (0600) when made; the
    record itself is a normal, committed file: 0644 when new, its own mode after that."""
    path = tmp_path / ".voiceops" / "write-only.json"
    record = WriteOnlyRecord.load(path)
    record.remember("autocalls-sales", "127", "llm_temperature", 0.4)
    record.save()
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    path.chmod(0o664)
    record.remember("autocalls-sales", "128", "llm_temperature", 0.5)
    record.save()
    assert stat.S_IMODE(path.stat().st_mode) == 0o664
