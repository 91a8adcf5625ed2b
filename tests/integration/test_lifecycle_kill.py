"""A real `voiceops apply` killed right after the vendor carried out a create, before the new
id reached the document: the next run must not create a second assistant."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import Workspace
from tests.integration.test_lifecycle import CREATE_PATHS, NEW, live_named, new_document
from voiceops.sandbox import Faults

# The stand-in carries out the create, then holds its answer back this long.
HELD_S = 60
# How long the test waits for the create to land before giving up (a stop, not a bound).
GIVE_UP_S = 90


def start_apply(ws: Workspace) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOICEOPS")}
    return subprocess.Popen(
        [sys.executable, "-m", "voiceops", "apply", "--auto-approve", "--config", str(ws.config)],
        cwd=ws.root,
        env={**env, **ws.env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_the_create(ws: Workspace, vendor: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + GIVE_UP_S
    while time.monotonic() < deadline:
        landed = [
            r
            for r in ws.sandbox.requests(vendor)
            if r.method == "POST" and r.path == CREATE_PATHS[vendor] and r.status < 300
        ]
        if landed:
            return
        if process.poll() is not None:
            pytest.fail(f"apply ended before its create landed: {process.communicate()}")
        time.sleep(0.05)
    process.kill()
    pytest.fail("the create never reached the sandbox")


@pytest.mark.parametrize("vendor", ["edmo", "invent", "autocalls"])
def test_a_create_killed_before_the_write_back_is_never_repeated(
    workspace: Workspace, vendor: str
) -> None:
    connection, _, _, shown = NEW[vendor]
    path, original = new_document(workspace, vendor)
    scope = "POST " + CREATE_PATHS[vendor].replace("/c/", "/*/")
    workspace.sandbox.set_faults(Faults(slow_rate=1, slow_s=HELD_S, only=scope), vendor=vendor)
    process = start_apply(workspace)
    wait_for_the_create(workspace, vendor, process)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    workspace.sandbox.set_faults(Faults(), vendor=vendor)
    assert len(live_named(workspace, vendor, shown)) == 1
    assert path.read_text(encoding="utf-8") == original  # the id never reached it

    rerun = workspace.run("apply", "--auto-approve")
    creates = [
        r
        for r in workspace.sandbox.requests(vendor)
        if r.method == "POST" and r.path == CREATE_PATHS[vendor]
    ]
    assert len(creates) == 1
    assert len(live_named(workspace, vendor, shown)) == 1
    if vendor == "edmo":
        # Edmo lists nothing: the document is refused until someone checks.
        assert rerun.exit_code == 1
        assert f"check the Edmo dashboard for an assistant named {shown!r}" in rerun.output
        assert path.read_text(encoding="utf-8") == original
    else:
        # The list shows what landed: it is adopted and its id written back.
        assert rerun.exit_code == 0, rerun.output
        [created] = live_named(workspace, vendor, shown)
        line = f"provider: {connection}\n"
        expected = original.replace(line, f'{line}id: "{created["id"]}"\n', 1)
        assert path.read_text(encoding="utf-8") == expected
